"""`leerdata disputes` and `leerdata statement` on a built tiny warehouse: the files say
what the marts say, add up, and carry no person data."""

from __future__ import annotations

import csv
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from lxml import etree
from typer.testing import CliRunner

from leerdata.cli import app
from leerdata.config import DataPaths

runner = CliRunner()


def _reporting(paths: DataPaths) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(paths.reporting_db), read_only=True)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _item_names(paths: DataPaths) -> set[str]:
    """Invoice item names that are more than a course title (they may name a person)."""
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        rows = con.execute(
            "select distinct item_name from raw_invoice_lines where item_name is not null "
            "and item_name not in (select title from raw_courses)"
        ).fetchall()
    return {row[0] for row in rows}


def test_disputes_csv_lists_every_dispute_of_the_supplier(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    with _reporting(tiny_warehouse) as con:
        supplier, expected_rows, expected_disputed = con.execute(
            "select supplier_id, count(*), "
            "sum(disputed_amount_eur) filter (where dispute_level = 'line') "
            "from mart_invoice_disputes group by supplier_id order by count(*) desc, 1 limit 1"
        ).fetchone()
        line_total = con.execute(
            "select sum(disputed_amount_eur) from fct_invoice_line_checks "
            "where supplier_id = ? and verdict = 'disputed'",
            [supplier],
        ).fetchone()[0]
    out = tmp_path / "disputes.csv"
    result = runner.invoke(
        app,
        [
            "disputes",
            "--supplier",
            supplier,
            "--data-dir",
            str(tiny_warehouse.root),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = _read_csv(out)
    assert len(rows) == expected_rows > 0
    assert {r["supplier_id"] for r in rows} == {supplier}
    # Amounts are exact decimal text and the line disputes add up to the checks.
    assert all(re.fullmatch(r"-?\d+\.\d{2}", r["disputed_amount_eur"]) for r in rows)
    disputed = sum(Decimal(r["disputed_amount_eur"]) for r in rows if r["dispute_level"] == "line")
    assert disputed == expected_disputed == line_total
    for row in rows:
        # Each code explained in Dutch, once per code.
        codes = row["reason_codes"].split(",")
        assert codes and all(codes)
        assert len(row["reasons_nl"].split(" | ")) == len(codes)
        if row["dispute_level"] == "line":
            assert row["invoice_id"] and row["line_id"]
    text = out.read_text(encoding="utf-8-sig")
    assert "enrolment_key" not in text and "person_key" not in text
    assert not [name for name in _item_names(tiny_warehouse) if name in text]


def test_disputes_for_an_unknown_supplier_is_an_error(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    result = runner.invoke(
        app,
        ["disputes", "--supplier", "NO-SUCH", "--data-dir", str(tiny_warehouse.root),
         "--out", str(tmp_path / "x.csv")],
    )  # fmt: skip
    assert result.exit_code != 0
    assert not (tmp_path / "x.csv").exists()


def _busiest_statement(paths: DataPaths) -> tuple[str, str]:
    with _reporting(paths) as con:
        return con.execute(
            "select department_code, quarter from mart_department_statements "
            "group by all order by count(*) desc, sum(payable_eur) desc, 1, 2 limit 1"
        ).fetchone()


def _allocated(paths: DataPaths, department: str, quarter: str) -> tuple[Decimal, Decimal]:
    """Payable and receivable straight from fct_cost_allocation (not the statement mart)."""
    with _reporting(paths) as con:
        return con.execute(
            """
            select
                coalesce(sum(amount_eur) filter (where debtor_department_code = $d), 0),
                coalesce(sum(amount_eur) filter (where creditor_department_code = $d), 0)
            from fct_cost_allocation
            where quarter = $q and creditor_department_code <> debtor_department_code
            """,
            {"d": department, "q": quarter},
        ).fetchone()


def test_statement_csv_adds_up_to_the_allocation(tiny_warehouse: DataPaths, tmp_path: Path) -> None:
    department, quarter = _busiest_statement(tiny_warehouse)
    out = tmp_path / "statement.csv"
    result = runner.invoke(
        app,
        ["statement", "--department", department, "--quarter", quarter,
         "--data-dir", str(tiny_warehouse.root), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _read_csv(out)
    total = rows[-1]
    lines = rows[:-1]
    assert total["counterparty_department_code"] == "TOTAAL"
    assert lines and all(r["department_code"] == department for r in lines)
    payable, receivable = _allocated(tiny_warehouse, department, quarter)
    assert Decimal(total["payable_eur"]) == payable
    assert Decimal(total["receivable_eur"]) == receivable
    assert Decimal(total["net_eur"]) == receivable - payable
    for row in lines:
        assert row["counterparty_department_code"] != department
        assert Decimal(row["net_eur"]) == Decimal(row["receivable_eur"]) - Decimal(
            row["payable_eur"]
        )


def _sheet_numbers(path: Path, sheet: int) -> list[float]:
    with zipfile.ZipFile(path) as workbook:
        root = etree.fromstring(workbook.read(f"xl/worksheets/sheet{sheet}.xml"))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    numbers = []
    for cell in root.iterfind(".//m:c", ns):
        value = cell.find("m:v", ns)
        if value is not None and cell.get("t") is None:  # t="s" marks a shared string
            numbers.append(float(value.text))
    return numbers


def test_statement_xlsx_has_overview_and_detail_sheets(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    department, quarter = _busiest_statement(tiny_warehouse)
    out = tmp_path / "statement.xlsx"
    result = runner.invoke(
        app,
        ["statement", "--department", department, "--quarter", quarter,
         "--data-dir", str(tiny_warehouse.root), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as workbook:
        names = workbook.read("xl/workbook.xml").decode()
    assert "Overzicht" in names and "Specificatie" in names
    payable, receivable = _allocated(tiny_warehouse, department, quarter)
    overview = _sheet_numbers(out, 1)
    # The total row is the last three numbers: payable, receivable, net.
    assert overview[-3:] == [float(payable), float(receivable), float(receivable - payable)]


@pytest.mark.parametrize(
    ("department", "quarter"), [("VWS", "2025Q3"), ("NOPE", "2025-Q3"), ("VWS", "2025-Q5")]
)
def test_statement_rejects_bad_arguments(
    tiny_warehouse: DataPaths, tmp_path: Path, department: str, quarter: str
) -> None:
    result = runner.invoke(
        app,
        ["statement", "--department", department, "--quarter", quarter,
         "--data-dir", str(tiny_warehouse.root), "--out", str(tmp_path / "s.csv")],
    )  # fmt: skip
    assert result.exit_code != 0
