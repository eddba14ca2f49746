"""Downloads that open cleanly in Dutch Excel, built by leerdata.spreadsheet (the same
writer as `leerdata statement` and `leerdata disputes`): a header block with the period,
the build time and a note; translated headers and values; decimal comma and `;` in the
CSV; CRLF line ends. Amounts stay exact in the CSV (Decimal → "1234,56"); in Excel they
are numeric cells with a euro format, so totals can be summed there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import polars as pl
import streamlit as st

from dashboards import access_log, data, queries
from dashboards.i18n import t
from dashboards.ui import Column, translate_value
from leerdata.finance.disputes import DISPUTE_COLUMNS, DisputeFile, disputes_csv, disputes_xlsx
from leerdata.finance.statement import Statement, statement_csv, statement_xlsx
from leerdata.spreadsheet import Header, Table, to_csv_bytes, to_xlsx_bytes

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def built_at() -> datetime | None:
    return queries.built_at()


def header(title: str, period: str, note: str) -> Header:
    return Header(
        title=title,
        period=period,
        built_at=built_at(),
        note=note,
        labels={
            "title": t("export.title"),
            "period": t("export.period"),
            "built_at": t("export.built_at"),
            "note": t("export.note"),
        },
    )


def table(frame: pl.DataFrame, columns: Sequence[Column]) -> Table:
    """The frame's columns under their translated labels; coded values translated.
    A suppressed measure is an empty cell (never 0), as in the marts."""
    values = [
        [
            translate_value(column.translate, str(value))
            if column.translate and value is not None
            else value
            for value in frame[column.name].to_list()
        ]
        for column in columns
    ]
    rows = list(zip(*values, strict=True)) if values else []
    return Table(
        [t(column.label) for column in columns],
        rows,
        money=frozenset(i for i, c in enumerate(columns) if c.kind == "euro"),
        rates=frozenset(i for i, c in enumerate(columns) if c.kind == "pct"),
    )


def download_buttons(
    frame: pl.DataFrame,
    columns: Sequence[Column],
    *,
    title: str,
    period: str,
    note: str,
    file_stem: str,
    key: str,
) -> None:
    """A CSV and an Excel button side by side for one table."""
    block = header(title, period, note)
    shown = table(frame, columns)
    csv_column, xlsx_column = st.columns(2)
    csv_column.download_button(
        t("export.download_csv"),
        to_csv_bytes(block, shown),
        file_name=f"{file_stem}.csv",
        on_click=access_log.export_downloaded,
        args=(f"{file_stem}.csv",),
        mime="text/csv",
        key=f"{key}_csv",
    )
    xlsx_column.download_button(
        t("export.download_xlsx"),
        to_xlsx_bytes(block, [(title, shown)]),
        file_name=f"{file_stem}.xlsx",
        on_click=access_log.export_downloaded,
        args=(f"{file_stem}.xlsx",),
        mime=XLSX_MIME,
        key=f"{key}_xlsx",
    )


def statement(quarter: str, department: str) -> Statement:
    """A department's statement as `leerdata statement` reads it, from the published
    marts (summary) and the named allocation query (specification)."""
    lines = queries.department_statement(quarter, department)
    details = data.statement_details(quarter, department)
    payable = sum(lines["payable_eur"].to_list(), Decimal("0.00"))
    receivable = sum(lines["receivable_eur"].to_list(), Decimal("0.00"))
    return Statement(
        department,
        quarter,
        lines.rows(),
        details.rows(),
        payable,
        receivable,
        built_at(),
    )


def statement_buttons(quarter: str, department: str, key: str) -> None:
    """The statement as CSV and Excel: byte for byte what `leerdata statement` writes."""
    chosen = statement(quarter, department)
    _download_pair(
        (t("verrekening.download_csv"), t("verrekening.download_xlsx")),
        statement_csv(chosen),
        statement_xlsx(chosen),
        f"afrekening_{department}_{quarter}",
        key,
    )


def dispute_buttons(
    frame: pl.DataFrame, *, supplier_id: str, supplier_name: str, period: str, key: str
) -> None:
    """The dispute file of the rows shown, as CSV and Excel: the writer of
    `leerdata disputes` (leerdata.finance.disputes), so both files have one layout."""
    chosen = DisputeFile(
        supplier_id, supplier_name, period, built_at(), frame.select(DISPUTE_COLUMNS).rows()
    )
    file_stem = f"geschillen_{supplier_id}_{period.replace(' – ', '_')}"
    _download_pair(
        (t("export.download_csv"), t("export.download_xlsx")),
        disputes_csv(chosen),
        disputes_xlsx(chosen),
        file_stem,
        key,
    )


def _download_pair(
    labels: tuple[str, str], csv: bytes, xlsx: bytes, file_stem: str, key: str
) -> None:
    """A CSV and an Excel download side by side; each download is logged."""
    csv_column, xlsx_column = st.columns(2)
    for column, label, content, extension, mime in (
        (csv_column, labels[0], csv, "csv", "text/csv"),
        (xlsx_column, labels[1], xlsx, "xlsx", XLSX_MIME),
    ):
        column.download_button(
            label,
            content,
            file_name=f"{file_stem}.{extension}",
            on_click=access_log.export_downloaded,
            args=(f"{file_stem}.{extension}",),
            mime=mime,
            key=f"{key}_{extension}",
        )
