"""Downloads: a frame as CSV (UTF-8 with BOM, `;`, decimal point) or as an .xlsx sheet.

Amounts stay exact in the CSV (Decimal → "1234.56"); in Excel they become numeric cells
with a euro format, so totals can be summed there.
"""

from __future__ import annotations

import io

import polars as pl

CSV_SEPARATOR = ";"
EURO_FORMAT = "€ #,##0.00"


def to_csv_bytes(frame: pl.DataFrame) -> bytes:
    # The BOM makes Excel read UTF-8 (ë, é in department names) correctly.
    return b"\xef\xbb\xbf" + frame.write_csv(separator=CSV_SEPARATOR).encode("utf-8")


def to_xlsx_bytes(frame: pl.DataFrame, sheet: str) -> bytes:
    decimal_columns = [name for name, dtype in frame.schema.items() if dtype.is_decimal()]
    numeric = frame.with_columns(pl.col(c).cast(pl.Float64) for c in decimal_columns)
    buffer = io.BytesIO()
    numeric.write_excel(
        buffer,
        worksheet=sheet[:31],  # Excel's limit on sheet names
        column_formats=dict.fromkeys(decimal_columns, EURO_FORMAT),
        autofit=True,
    )
    return buffer.getvalue()
