"""Files a Dutch-locale spreadsheet opens cleanly: CSV and .xlsx with one layout.

Used by the CLI (`leerdata statement`) and by every dashboard download, so a file looks
the same wherever it came from:

- a header block first (title, period, build time, a note on protection), one
  `label;value` line each, then an empty line, then the table;
- Dutch column headers (the caller passes the labels);
- CSV: UTF-8 with BOM, `;` between fields, a decimal comma and no thousands separator
  (Dutch Excel reads `1234,56` as a number; `1234.56` it turns into text or a date),
  dates as dd-mm-jjjj, CRLF line ends (RFC 4180, what Excel writes);
- .xlsx: numbers stay numeric cells (money with a euro format), so they can be summed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

CSV_SEPARATOR = ";"
LINE_END = "\r\n"
EURO_FORMAT = "€ #,##0.00"
PERCENT_FORMAT = "0.0%"


@dataclass(frozen=True)
class Header:
    """The block above the table: what the file is, for which period, from which build."""

    title: str
    period: str
    built_at: datetime | None
    note: str
    labels: dict[str, str] = field(
        default_factory=lambda: {
            "title": "Bestand",
            "period": "Periode",
            "built_at": "Gegevens van build",
            "note": "Toelichting",
        }
    )

    def rows(self) -> list[tuple[str, str]]:
        built = f"{self.built_at:%d-%m-%Y %H:%M}" if self.built_at else ""
        return [
            (self.labels["title"], self.title),
            (self.labels["period"], self.period),
            (self.labels["built_at"], built),
            (self.labels["note"], self.note),
        ]


@dataclass(frozen=True)
class Table:
    """Rows under their header labels; `money` and `rates` name columns by position."""

    labels: Sequence[str]
    rows: Sequence[Sequence[Any]]
    money: frozenset[int] = frozenset()
    rates: frozenset[int] = frozenset()


def csv_cell(value: Any) -> str:
    """One value as Dutch Excel reads it: 1234,56 · 0,125 · 31-10-2026 · empty for NULL."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text.replace(".", ",")
    if isinstance(value, datetime):
        return f"{value:%d-%m-%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d-%m-%Y}"
    return str(value)


def to_csv_bytes(header: Header, table: Table) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, lineterminator=LINE_END)
    for label, value in header.rows():
        writer.writerow([label, value])
    writer.writerow([])
    writer.writerow(list(table.labels))
    for row in table.rows:
        writer.writerow([csv_cell(value) for value in row])
    # The BOM makes Excel read UTF-8 (ë, é in department names) correctly.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def header_line_count(header: Header) -> int:
    """Lines before the table's own header row (for readers that skip the block)."""
    return len(header.rows()) + 1


def to_xlsx_bytes(header: Header, sheets: Sequence[tuple[str, Table]]) -> bytes:
    """A workbook with the header block on top of every sheet."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": EURO_FORMAT})
    rate = workbook.add_format({"num_format": PERCENT_FORMAT})
    day = workbook.add_format({"num_format": "dd-mm-yyyy"})
    for name, table in sheets:
        sheet = workbook.add_worksheet(name[:31])  # Excel's limit on sheet names
        for r, (label, value) in enumerate(header.rows()):
            sheet.write_string(r, 0, label, bold)
            sheet.write_string(r, 1, value)
        first = header_line_count(header)
        sheet.write_row(first, 0, list(table.labels), bold)
        for r, row in enumerate(table.rows, start=first + 1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if c in table.money:
                    # Excel stores doubles; cents are exact at these magnitudes.
                    sheet.write_number(r, c, float(value), money)
                elif c in table.rates:
                    sheet.write_number(r, c, float(value), rate)
                elif isinstance(value, datetime | date):
                    sheet.write_datetime(r, c, value, day)
                elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, csv_cell(value))
        sheet.set_column(0, max(len(table.labels) - 1, 1), 20)
    workbook.close()
    return buffer.getvalue()
