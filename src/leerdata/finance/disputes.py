"""The dispute file of one supplier: what finance sends back, written here for both
`leerdata disputes` and the Factuurcontrole page's download (the page passes the rows
of its chosen period), so the two files have one layout.

One layout through leerdata.spreadsheet, as the department statement: a header block
(supplier, period, build time, a note), Dutch column headers, and in the CSV a decimal
comma, `;`, dd-mm-jjjj dates, CRLF and a BOM; in Excel numeric money cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from leerdata.atomic_file import write_atomically
from leerdata.config import DataPaths
from leerdata.errors import LeerdataError
from leerdata.finance.reporting import open_reporting
from leerdata.spreadsheet import Header, Table, to_csv_bytes, to_xlsx_bytes

# The file's columns (mart_invoice_disputes) and their Dutch headers. The file goes to a
# supplier's clerk in Dutch whatever language the page is shown in.
DISPUTE_LABELS: dict[str, str] = {
    "supplier_id": "Leverancier",
    "supplier_name": "Naam leverancier",
    "invoice_id": "Factuur",
    "issue_date": "Factuurdatum",
    "dispute_level": "Niveau",
    "line_id": "Regel",
    "order_line_ref": "Orderreferentie",
    "course_id": "Cursuscode",
    "course_title": "Cursus",
    "invoiced_amount_eur": "Gefactureerd (€)",
    "expected_amount_eur": "Verwacht (€)",
    "approved_amount_eur": "Goedgekeurd (€)",
    "disputed_amount_eur": "Betwist (€)",
    "reason_codes": "Redencodes",
    "reasons_nl": "Toelichting",
    # the document chain (issue 16): which document, what it corrects, what was credited
    "document_type": "Soort document",
    "corrected_invoice_id": "Corrigeert factuur",
    "adjusted_by_invoice_ids": "Verrekend met",
    "credited_amount_eur": "Gecrediteerd (€)",
    "net_disputed_amount_eur": "Netto betwist (€)",
    "net_verdict": "Oordeel netto",
}
DISPUTE_COLUMNS: tuple[str, ...] = tuple(DISPUTE_LABELS)
MONEY_COLUMNS = frozenset(
    i for i, column in enumerate(DISPUTE_COLUMNS) if column.endswith("_amount_eur")
)
# Dispute level: the invoice-level row first, then lines in numeric order as on the invoice.
LINE_ORDER = "dispute_level desc, try_cast(line_id as bigint), line_id"
DISPUTE_NOTE = (
    "Betwiste factuurregels en facturen met de reden in het Nederlands, met de eigen "
    "referenties van de leverancier; bedragen exact tot op de cent; geen persoonsgegevens."
)
SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class DisputeFile:
    supplier_id: str
    supplier_name: str
    period: str
    built_at: datetime | None
    rows: Sequence[Sequence[Any]]  # in DISPUTE_COLUMNS order


@dataclass(frozen=True)
class DisputeExport:
    path: Path
    rows: int
    disputed_total_eur: Decimal


def dispute_header(disputes: DisputeFile) -> Header:
    return Header(
        title=f"Geschillen {disputes.supplier_name} ({disputes.supplier_id})",
        period=disputes.period,
        built_at=disputes.built_at,
        note=DISPUTE_NOTE,
    )


def dispute_table(disputes: DisputeFile) -> Table:
    return Table(tuple(DISPUTE_LABELS.values()), disputes.rows, money=MONEY_COLUMNS)


def disputes_csv(disputes: DisputeFile) -> bytes:
    return to_csv_bytes(dispute_header(disputes), dispute_table(disputes))


def disputes_xlsx(disputes: DisputeFile) -> bytes:
    return to_xlsx_bytes(dispute_header(disputes), [("Geschillen", dispute_table(disputes))])


def line_disputed_total(rows: Sequence[Sequence[Any]]) -> Decimal:
    level = DISPUTE_COLUMNS.index("dispute_level")
    amount = DISPUTE_COLUMNS.index("disputed_amount_eur")
    return sum((row[amount] for row in rows if row[level] == "line"), Decimal("0.00"))


def read_disputes(paths: DataPaths, supplier_id: str) -> DisputeFile:
    """Every dispute of one supplier in the published marts, oldest invoice first."""
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
            f"select {', '.join(DISPUTE_COLUMNS)} from mart_invoice_disputes "
            f"where supplier_id = ? order by issue_date, invoice_id, {LINE_ORDER}",
            [supplier_id],
        ).fetchall()
        name = con.execute(
            "select max(supplier_name) from mart_invoice_disputes where supplier_id = ?",
            [supplier_id],
        ).fetchone()
        built = con.execute("select max(built_at) from mart_quality_build").fetchone()
    issue = DISPUTE_COLUMNS.index("issue_date")
    months = sorted({f"{row[issue]:%Y-%m}" for row in rows if row[issue] is not None})
    period = f"{months[0]} – {months[-1]}" if months else ""
    return DisputeFile(
        supplier_id=supplier_id,
        supplier_name=(name[0] if name and name[0] else supplier_id),
        period=period if len(months) != 1 else months[0],
        built_at=built[0] if built else None,
        rows=rows,
    )


def export_disputes(paths: DataPaths, supplier_id: str, out: Path) -> DisputeExport:
    """Write the supplier's disputes (lines and invoice-level) to `out`: .csv or .xlsx."""
    if out.suffix.lower() not in SUFFIXES:
        raise LeerdataError(f"cannot write {out.name!r}: a dispute file is .csv or .xlsx")
    disputes = read_disputes(paths, supplier_id)
    if out.suffix.lower() == ".xlsx":
        write_atomically(out, disputes_xlsx(disputes))
    else:
        write_atomically(out, disputes_csv(disputes))
    return DisputeExport(
        path=out, rows=len(disputes.rows), disputed_total_eur=line_disputed_total(disputes.rows)
    )
