"""`leerdata disputes`: the disputed lines of one supplier as a CSV a clerk can send."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from leerdata.config import DataPaths
from leerdata.errors import LeerdataError
from leerdata.finance.reporting import open_reporting

DISPUTE_COLUMNS: tuple[str, ...] = (
    "supplier_id",
    "supplier_name",
    "invoice_id",
    "issue_date",
    "dispute_level",
    "line_id",
    "order_line_ref",
    "course_id",
    "course_title",
    "invoiced_amount_eur",
    "expected_amount_eur",
    "approved_amount_eur",
    "disputed_amount_eur",
    "reason_codes",
    "reasons_nl",
    # the document chain (issue 16): which document, what it corrects, what was credited
    "document_type",
    "corrected_invoice_id",
    "adjusted_by_invoice_ids",
    "credited_amount_eur",
    "net_disputed_amount_eur",
    "net_verdict",
)


@dataclass(frozen=True)
class DisputeExport:
    path: Path
    rows: int
    disputed_total_eur: Decimal


def _cell(value: object) -> str:
    # Decimals print exactly (str), never through float; NULL is an empty field.
    return "" if value is None else str(value)


def export_disputes(paths: DataPaths, supplier_id: str, out: Path) -> DisputeExport:
    """Write the supplier's disputes (lines and invoice-level) to `out` as CSV (`;`)."""
    columns = ", ".join(DISPUTE_COLUMNS)
    with open_reporting(paths) as con:
        invoicing = [
            row[0]
            for row in con.execute(
                "select distinct supplier_id from fct_invoice_checks "
                "where supplier_id is not null order by 1"
            ).fetchall()
        ]
        # Codes are upper case in the data; 'sup003' means SUP003.
        supplier_id = supplier_id.strip().upper()
        if supplier_id not in invoicing:
            raise LeerdataError(
                f"no invoices from supplier {supplier_id!r} in the warehouse; suppliers "
                f"with invoices: {', '.join(invoicing)}"
            )
        rows = con.execute(
            f"select {columns} from mart_invoice_disputes where supplier_id = ? "
            # invoice-level row first, then lines in numeric order as on the invoice
            "order by issue_date, invoice_id, dispute_level desc, "
            "try_cast(line_id as bigint), line_id",
            [supplier_id],
        ).fetchall()
    out.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: Excel then reads the Dutch texts correctly.
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(DISPUTE_COLUMNS)
        writer.writerows([_cell(v) for v in row] for row in rows)
    level = DISPUTE_COLUMNS.index("dispute_level")
    amount = DISPUTE_COLUMNS.index("disputed_amount_eur")
    total = sum((row[amount] for row in rows if row[level] == "line"), Decimal("0.00"))
    return DisputeExport(path=out, rows=len(rows), disputed_total_eur=total)
