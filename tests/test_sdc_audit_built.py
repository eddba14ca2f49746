"""The disclosure audit on a built warehouse: it passes as built and it catches a table
that is protected by primary suppression only."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from leerdata.config import DataPaths, load_settings
from leerdata.sdc.published import audit_reporting


def test_built_warehouse_passes_the_lp_audit(tiny_warehouse: DataPaths) -> None:
    min_cell_size = load_settings(tiny_warehouse.root).disclosure.min_cell_size
    assert audit_reporting(tiny_warehouse.reporting_db, min_cell_size) == []


def _republish_complements(tiny_warehouse: DataPaths, copy: Path) -> int:
    """Undo complementary suppression in a copy: primary suppression only."""
    shutil.copy(tiny_warehouse.reporting_db, copy)
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as restricted:
        truth = restricted.execute(
            "select quarter, department_code, breakdown, breakdown_value, "
            "cast(participants as bigint) from int_participation_cells_protected "
            "where period_type = 'quarter' and suppression_reason = 'complementary'"
        ).fetchall()
    with duckdb.connect(str(copy)) as con:
        con.executemany(
            "update mart_participation set suppressed = false, "
            "participants = ? where quarter = ? and department_code = ? and breakdown = ? "
            "and breakdown_value = ?",
            [(n, q, d, b, v) for q, d, b, v, n in truth],
        )
    return len(truth)


def test_audit_catches_a_table_with_primary_suppression_only(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    copy = tmp_path / "reporting.duckdb"
    assert _republish_complements(tiny_warehouse, copy) > 0, "tiny data needs complements"
    findings = audit_reporting(copy, load_settings(tiny_warehouse.root).disclosure.min_cell_size)
    exposed = [f for f in findings if f.problem == "exposed"]
    assert exposed, "primary-only suppression must be exposed"
    assert all(f.table.startswith("mart_participation") for f in exposed)


def test_audit_catches_a_published_small_cell_and_a_leaked_measure(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    copy = tmp_path / "reporting.duckdb"
    shutil.copy(tiny_warehouse.reporting_db, copy)
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as restricted:
        course_id, quarter, persons = restricted.execute(
            "select entity_id, quarter, cast(participants as bigint) "
            "from int_evaluation_cells_protected where suppression_reason = 'small_cell' "
            "and evaluation_level = 'course' and period_type = 'quarter' "
            "order by entity_id, quarter limit 1"
        ).fetchone()
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update mart_course_evaluation set suppressed = false, participants = ? "
            "where course_id = ? and quarter = ?",
            [persons, course_id, quarter],
        )
        con.execute(
            "update mart_participation set spend_eur = 0 "
            "where suppressed and department_code = (select min(department_code) "
            "from mart_participation where suppressed)"
        )
    problems = {f.problem for f in audit_reporting(copy, 10)}
    assert {"small_cell_published", "measure_published"} <= problems


def test_audit_reports_published_cells_that_contradict_their_margins(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    copy = tmp_path / "reporting.duckdb"
    shutil.copy(tiny_warehouse.reporting_db, copy)
    with duckdb.connect(str(copy)) as con:
        # A published year 1000 persons above the sum its quarters can reach.
        con.execute(
            "update mart_participation_yearly set participants = participants + 1000 "
            "where not suppressed and breakdown = 'total' and department_code = "
            "(select min(department_code) from mart_participation_yearly "
            " where not suppressed and breakdown = 'total')"
        )
        con.execute(
            "update mart_participation set suppressed = false, participants = 10 where suppressed"
        )
    problems = {f.problem for f in audit_reporting(copy, 10)}
    assert "inconsistent" in problems
