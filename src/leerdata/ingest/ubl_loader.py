"""Write one parsed UBL invoice: header + lines to the raw tables, or all to quarantine."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import polars as pl

from leerdata.contract import (
    ALLOWANCE_CHARGE_COLUMNS,
    INVOICE_COLUMNS,
    INVOICE_LINE_COLUMNS,
    RAW_ALLOWANCE_CHARGES_TABLE,
    RAW_INVOICE_LINES_TABLE,
    RAW_INVOICES_TABLE,
    RAW_TAX_SUBTOTALS_TABLE,
    TAX_SUBTOTAL_COLUMNS,
)
from leerdata.ingest.csv_loader import LoadOutcome
from leerdata.ingest.store import FileContext, QuarantineRow, insert_quarantine
from leerdata.ingest.ubl import ParsedInvoice, Problem

HEADER_LINE_NUMBER = 0  # the invoice row's _line_number: it is the document, not a line
_LINEAGE = (
    ("_batch_id", "BIGINT"),
    ("_file_name", "VARCHAR"),
    ("_file_date", "DATE"),
    ("_line_number", "BIGINT"),
)


_COLUMNS = {
    RAW_INVOICES_TABLE: INVOICE_COLUMNS,
    RAW_INVOICE_LINES_TABLE: INVOICE_LINE_COLUMNS,
    RAW_ALLOWANCE_CHARGES_TABLE: ALLOWANCE_CHARGE_COLUMNS,
    RAW_TAX_SUBTOTALS_TABLE: TAX_SUBTOTAL_COLUMNS,
}


class InvoiceRows:
    """Rows of valid invoices, written with one insert per table (a group shares one)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[list[object]]] = {table: [] for table in _COLUMNS}

    def add(self, ctx: FileContext, parsed: ParsedInvoice) -> None:
        lineage = [ctx.batch_id, ctx.file_name, ctx.file_date]
        header = {**parsed.header, "line_count": str(parsed.line_count)}
        self.tables[RAW_INVOICES_TABLE].append(
            [header.get(name) for name, _ in INVOICE_COLUMNS] + [*lineage, HEADER_LINE_NUMBER]
        )
        document = {
            "invoice_id": parsed.header["invoice_id"],
            "document_type": parsed.header["document_type"],
        }
        children = (
            (RAW_INVOICE_LINES_TABLE, parsed.lines),
            (RAW_ALLOWANCE_CHARGES_TABLE, parsed.allowance_charges),
            (RAW_TAX_SUBTOTALS_TABLE, parsed.tax_subtotals),
        )
        for table, records in children:
            for index, record in enumerate(records, start=1):
                row = {**record, **document}
                self.tables[table].append(
                    [row.get(name) for name, _ in _COLUMNS[table]] + [*lineage, index]
                )

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        for table, rows in self.tables.items():
            if rows:
                _insert(con, table, _COLUMNS[table] + _LINEAGE, rows)
            rows.clear()


def load_invoice(
    con: duckdb.DuckDBPyConnection,
    ctx: FileContext,
    parsed: ParsedInvoice,
    rows: InvoiceRows | None = None,
) -> LoadOutcome:
    """A valid invoice goes to `rows` (written now when none is given); else to quarantine."""
    if not parsed.is_valid:
        insert_quarantine(con, ctx, quarantine_rows(parsed))
        return LoadOutcome(
            parsed.line_count, parsed.encoding, None, None, parsed.problems[0].reason
        )
    buffer = rows if rows is not None else InvoiceRows()
    buffer.add(ctx, parsed)
    if rows is None:
        buffer.flush(con)
    return LoadOutcome(parsed.line_count, parsed.encoding)


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[tuple[str, str], ...],
    rows: list[list[object]],
) -> None:
    """One insert from a frame; the values were checked, so every cast succeeds."""
    # Contract values travel as the checked strings; the lineage values are typed already.
    lineage_types = {"_batch_id": pl.Int64(), "_file_date": pl.Date(), "_line_number": pl.Int64()}
    schema = {f"c{i}": lineage_types.get(name, pl.String()) for i, (name, _) in enumerate(columns)}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    names = ", ".join(f'"{name}"' for name, _ in columns)
    casts = ", ".join(f"cast(c{i} as {sql_type})" for i, (_, sql_type) in enumerate(columns))
    con.register("_ingest_invoice_rows", frame)
    try:
        con.execute(f"insert into {table} ({names}) select {casts} from _ingest_invoice_rows")
    finally:
        con.unregister("_ingest_invoice_rows")


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


def _row(problem: Problem, line: int, record: Mapping[str, object] | None) -> QuarantineRow:
    raw_record = dict(record) if record is not None else None
    return QuarantineRow(line, problem.element, problem.raw_value, problem.reason, raw_record)
