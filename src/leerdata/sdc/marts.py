"""The published tables as protected tables: which cells, which relations.

Both the dbt Python models (to suppress) and the audit of a built warehouse (to check)
derive the relations from the rows of a mart through the functions below, so a reader
of the mart and our suppression see the same table structure. Relations per table:

evaluation (mart_course_evaluation + mart_supplier_evaluation + mart_category_evaluation,
    one linked table): a year is the sum of its quarters; a category (supplier) quarter
    covers the quarters of its courses (a person can follow two courses of one category
    in a quarter, so only max <= category <= sum is known).
participation (mart_participation): a year is the sum of its quarters; a department's
    total row is the sum of its directorates, scale bands, age bands and genders (each
    person-quarter has one reference state), and covers its delivery modes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import polars as pl

from leerdata.sdc.suppression import BinaryOutcome, group_disclosure, suppress
from leerdata.sdc.tables import ProtectionRule, Relation

PERSONS = "participants"
TOTAL = "total"
NON_ADDITIVE_BREAKDOWNS = frozenset({"delivery_mode"})

EVALUATION_OUTCOMES: tuple[BinaryOutcome, ...] = (
    BinaryOutcome("passed", "examined"),
    BinaryOutcome("passed_first_attempt", "examined"),
    BinaryOutcome("no_shows", "enrolments", disclose_none=False),
    BinaryOutcome("completions", "enrolments", disclose_all=False),
)
PARTICIPATION_OUTCOMES: tuple[BinaryOutcome, ...] = (
    BinaryOutcome("completions", "enrolments", disclose_all=False),
)


def _index(rows: list[dict], key_columns: Iterable[str]) -> dict[tuple, int]:
    columns = tuple(key_columns)
    return {tuple(row[c] for c in columns): i for i, row in enumerate(rows)}


def _sum_relations(
    groups: dict[Hashable, list[int]], totals: dict[Hashable, int], kind: str = "sum"
) -> list[Relation]:
    return [
        Relation(total=totals[key], parts=tuple(sorted(parts)), kind=kind)  # type: ignore[arg-type]
        for key, parts in groups.items()
        if key in totals
    ]


def year_relations(rows: list[dict], entity_columns: tuple[str, ...]) -> list[Relation]:
    """Per entity and year: the year row is the sum of the quarter rows."""
    parts: dict[Hashable, list[int]] = defaultdict(list)
    totals: dict[Hashable, int] = {}
    for i, row in enumerate(rows):
        key = (*(row[c] for c in entity_columns), row["year"])
        if row["period_type"] == "year":
            totals[key] = i
        else:
            parts[key].append(i)
    return _sum_relations(parts, totals)


def evaluation_relations(rows: list[dict]) -> list[Relation]:
    relations = year_relations(rows, ("evaluation_level", "entity_id"))
    quarter_cell = {
        (row["evaluation_level"], row["entity_id"], row["period"]): i
        for i, row in enumerate(rows)
        if row["period_type"] == "quarter"
    }
    for level, column in (("category", "category_code"), ("supplier", "supplier_id")):
        courses: dict[Hashable, list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            if row["evaluation_level"] == "course" and row["period_type"] == "quarter":
                courses[(level, row[column], row["period"])].append(i)
        relations += _sum_relations(courses, quarter_cell, kind="cover")
    return relations


def participation_relations(rows: list[dict]) -> list[Relation]:
    relations = year_relations(rows, ("department_code", "breakdown", "breakdown_value"))
    totals: dict[Hashable, int] = {}
    parts: dict[Hashable, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        where = (row["department_code"], row["period_type"], row["period"])
        if row["breakdown"] == TOTAL:
            totals[where] = i
        else:
            parts[(*where, row["breakdown"])].append(i)
    for key, members in parts.items():
        kind = "cover" if key[-1] in NON_ADDITIVE_BREAKDOWNS else "sum"
        if key[:-1] in totals:
            relations.append(Relation(totals[key[:-1]], tuple(members), kind=kind))  # type: ignore[arg-type]
    return relations


@dataclass(frozen=True)
class MartTable:
    """How to read one protected table: its rows' relations and its outcomes."""

    name: str
    relations: Callable[[list[dict]], list[Relation]]
    outcomes: tuple[BinaryOutcome, ...]


EVALUATION = MartTable("evaluation", evaluation_relations, EVALUATION_OUTCOMES)
PARTICIPATION = MartTable("participation", participation_relations, PARTICIPATION_OUTCOMES)


def protect(cells: pl.DataFrame, table: MartTable, rule: ProtectionRule) -> pl.DataFrame:
    """`cells` plus is_suppressed and suppression_reason (NULL when published)."""
    rows = cells.to_dicts()
    persons = [int(r[PERSONS] or 0) for r in rows]
    outcomes = [
        (o, [r[o.numerator] for r in rows], [r[o.denominator] for r in rows])
        for o in table.outcomes
    ]
    flagged = group_disclosure(persons, outcomes, rule)
    result = suppress(persons, table.relations(rows), rule, primary_group=flagged)
    reasons = [result.reasons.get(i) for i in range(len(rows))]
    return cells.with_columns(
        pl.Series("suppression_reason", reasons, dtype=pl.String),
        pl.Series("is_suppressed", [r is not None for r in reasons], dtype=pl.Boolean),
    )
