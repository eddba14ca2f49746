"""Write one parsed UBL invoice: header + lines to the raw tables, or all to quarantine."""

from __future__ import annotations

import duckdb

from leerdata.contract import (
    INVOICE_COLUMNS,
    INVOICE_LINE_COLUMNS,
    RAW_INVOICE_LINES_TABLE,
    RAW_INVOICES_TABLE,
)
from leerdata.ingest.csv_loader import LoadOutcome
from leerdata.ingest.store import FileContext, QuarantineRow, insert_quarantine
from leerdata.ingest.ubl import ParsedInvoice, Problem

HEADER_LINE_NUMBER = 0  # the invoice row's _line_number: it is the document, not a line
_LINEAGE = ("_batch_id", "_file_name", "_file_date", "_line_number")


def load_invoice(
    con: duckdb.DuckDBPyConnection, ctx: FileContext, parsed: ParsedInvoice
) -> LoadOutcome:
    if not parsed.is_valid:
        insert_quarantine(con, ctx, quarantine_rows(parsed))
        return LoadOutcome(
            parsed.line_count, parsed.encoding, None, None, parsed.problems[0].reason
        )

    lineage = [ctx.batch_id, ctx.file_name, ctx.file_date]
    header_columns = [name for name, _ in INVOICE_COLUMNS]
    header_values = [parsed.header.get(name) for name in header_columns[:-1]]
    header_values.append(str(parsed.line_count))
    _insert(
        con, RAW_INVOICES_TABLE, header_columns, [[*header_values, *lineage, HEADER_LINE_NUMBER]]
    )

    line_columns = [name for name, _ in INVOICE_LINE_COLUMNS]
    invoice_id = parsed.header["invoice_id"]
    rows = [
        [invoice_id, *(line.get(name) for name in line_columns[1:]), *lineage, index]
        for index, line in enumerate(parsed.lines, start=1)
    ]
    _insert(con, RAW_INVOICE_LINES_TABLE, line_columns, rows)
    return LoadOutcome(parsed.line_count, parsed.encoding)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[list[object]]
) -> None:
    """One multi-row insert; DuckDB casts the checked strings to the column types."""
    names = ", ".join(f'"{c}"' for c in [*columns, *_LINEAGE])
    row_placeholder = "(" + ", ".join("?" for _ in range(len(columns) + len(_LINEAGE))) + ")"
    values = ", ".join(row_placeholder for _ in rows)
    params = [value for row in rows for value in row]
    con.execute(f"insert into {table} ({names}) values {values}", params)


def quarantine_rows(parsed: ParsedInvoice) -> list[QuarantineRow]:
    """Interpretation #4: every invoice line is quarantined; line 0 only when there are none."""
    header = parsed.header or None
    if parsed.line_count == 0:
        return [_row(p, p.line, header) for p in parsed.problems]
    file_level = [p for p in parsed.problems if p.line == 0]
    first = parsed.problems[0]
    rows: list[QuarantineRow] = []
    for index, line in enumerate(parsed.lines, start=1):
        record = {"invoice": parsed.header, "line": line}
        own = [p for p in parsed.problems if p.line == index]
        problems = file_level + own
        if not problems:
            # A sound line of a rejected invoice: it goes with the invoice, for the same reason.
            problems = [
                Problem(index, first.element, f"rejected with line {first.line}", first.reason)
            ]
        rows += [_row(p, index, record) for p in problems]
    return rows


def _row(problem: Problem, line: int, record: dict[str, object] | None) -> QuarantineRow:
    return QuarantineRow(line, problem.element, problem.raw_value, problem.reason, record)
