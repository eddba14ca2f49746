"""Department scoping in dashboards/data.py: a department's user reaches its own rows and
no other department's, whatever query it sends; nobody signed in reaches none.

Truth comes from the test's own read-only connection to reporting.duckdb.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from dashboards import data
from dashboards.roles import Scope
from leerdata.config import DataPaths

REPO_ROOT = Path(__file__).resolve().parents[1]

OCW = Scope.of(["OCW"])


def truth(paths: DataPaths, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        return con.sql(sql, params=params).pl()


@pytest.fixture
def warehouse(tiny_warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataPaths]:
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tiny_warehouse.root))
    data.close_connections()
    yield tiny_warehouse
    data.close_connections()


def owned_courses(paths: DataPaths, department: str) -> set[str]:
    frame = truth(
        paths, "select course_id from dim_courses where owner_department_code = ?", [department]
    )
    return set(frame["course_id"])


def departments(paths: DataPaths) -> list[str]:
    frame = truth(paths, "select distinct department_code from mart_participation")
    return sorted(frame["department_code"])


def test_the_tiny_warehouse_has_several_departments_to_keep_apart(warehouse: DataPaths) -> None:
    assert len(departments(warehouse)) >= 3
    other_rows = truth(
        warehouse,
        "select count(*) as n from mart_settlement_matrix "
        "where 'OCW' not in (creditor_department_code, debtor_department_code)",
    )
    assert other_rows["n"][0] > 0  # there is something OCW must not see


@pytest.mark.parametrize("department", ["VWS", "OCW", "SZW"])
def test_finance_of_a_department_sees_its_settlements_and_statements_only(
    warehouse: DataPaths, department: str
) -> None:
    scope = Scope.of([department])
    matrix = data.scoped_query("select * from mart_settlement_matrix", (), scope)
    expected = truth(
        warehouse,
        "select count(*) as n from mart_settlement_matrix "
        "where ? in (creditor_department_code, debtor_department_code)",
        [department],
    )["n"][0]
    assert matrix.height == expected > 0
    assert all(
        department in (row["creditor_department_code"], row["debtor_department_code"])
        for row in matrix.iter_rows(named=True)
    )
    statements = data.scoped_query("select * from mart_department_statements", (), scope)
    assert statements.height > 0
    assert set(statements["department_code"]) == {department}


@pytest.mark.parametrize("department", ["VWS", "OCW", "SZW"])
def test_finance_sees_invoice_checks_of_the_courses_it_owns(
    warehouse: DataPaths, department: str
) -> None:
    scope = Scope.of([department])
    owned = owned_courses(warehouse, department)
    lines = data.scoped_query("select * from fct_invoice_line_checks", (), scope)
    assert lines.height > 0
    for row in lines.iter_rows(named=True):
        assert row["course_id"] in owned or row["matched_course_id"] in owned
    expected_lines = truth(
        warehouse,
        "select count(*) as n from fct_invoice_line_checks where course_id in "
        "(select course_id from dim_courses where owner_department_code = ?) or "
        "matched_course_id in (select course_id from dim_courses where owner_department_code = ?)",
        [department, department],
    )["n"][0]
    assert lines.height == expected_lines
    invoices = data.scoped_query(
        "select supplier_id, invoice_id from fct_invoice_checks", (), scope
    )
    line_invoices = set(zip(lines["supplier_id"], lines["invoice_id"], strict=True))
    assert set(zip(invoices["supplier_id"], invoices["invoice_id"], strict=True)) == line_invoices
    disputes = data.scoped_query("select * from mart_invoice_disputes", (), scope)
    for row in disputes.iter_rows(named=True):
        assert (row["supplier_id"], row["invoice_id"]) in line_invoices
        if row["line_id"] is not None:
            assert row["course_id"] in owned


def test_management_sees_its_own_participation(warehouse: DataPaths) -> None:
    for mart in ("mart_participation", "mart_participation_yearly"):
        frame = data.scoped_query(f"select department_code from {mart}", (), OCW)
        assert frame.height > 0
        assert set(frame["department_code"]) == {"OCW"}


def test_several_departments_and_the_whole_service(warehouse: DataPaths) -> None:
    both = data.scoped_query(
        "select distinct department_code from mart_participation", (), Scope.of(["OCW", "SZW"])
    )
    assert set(both["department_code"]) == {"OCW", "SZW"}
    everything = data.scoped_query(
        "select count(*) as n from mart_settlement_matrix", (), Scope.everything()
    )
    assert (
        everything["n"][0]
        == truth(warehouse, "select count(*) as n from mart_settlement_matrix")["n"][0]
    )


def test_no_scope_sees_no_department_row(warehouse: DataPaths) -> None:
    for mart in sorted(data.SCOPED_MARTS):
        frame = data.scoped_query(f"select count(*) as n from {mart}", (), Scope.nothing())
        assert frame["n"][0] == 0, mart


# Queries a curious (or compromised) page could send to reach VWS's or SZW's rows.
ATTACKS = [
    "select * from main.mart_settlement_matrix",
    "select * from mart_settlement_matrix where true or 1 = 1",
    "with mart_settlement_matrix as (select * from main.mart_settlement_matrix) "
    "select * from mart_settlement_matrix",
    "select * from (select * from mart_settlement_matrix) as inner_rows",
    "select m.* from dim_departments as d join mart_settlement_matrix as m "
    "on m.debtor_department_code = d.department_code",
    "select * from mart_settlement_matrix union all select * from mart_settlement_matrix",
    "select creditor_department_code, debtor_department_code, quarter, amount_eur "
    "from mart_settlement_matrix where debtor_department_code = 'VWS' "
    "and creditor_department_code = 'SZW'",
]


@pytest.mark.parametrize("sql", ATTACKS)
def test_no_query_reaches_another_departments_settlement(warehouse: DataPaths, sql: str) -> None:
    frame = data.scoped_query(sql, (), OCW)
    for row in frame.iter_rows(named=True):
        assert "OCW" in (row["creditor_department_code"], row["debtor_department_code"]), sql


@pytest.mark.parametrize(
    "sql",
    [
        "select * from reporting.main.mart_settlement_matrix",
        "select * from reporting.mart_settlement_matrix",
        "select * from memory.main.mart_settlement_matrix",
        "select * from query_table('reporting.main.mart_settlement_matrix')",
        "select * from query('select * from reporting.main.mart_participation')",
        "set variable leerdata_every_department = true",
        "select * from information_schema.tables",
    ],
)
def test_the_file_behind_the_views_cannot_be_named(warehouse: DataPaths, sql: str) -> None:
    with pytest.raises(data.DisallowedQueryError):
        data.scoped_query(sql, (), OCW)


def test_the_scope_is_bound_not_spliced(warehouse: DataPaths) -> None:
    """A department 'code' that is SQL stays a value: it matches nothing."""
    injected = Scope.of(["OCW') or true or ('"])
    frame = data.scoped_query("select count(*) as n from mart_settlement_matrix", (), injected)
    assert frame["n"][0] == 0


def test_a_cached_answer_is_never_handed_to_another_scope(warehouse: DataPaths) -> None:
    sql = "select distinct department_code from mart_department_statements"
    first = data.scoped_query(sql, (), Scope.of(["VWS"]))
    second = data.scoped_query(sql, (), OCW)
    assert set(first["department_code"]) == {"VWS"}
    assert set(second["department_code"]) == {"OCW"}


def test_outside_a_session_the_steward_sees_everything(warehouse: DataPaths) -> None:
    assert data.current_scope().is_everything
    frame = data.query("select count(*) as n from mart_department_statements")
    assert (
        frame["n"][0]
        == truth(warehouse, "select count(*) as n from mart_department_statements")["n"][0]
    )
