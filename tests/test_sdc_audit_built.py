"""The post-build disclosure audit (leerdata.sdc.published) on a built warehouse: it
passes as built, and it refuses a file where a figure leaks."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from leerdata.config import DataPaths, load_settings
from leerdata.duckdb_rows import one_row
from leerdata.sdc.published import audit_reporting, changed_years
from leerdata.sdc.reader_model import EVALUATION_COUNTS


def test_built_warehouse_passes_the_audit(tiny_warehouse: DataPaths) -> None:
    min_cell_size = load_settings(tiny_warehouse.root).disclosure.min_cell_size
    assert audit_reporting(tiny_warehouse.reporting_db, min_cell_size) == []


def test_audit_catches_a_small_value_and_a_withheld_cells_figure(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    copy = tmp_path / "reporting.duckdb"
    shutil.copy(tiny_warehouse.reporting_db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update mart_course_evaluation set no_shows = 1 where course_id = "
            "(select min(course_id) from mart_course_evaluation where not suppressed)"
        )
        con.execute(
            "update mart_participation set suppressed = true, spend_eur = 0 "
            "where department_code = "
            "(select min(department_code) from mart_participation) and breakdown = 'gender'"
        )
    problems = {f.problem for f in audit_reporting(copy, 10)}
    assert {"small_value_published", "measure_published"} <= problems


def _pin_a_count_by_its_year(reporting_db: Path, copy: Path) -> str:
    """A copy of the file with one course's count pinned; the course's id."""
    """A course whose year has one quarter: publish the quarter as 7 and the year as 11
    (noise at most 2 each) and the reader knows the count is 9.

    The noise differs with every test session's key, so the two rows are made consistent
    on their own: the course moves to a supplier and category of its own (no margin to
    contradict), and every count other than enrolments and participants is 0."""
    shutil.copy(reporting_db, copy)
    with duckdb.connect(str(copy)) as con:
        course_id, quarter, year = one_row(
            con,
            "select course_id, any_value(quarter), year from mart_course_evaluation "
            "group by course_id, year having count(*) = 1 order by all limit 1",
        )
        _publish_pinned(con, course_id, quarter, year, "AUDIT")
    return str(course_id)


def _publish_pinned(
    con: duckdb.DuckDBPyConnection, course_id: str, quarter: str, year: int, owner: str
) -> None:
    """Publish the course's quarter as 7 and its year as 11 under a supplier and category
    of its own (SUP-<owner>, CAT-<owner>), every count besides enrolments and
    participants 0: the reader knows the count is 9."""
    zeros = ", ".join(
        f"{count} = 0" for count in EVALUATION_COUNTS if count not in {"enrolments", "participants"}
    )
    for mart, period, published in (
        ("mart_course_evaluation", "quarter", 7),
        ("mart_course_evaluation_yearly", "year", 11),
    ):
        con.execute(
            f"update {mart} set suppressed = false, supplier_id = 'SUP-{owner}', "
            f"category_code = 'CAT-{owner}', enrolments = ?, participants = ?, {zeros} "
            f"where course_id = ? and {period} = ?",
            [published, published, course_id, quarter if period == "quarter" else year],
        )


def _pinned(findings: list, course_id: str) -> bool:
    return any(f.problem == "recomputable" and course_id in f.cell for f in findings)


@pytest.mark.parametrize("as_a_day_build", [False, True])
def test_audit_catches_a_count_pinned_by_its_year(
    tiny_warehouse: DataPaths, tmp_path: Path, as_a_day_build: bool
) -> None:
    """A course whose year has one quarter: publish the quarter as 7 and the year as 11
    (noise at most 2 each) and the reader knows the count is 9. As a day build's audit
    (the published file given as audited before), the changed year is audited.

    The noise differs with every test session's key, so the two rows are made consistent
    on their own: the course moves to a supplier and category of its own (no margin to
    contradict), and every count other than enrolments and participants is 0."""
    copy = tmp_path / "reporting.duckdb"
    course_id = _pin_a_count_by_its_year(tiny_warehouse.reporting_db, copy)
    before = tiny_warehouse.reporting_db if as_a_day_build else None
    assert _pinned(audit_reporting(copy, 10, audited_before=before), course_id)


def test_a_year_equal_to_the_audited_files_is_not_propagated_again(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    """The skip is real: a file given as audited before is trusted for its years. (The
    build gives only the published file, which passed this audit.)"""
    copy = tmp_path / "reporting.duckdb"
    course_id = _pin_a_count_by_its_year(tiny_warehouse.reporting_db, copy)
    assert not _pinned(audit_reporting(copy, 10, audited_before=copy), course_id)


def test_changed_years_are_those_with_a_row_added_removed_or_changed() -> None:
    cells = pl.DataFrame(
        {"year": [2024, 2025, 2026, None], "period": ["a", "b", "c", "d"], "n": [1, 2, 3, 4]}
    )
    assert changed_years(cells, cells) == set()
    assert changed_years(cells.with_columns(n=pl.Series([1, 2, 9, 4])), cells) == {2026}
    assert changed_years(cells.head(3), cells) == {None}  # a row removed
    assert changed_years(cells, cells.tail(3)) == {2024}  # a row added
    assert changed_years(cells.with_columns(n=pl.Series([1, None, 3, 4])), cells) == {2025}
    assert changed_years(cells.drop("n"), cells) == {2024, 2025, 2026, None}


def test_counts_pinned_in_two_years_are_both_found_in_year_order(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    """The years are propagated side by side: each finding must still name its own
    course and year, and the findings come in year order."""
    copy = tmp_path / "reporting.duckdb"
    shutil.copy(tiny_warehouse.reporting_db, copy)
    with duckdb.connect(str(copy)) as con:
        # one course with a single quarter in each of two years, the later year first
        picked = con.execute(
            "select course_id, quarter, year from ("
            "  select course_id, any_value(quarter) as quarter, year from mart_course_evaluation"
            "  group by course_id, year having count(*) = 1"
            ") qualify row_number() over (partition by year order by course_id) = 1 "
            "order by year desc limit 2"
        ).fetchall()
        assert len({year for _, _, year in picked}) == 2, picked
        for n, (course_id, quarter, year) in enumerate(picked):
            _publish_pinned(con, course_id, quarter, year, f"AUDIT-{n}")
    found = [f.cell for f in audit_reporting(copy, 10) if f.problem == "recomputable"]
    expected = sorted(picked, key=lambda row: row[2])
    for course_id, _, year in expected:
        assert any(f"entity_id={course_id}," in cell and str(year) in cell for cell in found), (
            course_id,
            year,
            found,
        )
    first_of = [
        next(i for i, cell in enumerate(found) if f"entity_id={course_id}," in cell)
        for course_id, _, _ in expected
    ]
    assert first_of == sorted(first_of), found
