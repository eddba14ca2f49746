"""k-anonymity over persons and l-diversity over informative values, by local
suppression rather than dropping rows.

The frame has one row per enrolment and a `counting_key` naming the person behind it
(the release drops it: rows carry no person link). Steps:

1. k (distinct PERSONS per group of equal quasi-identifiers): rows of a group with fewer
   than k persons get single quasi-identifier values replaced by SUPPRESSED, trying
   suppression patterns of one value, then two, up to MAX_SUPPRESSED_PER_ROW, least
   important quasi-identifier first (as sdcMicro's localSuppression with an importance
   order). A pattern is taken for the rows whose suppressed group then holds k persons.
   Only rows that still fail are dropped. Each suppression pattern yields its own groups
   (the SUPPRESSED marks sit in different columns), so every released group is one that
   was checked; the final figures are recomputed from the released frame anyway.
2. l (distinct INFORMATIVE values of each sensitive attribute per group): an empty
   value, `not_examined` or `enrolled` (no outcome yet) tells nothing about an outcome.
   Where a group shows exactly 1 … l-1 informative values of an attribute, those values
   are replaced by WITHHELD: the row stays, the outcome an attacker could read off goes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import cast

import polars as pl

from leerdata.research.microdata import (
    LADDER,
    QUASI_IDENTIFIERS,
    SENSITIVE_ATTRIBUTES,
    generalised,
)

PERSON = "counting_key"
SUPPRESSED = "*"
WITHHELD = "withheld"
MAX_SUPPRESSED_PER_ROW = 3
# Least important first: a researcher loses least when delivery mode or gender goes.
SUPPRESSION_ORDER: tuple[str, ...] = (
    "delivery_mode",
    "gender",
    "scale_band",
    "age_band",
    "period",
    "category_code",
    "department_code",
)
# Values that say nothing about an outcome (besides empty): they never count towards l.
NOT_INFORMATIVE: dict[str, frozenset[str]] = {
    "completion_status": frozenset({"enrolled", WITHHELD}),
    "exam_result": frozenset({"not_examined", WITHHELD}),
    "overall_score": frozenset({WITHHELD}),
}
_ROW = "_row"

assert set(SUPPRESSION_ORDER) == set(QUASI_IDENTIFIERS)


@dataclass(frozen=True)
class Anonymised:
    released: pl.DataFrame
    rows_dropped: int
    values_suppressed: dict[str, int]  # quasi-identifier -> values replaced by SUPPRESSED
    values_withheld: dict[str, int]  # sensitive attribute -> values replaced by WITHHELD
    k_achieved: int | None  # least distinct persons in a released group
    l_achieved: dict[str, int]  # least informative values where a group shows any
    groups: int


def is_informative(attribute: str) -> pl.Expr:
    column = pl.col(attribute)
    return column.is_not_null() & ~column.is_in(list(NOT_INFORMATIVE[attribute]))


def _split_on_k(frame: pl.DataFrame, k: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows whose group holds k persons, the other rows)."""
    # A window, not a group-by and two joins on seven text keys: half the time at scale.
    large = pl.col(PERSON).n_unique().over(QUASI_IDENTIFIERS) >= k
    marked = frame.with_columns(large.alias("_large"))
    return (
        marked.filter(pl.col("_large")).drop("_large"),
        marked.filter(~pl.col("_large")).drop("_large"),
    )


def _suppression_patterns() -> list[tuple[str, ...]]:
    return [
        pattern
        for size in range(1, MAX_SUPPRESSED_PER_ROW + 1)
        for pattern in itertools.combinations(SUPPRESSION_ORDER, size)
    ]


def enforce_k(frame: pl.DataFrame, k: int) -> tuple[pl.DataFrame, int]:
    """Rows in groups of at least k persons, by local suppression; and the rows dropped."""
    kept, failing = _split_on_k(frame, k)
    parts = [kept]
    for pattern in _suppression_patterns():
        if failing.is_empty():
            break
        candidate = failing.with_columns(pl.lit(SUPPRESSED).alias(c) for c in pattern)
        taken, _ = _split_on_k(candidate, k)
        if not taken.is_empty():
            parts.append(taken)
            failing = failing.join(taken.select(_ROW), on=_ROW, how="anti")
    return pl.concat(parts), failing.height


def enforce_l(frame: pl.DataFrame, l: int) -> pl.DataFrame:  # noqa: E741
    """Withhold the informative values of an attribute in groups showing 1 … l-1 of them."""
    qis = list(QUASI_IDENTIFIERS)
    for attribute in SENSITIVE_ATTRIBUTES:
        shown = pl.col(attribute).filter(is_informative(attribute)).n_unique().over(qis)
        too_few = (shown > 0) & (shown < l)
        frame = frame.with_columns(
            pl.when(too_few & is_informative(attribute))
            .then(pl.lit(WITHHELD))
            .otherwise(pl.col(attribute))
            .alias(attribute)
        )
    return frame


def anonymise(frame: pl.DataFrame, k: int, l: int) -> Anonymised:  # noqa: E741
    qis = list(QUASI_IDENTIFIERS)
    prepared = frame.with_row_index(_ROW).with_columns(
        pl.col(qis).cast(pl.String).fill_null("unknown"),
        pl.col(list(SENSITIVE_ATTRIBUTES)).cast(pl.String),
    )
    protected, dropped = enforce_k(prepared, k)
    released = enforce_l(protected, l).sort(_ROW).drop(_ROW)

    groups = released.group_by(qis).agg(
        pl.col(PERSON).n_unique().alias("_persons"),
        *[
            pl.col(sa).filter(is_informative(sa)).n_unique().alias(sa)
            for sa in SENSITIVE_ATTRIBUTES
        ],
    )
    l_achieved = {}
    for sa in SENSITIVE_ATTRIBUTES:
        shown = groups.filter(pl.col(sa) > 0)[sa]
        if shown.len():
            l_achieved[sa] = int(cast(int, shown.min()))
    return Anonymised(
        released=released,
        rows_dropped=dropped,
        values_suppressed={q: int((released[q] == SUPPRESSED).sum()) for q in qis},
        values_withheld={sa: int((released[sa] == WITHHELD).sum()) for sa in SENSITIVE_ATTRIBUTES},
        k_achieved=int(cast(int, groups["_persons"].min())) if groups.height else None,
        l_achieved=l_achieved,
        groups=groups.height,
    )


def information_loss(result: Anonymised) -> int:
    """Values lost: a dropped row loses all its columns, a suppression or a withholding one."""
    columns = len(QUASI_IDENTIFIERS) + len(SENSITIVE_ATTRIBUTES)
    return (
        result.rows_dropped * columns
        + sum(result.values_suppressed.values())
        + sum(result.values_withheld.values())
    )


def choose_level(frame: pl.DataFrame, k: int, l: int) -> tuple[int, Anonymised]:  # noqa: E741
    """The generalisation level that loses the fewest values (the least generalised on a
    tie): coarser categories cost suppressions and withholdings less, finer ones more."""
    results = [(step.level, anonymise(generalised(frame, step.level), k, l)) for step in LADDER]
    return min(results, key=lambda pair: (information_loss(pair[1]), pair[0]))
