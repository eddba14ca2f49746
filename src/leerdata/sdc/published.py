"""Audit of a built reporting database, from the published rows alone.

`leerdata build` runs it on the fresh file before it is swapped in and refuses to publish
when anything is found:
- a withheld (suppressed) cell publishes no figure (all NULL, never 0);
- no published count of a non-empty cell lies in 1..ptable.SMALL_VALUES (the cell key
  method never publishes those);
- bounds propagation over every relation between the published figures (the reader's
  view, leerdata.sdc.reader_model: the counts, and the sums behind the means) pins no
  count below min_cell_size.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from leerdata.sdc.ptable import SMALL_VALUES
from leerdata.sdc.reader_model import (
    EVALUATION_COUNTS,
    EVALUATION_MEANS,
    PARTICIPATION_COUNTS,
    PARTICIPATION_MEANS,
    pinned_small,
    reader_model,
)
from leerdata.sdc.withhold import audit_threads

EVALUATION_MARTS: dict[str, tuple[str, str, str]] = {
    # mart -> (evaluation_level, entity column, period_type)
    "mart_course_evaluation": ("course", "course_id", "quarter"),
    "mart_course_evaluation_yearly": ("course", "course_id", "year"),
    "mart_supplier_evaluation": ("supplier", "supplier_id", "quarter"),
    "mart_supplier_evaluation_yearly": ("supplier", "supplier_id", "year"),
    "mart_category_evaluation": ("category", "category_code", "quarter"),
    "mart_category_evaluation_yearly": ("category", "category_code", "year"),
}
PARTICIPATION_MARTS: dict[str, str] = {
    "mart_participation": "quarter",
    "mart_participation_yearly": "year",
}
KEY_COLUMNS = frozenset(
    {
        "course_id",
        "supplier_id",
        "category_code",
        "quarter",
        "year",
        "department_code",
        "breakdown",
        "breakdown_value",
        "suppressed",
        "suppression_reason",
    }
)


@dataclass(frozen=True)
class Finding:
    table: str
    cell: str  # the cell's keys, readable
    problem: str  # measure_published | small_value_published | recomputable
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.table} {self.cell}: {self.problem} {self.detail}".strip()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    }


def _measure_leaks(con: duckdb.DuckDBPyConnection, mart: str) -> list[Finding]:
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where database_name = current_database() and table_name = ?",
            [mart],
        ).fetchall()
        if name not in KEY_COLUMNS
    ]
    if not columns:
        return []
    any_value = " or ".join(f'"{c}" is not null' for c in columns)
    [(count,)] = con.execute(
        f"select count(*) from {mart} where suppressed and ({any_value})"
    ).fetchall()
    return [Finding(mart, "*", "measure_published", f"{count} suppressed rows")] if count else []


def _frame(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    return con.sql(query).pl()


def _evaluation_cells(con: duckdb.DuckDBPyConnection, present: set[str]) -> pl.DataFrame:
    parts = []
    for mart, (level, entity, period_type) in EVALUATION_MARTS.items():
        if mart not in present:
            continue
        nesting = (
            "category_code, supplier_id"
            if level == "course"
            else "null as category_code, null as supplier_id"
        )
        period = "quarter" if period_type == "quarter" else "cast(year as varchar)"
        counts = ", ".join([*EVALUATION_COUNTS, *(m.mean for m in EVALUATION_MEANS)])
        parts.append(
            f"select '{level}' as evaluation_level, {entity} as entity_id, {nesting}, "
            f"'{period_type}' as period_type, {period} as period, year, {counts} from {mart}"
        )
    if not parts:
        return pl.DataFrame()
    return _frame(con, " union all by name ".join(parts))


def _participation_cells(con: duckdb.DuckDBPyConnection, present: set[str]) -> pl.DataFrame:
    parts = []
    for mart, period_type in PARTICIPATION_MARTS.items():
        if mart not in present:
            continue
        period = "quarter" if period_type == "quarter" else "cast(year as varchar)"
        counts = ", ".join([*PARTICIPATION_COUNTS, *(m.mean for m in PARTICIPATION_MEANS)])
        parts.append(
            f"select department_code, breakdown, breakdown_value, '{period_type}' as period_type, "
            f"{period} as period, year, {counts} from {mart}"
        )
    if not parts:
        return pl.DataFrame()
    return _frame(con, " union all by name ".join(parts))


def _small_values(cells: pl.DataFrame, counts: tuple[str, ...], table: str) -> list[Finding]:
    findings = []
    for count in counts:
        bad = cells.filter(pl.col(count).is_between(1, SMALL_VALUES))
        if bad.height:
            findings.append(
                Finding(
                    table,
                    "*",
                    "small_value_published",
                    f"{bad.height} cells with {count} in 1..{SMALL_VALUES}",
                )
            )
    return findings


def _published_cells(db_file: Path) -> tuple[set[str], pl.DataFrame, pl.DataFrame]:
    with duckdb.connect(str(db_file), read_only=True) as con:
        present = _tables(con)
        return present, _evaluation_cells(con, present), _participation_cells(con, present)


def changed_years(cells: pl.DataFrame, before: pl.DataFrame) -> set[int | None]:
    """The years (None: rows without one) with a row in one frame and not in the other.
    Every year when the frames' columns differ."""
    if cells.schema != before.schema:
        return set(cells["year"].unique()) | set(before["year"].unique())
    columns = cells.columns
    differing = pl.concat(
        [
            cells.join(before, on=columns, how="anti", nulls_equal=True),
            before.join(cells, on=columns, how="anti", nulls_equal=True),
        ]
    )
    return set(differing["year"].unique())


