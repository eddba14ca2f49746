"""A day's build audits only some years again and keeps the others' withheld cells
(leerdata.sdc.withheld_cells): the result must be that of auditing every year, whatever
the calendar did between the two builds and whichever years the day recomputed."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from leerdata.sdc.reader_model import EVALUATION_COUNTS
from leerdata.sdc.withheld_cells import (
    in_order,
    kept_rows,
    withheld_rows,
    year_status,
    years_to_audit,
)

# 505 participation cells of one department over 2023-2027 (README of the folder)
RECORDED = Path(__file__).parent / "fixtures" / "sdc_recorded_leak"
NO_EVALUATION = pl.DataFrame(
    schema=dict.fromkeys(
        ("evaluation_level", "entity_id", "supplier_id", "category_code", "period_type"),
        pl.String,
    )
    | {"period": pl.String, "year": pl.Int64}
    | dict.fromkeys((f"perturbed_{c}" for c in EVALUATION_COUNTS), pl.Int64)
)
# each of the cells' years closing, and the running year's quarters moving on
DATES = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1", "2027-Q3", "2028-Q1"]


@pytest.fixture
def cells() -> pl.DataFrame:
    return pl.read_parquet(RECORDED / "vws_participation_cells.parquet")


def _of_years(cells: pl.DataFrame, years: set[int] | None) -> pl.DataFrame:
    return cells if years is None else cells.filter(pl.col("year").is_in(sorted(years)))


def _day_build(
    previous: pl.DataFrame, today_cells: pl.DataFrame, changed: list[int], open_from: str
) -> pl.DataFrame:
    """What the model does in a day's build."""
    audited = years_to_audit(previous, changed, open_from)
    rows = withheld_rows(NO_EVALUATION, _of_years(today_cells, audited), 10, open_from)
    return in_order(pl.concat([kept_rows(previous, audited), rows]))


def _full_build(cells: pl.DataFrame, open_from: str) -> pl.DataFrame:
    return in_order(withheld_rows(NO_EVALUATION, cells, 10, open_from))


def test_a_year_audited_again_when_the_calendar_moves_gives_what_auditing_all_does(
    cells: pl.DataFrame,
) -> None:
    """Every pair of dates, a day with no new data: the same cells as a full build."""
    moved_cells = 0
    full_builds = {date: _full_build(cells, date) for date in DATES}
    for first, *later in (DATES[i:] for i in range(len(DATES))):
        previous = full_builds[first]
        for today in later:
            full = full_builds[today]
            assert _day_build(previous, cells, [], today).equals(full), (first, today)
            kept_as_were = kept_rows(previous, set())
            moved_cells += not kept_as_were.drop("audited_as").equals(full.drop("audited_as"))
    # the recorded year 2026 withholds its year cell while open from 2026-Q2..Q4, and
    # its fourth quarter once closed: keeping the old rows would be wrong
    assert moved_cells > 0


def test_a_recomputed_year_is_audited_again(cells: pl.DataFrame) -> None:
    """Yesterday 2026 had no cells yet; today's data recomputed it."""
    yesterday = cells.filter(pl.col("year") != 2026)
    previous = _full_build(yesterday, "2026-Q4")
    full = _full_build(cells, "2026-Q4")
    assert full.filter(pl.col("year") == 2026).height > 0
    assert _day_build(previous, cells, [2026], "2026-Q4").equals(full)
    # without the recomputed year, the day would miss its withheld cell
    assert not _day_build(previous, cells, [], "2026-Q4").equals(full)


def test_a_full_build_audits_every_year(cells: pl.DataFrame) -> None:
    previous = _full_build(cells, "2026-Q4")
    assert years_to_audit(None, [2026], "2026-Q4") is None
    assert years_to_audit(previous, None, "2026-Q4") is None
    assert kept_rows(previous, None).height == 0


@pytest.mark.parametrize(
    ("year", "open_from", "status"),
    [
        (2025, "2026-Q3", "closed"),
        (2026, "2026-Q3", "open from 2026-Q3"),
        (2026, "2026-Q1", "open"),
        (2027, "2026-Q3", "open"),
    ],
)
def test_year_status(year: int, open_from: str, status: str) -> None:
    assert year_status(year, open_from) == status
