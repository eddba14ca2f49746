"""The rows of int_disclosure_cells_withheld, and which years a day's build audits again.

The audit works year by year (leerdata.sdc.withhold.withhold_pinned): what it withholds
in a year depends on that year's cells and on how the calendar stands to the year
(`year_status`), nothing else. A day's build therefore audits again:

- the years whose cells it recomputed (leerdata.builder.periods); and
- the years that kept withheld cells but whose status has moved since they were audited
  (a year the calendar closed, the running year's open quarter moving on).

A year without a withheld cell keeps none when only its status moves: every status ends
its audit with every figure published and nothing pinned (the last phase that runs
publishes all cells), and a phase that hides the open cells can only pin fewer, since
hiding a figure only widens the reader's bounds. tests/test_sdc_withheld_cells.py audits
recorded cells under every pair of dates and compares with auditing every year.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from leerdata.sdc.withhold import withhold_pinned

CLOSED = "closed"
OPEN = "open"
KEYS = {
    "evaluation": ["evaluation_level", "entity_id", "period_type", "period"],
    "participation": ["department_code", "breakdown", "breakdown_value", "period_type", "period"],
}
KEY_COLUMNS = sorted({c for keys in KEYS.values() for c in keys})
COLUMNS = ["protected_table", *KEY_COLUMNS, "year", "audited_as", "reason"]


def year_status(year: int, open_from: str) -> str:
    """How the audit treats `year` when the periods from `open_from` (YYYY-Qn) are open:
    closed, open, or open from a quarter (the running year after its first quarter)."""
    open_year, quarter = int(open_from[:4]), int(open_from[-1])
    if year < open_year:
        return CLOSED
    if year > open_year or quarter == 1:
        return OPEN
    return f"open from {open_from}"


def years_to_audit(
    previous: pl.DataFrame | None, changed: Iterable[int] | None, open_from: str
) -> set[int] | None:
    """The years to audit again, None for every year. `previous` holds the last build's
    rows (None when there is none), `changed` the recomputed years (None: every year)."""
    if previous is None or changed is None:
        return None
    moved = {
        int(year)
        for year, audited_as in previous.select("year", "audited_as").unique().iter_rows()
        if audited_as != year_status(int(year), open_from)
    }
    return set(changed) | moved


def kept_rows(previous: pl.DataFrame | None, audited: set[int] | None) -> pl.DataFrame:
    """The last build's rows of the years not audited again."""
    if previous is None or audited is None:
        return pl.DataFrame(schema=_schema())
    return previous.filter(~pl.col("year").is_in(sorted(audited))).select(COLUMNS)


def withheld_rows(
    evaluation: pl.DataFrame, participation: pl.DataFrame, min_cell_size: int, open_from: str
) -> pl.DataFrame:
    """One row per cell the audit withholds among the given cells (every cell of the
    years audited: the audit works on whole years)."""
    evaluation = evaluation.sort(KEYS["evaluation"])
    participation = participation.sort(KEYS["participation"])
    result = withhold_pinned(evaluation, participation, min_cell_size, open_from)
    frames = []
    for table, cells, reasons in (
        ("evaluation", evaluation, result.evaluation),
        ("participation", participation, result.participation),
    ):
        marked = cells.select([*KEYS[table], pl.col("year").cast(pl.Int32)]).with_columns(
            pl.Series("reason", list(reasons), dtype=pl.String)
        )
        marked = marked.filter(pl.col("reason").is_not_null())
        statuses = [year_status(year, open_from) for year in marked["year"]]
        marked = marked.with_columns(
            pl.lit(table).alias("protected_table"),
            pl.Series("audited_as", statuses, dtype=pl.String),
        )
        for column in KEY_COLUMNS:
            if column not in marked.columns:
                marked = marked.with_columns(pl.lit(None, dtype=pl.String).alias(column))
        frames.append(marked.select(COLUMNS))
    return pl.concat(frames)


def in_order(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.sort(["protected_table", "year", *KEY_COLUMNS], nulls_last=True)


def _schema() -> dict[str, type[pl.DataType]]:
    return {column: pl.Int32 if column == "year" else pl.String for column in COLUMNS}
