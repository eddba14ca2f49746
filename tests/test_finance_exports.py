"""`leerdata disputes` and `leerdata statement` on a built tiny warehouse: the files say
what the marts say, add up, and carry no person data."""

from __future__ import annotations

import csv
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from lxml import etree
from typer.testing import CliRunner

from leerdata.cli import app
from leerdata.config import DataPaths
from leerdata.duckdb_rows import one_row, scalar
from leerdata.errors import LeerdataError
from leerdata.finance.disputes import DISPUTE_LABELS
from tests.killed_before_rename import run_killed_before_rename

runner = CliRunner()


def _reporting(paths: DataPaths) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(paths.reporting_db), read_only=True)


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
        supplier, expected_rows, expected_disputed = one_row(
            con,
            "select supplier_id, count(*), "
            "sum(disputed_amount_eur) filter (where dispute_level = 'line') "
            "from mart_invoice_disputes group by supplier_id order by count(*) desc, 1 limit 1",
        )
        line_total = scalar(
            con,
            "select sum(disputed_amount_eur) from fct_invoice_line_checks "
            "where supplier_id = ? and verdict = 'disputed'",
            [supplier],
        )
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
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\n") == raw.count(b"\r\n") > 0
    header, labelled = _dutch_csv(out)  # the layout of the statement and the page's file
    assert re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", header["Gegevens van build"])
    assert header["Periode"] and supplier in header["Bestand"]
    by_label = {label: column for column, label in DISPUTE_LABELS.items()}
    rows = [{by_label[label]: value for label, value in row.items()} for row in labelled]
    assert len(rows) == expected_rows > 0
    assert {r["supplier_id"] for r in rows} == {supplier}
    # Amounts are exact decimal text (decimal comma) and the line disputes add up.
    assert all(re.fullmatch(r"-?\d+,\d{2}", r["disputed_amount_eur"]) for r in rows)
    disputed = sum(
        _dutch_amount(r["disputed_amount_eur"]) for r in rows if r["dispute_level"] == "line"
    )
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