def audit_reporting(
    db_file: Path, min_cell_size: int, audited_before: Path | None = None
) -> list[Finding]:
    """Every finding on the protected marts of one reporting database file.

    `audited_before`: a file that passed this audit with the same min_cell_size (the
    published file, for a day's build). A year whose cells are exactly that file's is
    not propagated again: the propagation reads one year's cells at a time and nothing
    else, so it would find what it found then, nothing (2-3 s of a rijk day build for
    the eight years a day does not touch). Everything else is checked on every cell."""
    present, evaluation, participation = _published_cells(db_file)
    with duckdb.connect(str(db_file), read_only=True) as con:
        findings: list[Finding] = []
        for mart in [*EVALUATION_MARTS, *PARTICIPATION_MARTS]:
            if mart in present:
                findings += _measure_leaks(con, mart)
    if evaluation.is_empty() or participation.is_empty():
        return findings
    findings += _small_values(evaluation, EVALUATION_COUNTS, "evaluation")
    findings += _small_values(participation, PARTICIPATION_COUNTS, "participation")
    years = None
    if audited_before is not None and audited_before.exists():
        _, evaluation_before, participation_before = _published_cells(audited_before)
        years = changed_years(evaluation, evaluation_before) | changed_years(
            participation, participation_before
        )
    for table, cells, row_number in _pinned_cells_per_year(
        evaluation, participation, min_cell_size, years
    ):
        row = cells.row(row_number, named=True)
        keys = ", ".join(f"{k}={v}" for k, v in row.items() if isinstance(v, str))
        findings.append(
            Finding(table, keys, "recomputable", "a count below min_cell_size is pinned")
        )
    return findings


def _pinned_cells_per_year(
    evaluation: pl.DataFrame,
    participation: pl.DataFrame,
    min_cell_size: int,
    years: set[int | None] | None = None,
) -> Iterator[tuple[str, pl.DataFrame, int]]:
    """(table, its cells, row number) of every pinned cell of `years` (None: every year).
    Year by year: no relation between published figures joins two years
    (leerdata.sdc.withhold.withhold_pinned), so this finds what one propagation over
    every year finds, and a year that settles early is not propagated again while
    another still needs rounds. The years are propagated side by side on threads, as
    the build's audit does (numpy releases the GIL), and reported in year order."""
    evaluation_years = evaluation["year"].cast(pl.Int64).fill_null(-1).to_numpy()
    participation_years = participation["year"].cast(pl.Int64).fill_null(-1).to_numpy()
    audited = [
        year
        for year in np.union1d(evaluation_years, participation_years)  # -1: no year
        if years is None or (None if year == -1 else int(year)) in years
    ]

    def pinned(year: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
        e_rows = np.flatnonzero(evaluation_years == year)
        p_rows = np.flatnonzero(participation_years == year)
        model = reader_model(evaluation[e_rows], participation[p_rows])
        return e_rows, p_rows, list(pinned_small(model, min_cell_size))

    with ThreadPoolExecutor(audit_threads(len(audited))) as pool:
        for e_rows, p_rows, cells in pool.map(pinned, audited):
            for cell in cells:
                if cell < e_rows.size:
                    yield "evaluation", evaluation, int(e_rows[cell])
                else:
                    yield "participation", participation, int(p_rows[cell - e_rows.size])
