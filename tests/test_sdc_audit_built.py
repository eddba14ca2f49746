"""The post-build disclosure audit (leerdata.sdc.published) on a built warehouse: it
passes as built, and it refuses a file where a figure leaks."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from leerdata.config import DataPaths, load_settings
from leerdata.duckdb_rows import one_row
from leerdata.sdc.published import audit_reporting
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


def test_audit_catches_a_count_pinned_by_its_year(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    """A course whose year has one quarter: publish the quarter as 7 and the year as 11
    (noise at most 2 each) and the reader knows the count is 9.

    The noise differs with every test session's key, so the two rows are made consistent
    on their own: the course moves to a supplier and category of its own (no margin to
    contradict), and every count other than enrolments and participants is 0."""
    copy = tmp_path / "reporting.duckdb"
    shutil.copy(tiny_warehouse.reporting_db, copy)
    zeros = ", ".join(
        f"{count} = 0" for count in EVALUATION_COUNTS if count not in {"enrolments", "participants"}
    )
    with duckdb.connect(str(copy)) as con:
        course_id, quarter, year = one_row(
            con,
            "select course_id, any_value(quarter), year from mart_course_evaluation "
            "group by course_id, year having count(*) = 1 order by all limit 1",
        )
        for mart, period, published in (
            ("mart_course_evaluation", "quarter", 7),
            ("mart_course_evaluation_yearly", "year", 11),
        ):
            con.execute(
                f"update {mart} set suppressed = false, supplier_id = 'SUP-AUDIT', "
                f"category_code = 'CAT-AUDIT', enrolments = ?, participants = ?, {zeros} "
                f"where course_id = ? and {period} = ?",
                [published, published, course_id, quarter if period == "quarter" else year],
            )
    findings = audit_reporting(copy, 10)
    assert any(f.problem == "recomputable" and course_id in f.cell for f in findings), findings