def test_disputes_as_excel_keep_amounts_numeric(tiny_warehouse: DataPaths, tmp_path: Path) -> None:
    with _reporting(tiny_warehouse) as con:
        supplier = scalar(con, "select supplier_id from mart_invoice_disputes order by 1 limit 1")
    out = tmp_path / "geschillen.xlsx"
    result = runner.invoke(
        app,
        ["disputes", "--supplier", supplier, "--data-dir", str(tiny_warehouse.root),
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as workbook:
        strings = workbook.read("xl/sharedStrings.xml").decode()
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert "Betwist (€)" in strings and "Toelichting" in strings
    assert re.search(r'<c r="M\d+" s="\d+"><v>-?[\d.]+</v></c>', sheet)  # a number cell


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
        return one_row(
            con,
            "select department_code, quarter from mart_department_statements "
            "group by all order by count(*) desc, sum(payable_eur) desc, 1, 2 limit 1",
        )


def _allocated(paths: DataPaths, department: str, quarter: str) -> tuple[Decimal, Decimal]:
    """Payable and receivable straight from fct_cost_allocation (not the statement mart)."""
    with _reporting(paths) as con:
        return one_row(
            con,
            """
            select
                coalesce(sum(amount_eur) filter (where debtor_department_code = $d), 0),
                coalesce(sum(amount_eur) filter (where creditor_department_code = $d), 0)
            from fct_cost_allocation
            where quarter = $q and creditor_department_code <> debtor_department_code
            """,
            {"d": department, "q": quarter},
        )


def test_statement_csv_adds_up_to_the_allocation(tiny_warehouse: DataPaths, tmp_path: Path) -> None:
    department, quarter = _busiest_statement(tiny_warehouse)
    out = tmp_path / "statement.csv"
    result = runner.invoke(
        app,
        ["statement", "--department", department, "--quarter", quarter,
         "--data-dir", str(tiny_warehouse.root), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    _, rows = _dutch_csv(out)
    total = rows[-1]
    lines = rows[:-1]
    assert total["Tegenpartij"] == "TOTAAL"
    assert lines and all(r["Afdeling"] == department for r in lines)
    payable, receivable = _allocated(tiny_warehouse, department, quarter)
    assert _dutch_amount(total["Te betalen (€)"]) == payable
    assert _dutch_amount(total["Te ontvangen (€)"]) == receivable
    assert _dutch_amount(total["Saldo (€)"]) == receivable - payable
    for row in lines:
        assert row["Tegenpartij"] != department
        assert _dutch_amount(row["Saldo (€)"]) == _dutch_amount(
            row["Te ontvangen (€)"]
        ) - _dutch_amount(row["Te betalen (€)"])


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


# --- the statement as Dutch Excel reads it (issue 14) --------------------------------------


def _statement(paths: DataPaths, out: Path, department: str, quarter: str):
    return runner.invoke(
        app,
        ["statement", "--department", department, "--quarter", quarter,
         "--data-dir", str(paths.root), "--out", str(out)],
    )  # fmt: skip


def _error(result) -> str:
    """The one-line message `leerdata` prints on stderr (main() prints the exception)."""
    assert result.exit_code != 0
    assert isinstance(result.exception, LeerdataError), result.exception
    return str(result.exception)


def _dutch_csv(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The header block (label → value) and the table, read as Dutch Excel would."""
    text = path.read_bytes().decode("utf-8-sig")
    block, _, table = text.partition("\r\n\r\n")
    header = dict(line.split(";", 1) for line in block.split("\r\n"))
    return header, list(csv.DictReader(table.splitlines(), delimiter=";"))


def _dutch_amount(text: str) -> Decimal:
    assert re.fullmatch(r"-?\d+,\d{2}", text), text
    return Decimal(text.replace(",", "."))


def test_statement_csv_opens_in_dutch_excel(tiny_warehouse: DataPaths, tmp_path: Path) -> None:
    department, quarter = _busiest_statement(tiny_warehouse)
    out = tmp_path / "statement.csv"
    result = _statement(tiny_warehouse, out, department, quarter)
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n") > 0, "CRLF line ends only"
    header, rows = _dutch_csv(out)
    assert header["Periode"] == quarter
    assert re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", header["Gegevens van build"])
    assert header["Toelichting"]
    assert list(rows[0]) == [
        "Kwartaal", "Afdeling", "Tegenpartij", "Naam tegenpartij",
        "Te betalen (€)", "Te ontvangen (€)", "Saldo (€)",
    ]  # fmt: skip
    payable, receivable = _allocated(tiny_warehouse, department, quarter)
    total = rows[-1]
    assert total["Tegenpartij"] == "TOTAAL"
    assert _dutch_amount(total["Te betalen (€)"]) == payable
    assert _dutch_amount(total["Te ontvangen (€)"]) == receivable
    # Read back the way a Dutch-locale reader does: `;` and a decimal comma.
    frame = pl.read_csv(out, separator=";", skip_rows=5, decimal_comma=True, encoding="utf8-lossy")
    assert Decimal(str(frame["Saldo (€)"][-1])).quantize(Decimal("0.01")) == receivable - payable


def test_statement_specification_sheet_is_in_dutch(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    department, quarter = _busiest_statement(tiny_warehouse)
    out = tmp_path / "statement.xlsx"
    assert _statement(tiny_warehouse, out, department, quarter).exit_code == 0
    with zipfile.ZipFile(out) as workbook:
        strings = workbook.read("xl/sharedStrings.xml").decode()
    assert "Te betalen" in strings or "Te ontvangen" in strings
    for english in ("payable", "receivable", "participation", "no_show", "late_cancellation"):
        assert f">{english}<" not in strings, english


def test_statement_for_a_quarter_without_settlements_is_an_error(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    out = tmp_path / "s.csv"
    result = _statement(tiny_warehouse, out, "VWS", "2030-Q1")
    with _reporting(tiny_warehouse) as con:
        first, last = one_row(con, "select min(quarter), max(quarter) from mart_settlement_matrix")
    message = _error(result)
    assert "2030-Q1" in message and first in message and last in message  # names what exists
    assert not out.exists()


def test_statement_refuses_a_file_type_it_does_not_write(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    department, quarter = _busiest_statement(tiny_warehouse)
    out = tmp_path / "x.pdf"
    result = _statement(tiny_warehouse, out, department, quarter)
    message = _error(result)
    assert ".csv" in message and ".xlsx" in message
    assert not out.exists()


def test_statement_takes_codes_in_any_case_and_lists_the_valid_ones(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    department, quarter = _busiest_statement(tiny_warehouse)
    lower = _statement(tiny_warehouse, tmp_path / "a.csv", department.lower(), quarter.lower())
    assert lower.exit_code == 0, lower.output
    unknown = _statement(tiny_warehouse, tmp_path / "b.csv", "nope", quarter)
    assert department in _error(unknown)  # the valid codes are listed


def test_statement_says_what_is_wrong_with_a_quarter(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    result = _statement(tiny_warehouse, tmp_path / "s.csv", "VWS", "2025-Q5")
    message = _error(result)
    assert "is not of the form" not in message
    assert "1 to 4" in message


def test_disputes_take_a_supplier_code_in_any_case_and_list_the_valid_ones(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    with _reporting(tiny_warehouse) as con:
        supplier = scalar(con, "select supplier_id from mart_invoice_disputes order by 1 limit 1")
    out = tmp_path / "d.csv"
    lower = runner.invoke(
        app,
        ["disputes", "--supplier", supplier.lower(), "--data-dir", str(tiny_warehouse.root),
         "--out", str(out)],
    )  # fmt: skip
    assert lower.exit_code == 0, lower.output
    unknown = runner.invoke(
        app,
        ["disputes", "--supplier", "nope", "--data-dir", str(tiny_warehouse.root),
         "--out", str(tmp_path / "e.csv")],
    )  # fmt: skip
    assert supplier in _error(unknown)


@pytest.mark.parametrize("command", ["statement", "disputes"])
def test_an_export_killed_while_written_leaves_the_previous_file_whole(
    tiny_warehouse: DataPaths, tmp_path: Path, command: str
) -> None:
    """A clerk's earlier file under the same name stays byte for byte; the new one
    replaces it whole or not at all (before: written in place, so a kill left a
    truncated file under the name that is sent on)."""
    import signal

    out = tmp_path / f"{command}.csv"
    if command == "statement":
        department, quarter = _busiest_statement(tiny_warehouse)
        arguments = ["statement", "--department", department, "--quarter", quarter]
    else:
        with _reporting(tiny_warehouse) as con:
            supplier = scalar(
                con,
                "select supplier_id from fct_invoice_line_checks where verdict = 'disputed' "
                "group by 1 order by count(*) desc, 1 limit 1",
            )
        arguments = ["disputes", "--supplier", supplier]
    arguments += ["--data-dir", str(tiny_warehouse.root), "--out", str(out)]
    previous = b"an earlier file, complete\n"
    out.write_bytes(previous)

    killed = run_killed_before_rename(arguments)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    assert out.read_bytes() == previous
    (left,) = tmp_path.glob(f".{out.name}.*.partial")  # the new file, whole, beside it
    unfinished = left.read_bytes()

    again = runner.invoke(app, arguments)
    assert again.exit_code == 0, again.output
    assert out.read_bytes() == unfinished, "the run again writes the same file"
    assert not left.exists(), "the run again left the killed run's file beside it"
