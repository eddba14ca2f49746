"""The finance marts on a built tiny warehouse, checked in Python independently of the
SQL: status rules, the largest-remainder split, money types and the absence of person
data. (The dbt singular tests check the pool invariants inside the build.)"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest

from leerdata.config import DataPaths

# All on one worker, so the module fixtures (a connection) are built once per run.
pytestmark = pytest.mark.xdist_group("finance_marts")

FINANCE_MARTS = (
    "fct_invoice_line_checks",
    "fct_invoice_checks",
    "fct_cost_allocation",
    "mart_settlement_matrix",
    "mart_department_statements",
    "mart_invoice_disputes",
)
PERSON_COLUMNS = {
    "employee_id",
    "person_key",
    "item_name",
    "last_name",
    "first_names",
    "initials",
    "email",
    "birth_date",
    "birth_place",
    "comment",
}


@pytest.fixture(scope="module")
def reporting(tiny_warehouse: DataPaths):
    con = duckdb.connect(str(tiny_warehouse.reporting_db), read_only=True)
    yield con
    con.close()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns where table_name = ?",
        [table],
    ).fetchall()
    return dict(rows)


@pytest.mark.parametrize("mart", FINANCE_MARTS)
def test_mart_has_exact_money_and_no_person_columns(
    reporting: duckdb.DuckDBPyConnection, mart: str
) -> None:
    columns = _columns(reporting, mart)
    assert columns, f"{mart} not published"
    assert not PERSON_COLUMNS & set(columns)
    assert not [c for c, t in columns.items() if t in {"DOUBLE", "FLOAT", "REAL"}]
    for column, data_type in columns.items():
        if column.endswith("_eur"):
            assert data_type == "DECIMAL(18,2)", (mart, column, data_type)


def test_only_the_allocation_carries_an_enrolment_pseudonym(
    reporting: duckdb.DuckDBPyConnection,
) -> None:
    holders = [m for m in FINANCE_MARTS if "enrolment_key" in _columns(reporting, m)]
    assert holders == ["fct_cost_allocation"]
    # ...and no invoice reference beside it, which would link it to the enrolment id.
    assert not {"invoice_id", "line_id", "order_line_ref"} & set(
        _columns(reporting, "fct_cost_allocation")
    )


def _expected_status(verdicts: list[tuple[str, Decimal]], has_invoice_code: bool) -> str:
    """docs/contract.md section 2, invoice status, written out independently of the SQL."""
    disputed = any(v == "disputed" for v, _ in verdicts)
    approved = any(v == "approved" or a > 0 for v, a in verdicts)
    on_hold = any(v == "on_hold" for v, _ in verdicts)
    if has_invoice_code or (disputed and not approved and not on_hold):
        return "disputed"
    if disputed:
        return "partially_disputed"
    if on_hold:
        return "on_hold"
    return "approved"


def test_invoice_status_and_totals_follow_the_lines(reporting: duckdb.DuckDBPyConnection) -> None:
    lines = reporting.execute(
        "select document_key, verdict, approved_amount_eur, disputed_amount_eur, "
        "on_hold_amount_eur, invoiced_amount_eur, netted_amount_eur, tolerated_excess_eur "
        "from fct_invoice_line_checks"
    ).fetchall()
    by_invoice: dict[str, list[tuple]] = defaultdict(list)
    for row in lines:
        by_invoice[row[0]].append(row[1:])
    invoices = reporting.execute(
        "select document_key, document_type, status, reason_codes, header_total_eur, "
        "invoiced_total_eur, approved_total_eur, disputed_total_eur, on_hold_total_eur, "
        "tolerated_excess_total_eur, netted_total_eur, allowance_total_eur, charge_total_eur "
        "from fct_invoice_checks"
    ).fetchall()
    assert invoices
    statuses, adjusted = set(), 0
    for (key, document_type, status, codes, header, invoiced, approved, disputed, on_hold,
         tolerated, netted, allowances, charges) in invoices:  # fmt: skip
        rows = by_invoice[key]
        sign = -1 if document_type == "credit_note" else 1
        # BR-CO-10 on the amounts as sent (a credit note's lines count negative).
        assert ("TOTAL_MISMATCH" in codes.split(",")) == (header != sign * invoiced), key
        assert invoiced == sum((r[4] for r in rows), Decimal(0))
        assert netted == sum((r[5] for r in rows), Decimal(0))
        if allowances == 0 and charges == 0:
            assert approved == sum((r[1] for r in rows), Decimal(0))
            assert disputed == sum((r[2] for r in rows), Decimal(0))
            assert on_hold == sum((r[3] for r in rows), Decimal(0))
        else:
            adjusted += 1
        assert approved + disputed + on_hold + tolerated + netted == invoiced - allowances + charges
        verdicts = [(r[0], r[1]) for r in rows if r[0] != "netted"]
        assert status == _expected_status(verdicts, codes != ""), key
        statuses.add(status)
    assert "disputed" in statuses or "partially_disputed" in statuses
    assert adjusted, "no document-level allowance or charge in the tiny data"


def test_session_splits_are_largest_remainder_parts(reporting: duckdb.DuckDBPyConnection) -> None:
    """Every part is the floor or the floor + 1 cent of its exact proportional share, and
    the parts of a session add up to the whole."""
    rows = reporting.execute(
        "select session_id, cost_type, debtor_department_code, billable_enrolment_count, "
        "amount_eur from fct_cost_allocation where enrolment_key is null"
    ).fetchall()
    groups: dict[tuple[str, str], list[tuple[str, int, Decimal]]] = defaultdict(list)
    for session_id, cost_type, debtor, weight, amount in rows:
        groups[(session_id, cost_type)].append((debtor, weight, amount))
    assert groups, "no per-session amounts in the tiny data"
    for parts in groups.values():
        total_cents = int(sum(a for _, _, a in parts) * 100)
        weight_sum = sum(w for _, w, _ in parts)
        for _, weight, amount in parts:
            floor_cents = total_cents * weight // weight_sum
            assert floor_cents <= int(amount * 100) <= floor_cents + 1


def test_matrix_is_the_allocation_summed(reporting: duckdb.DuckDBPyConnection) -> None:
    allocation = dict(
        reporting.execute(
            "select quarter || creditor_department_code || '>' || debtor_department_code, "
            "sum(amount_eur) from fct_cost_allocation group by all"
        ).fetchall()
    )
    matrix = dict(
        reporting.execute(
            "select quarter || creditor_department_code || '>' || debtor_department_code, "
            "amount_eur from mart_settlement_matrix"
        ).fetchall()
    )
    assert matrix == allocation and matrix


def test_pool_is_approved_external_lines_plus_internal_amounts(
    reporting: duckdb.DuckDBPyConnection,
) -> None:
    """Allocated external amounts per quarter equal the net approved amounts of the
    invoice lines (credit notes and corrections applied) plus their document shares."""
    approved = dict(
        reporting.execute(
            "select quarter, sum(net_approved_amount_eur + document_share_eur) "
            "from fct_invoice_line_checks where document_type = 'invoice' "
            "and net_approved_amount_eur + document_share_eur <> 0 group by quarter"
        ).fetchall()
    )
    external = dict(
        reporting.execute(
            "select quarter, sum(amount_eur) from fct_cost_allocation "
            "where cost_type <> 'internal' group by quarter"
        ).fetchall()
    )
    assert approved == {q: a for q, a in external.items() if a != 0}
