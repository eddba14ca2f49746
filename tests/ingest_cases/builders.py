"""Valid rows per contract source, CSV writers and a minimal UBL invoice.

Tests start from these valid values and break exactly one thing, so a test says which
field is wrong and what the reason must be.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from leerdata.contract import CSV_SOURCES, CsvSource

VALID_VALUES: dict[str, dict[str, str]] = {
    "hr": {
        "employee_id": "E0001",
        "department_code": "VWS",
        "directorate": "Directie Zorg",
        "unit": "Afdeling 1",
        "team": "Team A",
        "last_name": "Jansen",
        "name_prefix": "",
        "initials": "J.",
        "first_names": "Jan",
        "partner_last_name": "",
        "partner_name_prefix": "",
        "salutation": "Dhr.",
        "title_before": "",
        "title_after": "",
        "gender": "M",
        "birth_date": "1980-02-29",
        "birth_place": "Utrecht",
        "email": "jan.jansen@minvws.nl",
        "hire_date": "2010-01-01",
        "exit_date": "",
        "job_title": "Beleidsmedewerker",
        "salary_scale": "11",
    },
    "suppliers": {
        "supplier_id": "SUP01",
        "name": "Opleidingen BV",
        "kvk_number": "12345678",
        "vat_number": "NL001234567B01",
        "is_internal": "false",
    },
    "courses": {
        "course_id": "C001",
        "title": "Excel voor gevorderden",
        "supplier_id": "SUP01",
        "owner_department_code": "VWS",
        "category_code": "ICT",
        "delivery_mode": "classroom",
        "duration_hours": "7.5",
        "pricing_model": "per_participant",
        "price_eur": "495.00",
        "vat_rate": "21",
        "free_cancellation_days": "14",
        "late_cancellation_fee_pct": "50",
        "has_exam": "true",
        "valid_from": "2024-01-01",
        "valid_to": "",
    },
    "sessions": {
        "session_id": "S001",
        "course_id": "C001",
        "start_date": "2024-03-04",
        "end_date": "2024-03-05",
        "days": "2",
        "location": "Den Haag",
        "capacity": "12",
        "status": "held",
    },
    "enrolments": {
        "enrolment_id": "EN0001",
        "employee_id": "E0001",
        "session_id": "S001",
        "status": "completed",
        "requested_at": "2024-01-10T09:15:00",
        "approved_at": "2024-01-11 10:00:00",
        "cancelled_at": "",
        "completed_at": "2024-03-05T17:00:00",
        "payer_department_code": "",
        "order_reference": "PO-1",
        "updated_at": "2024-03-05T17:00:00",
    },
    "attendance": {"enrolment_id": "EN0001", "session_date": "2024-03-04", "present": "true"},
    "exam_results": {
        "exam_result_id": "X001",
        "enrolment_id": "EN0001",
        "exam_date": "2024-03-05",
        "attempt": "1",
        "score": "87.5",
        "passed": "true",
    },
    "evaluations": {
        "evaluation_id": "EV001",
        "enrolment_id": "",
        "session_id": "S001",
        "submitted_at": "2024-03-06T08:00:00",
        "overall": "8",
        "content": "4",
        "trainer": "5",
        "relevance": "4",
        "recommend": "9",
        "comment": 'Goede cursus; "praktisch"',
    },
}

FILE_NAMES = {
    "hr": "hr/hr_VWS_20240301.csv",
    "suppliers": "catalogue/suppliers_20240301.csv",
    "courses": "catalogue/courses_20240301.csv",
    "sessions": "catalogue/sessions_20240301.csv",
    "enrolments": "lms/enrolments_20240301.csv",
    "attendance": "lms/attendance_20240301.csv",
    "exam_results": "lms/exam_results_20240301.csv",
    "evaluations": "lms/evaluations_20240301.csv",
}

SOURCES: dict[str, CsvSource] = {s.name: s for s in CSV_SOURCES}


def valid_rows(source: str, n: int) -> list[dict[str, str]]:
    """n valid rows; key columns get a row number so rows differ."""
    rows = []
    for i in range(n):
        row = dict(VALID_VALUES[source])
        for key in SOURCES[source].key:
            if SOURCES[source].columns[0].name == key:
                row[key] = f"{row[key]}-{i + 1}"
        rows.append(row)
    return rows


def csv_text(rows: list[dict[str, str]], header: list[str], delimiter: str = ";") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue()


def write_csv(
    landing: Path,
    source: str,
    rows: list[dict[str, str]],
    *,
    name: str | None = None,
    header: list[str] | None = None,
    delimiter: str = ";",
    encoding: str = "utf-8",
) -> Path:
    path = landing / (name or FILE_NAMES[source])
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = header or list(SOURCES[source].column_names)
    path.write_bytes(csv_text(rows, columns, delimiter).encode(encoding))
    return path


def write_bytes(landing: Path, name: str, data: bytes) -> Path:
    path = landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def ubl_invoice(
    invoice_id: str = "INV-1",
    lines: int = 2,
    *,
    line_amount: str = "495.00",
    drop: tuple[str, ...] = (),
    currency: str = "EUR",
) -> str:
    """A minimal UBL 2.1 invoice with the contract's fields; `drop` removes elements."""

    def element(tag: str, text: str) -> str:
        return "" if tag in drop else f"<{tag}>{text}</{tag.split(' ')[0]}>"

    invoice_lines = "".join(
        f"""
  <cac:InvoiceLine>
    {element("cbc:ID", str(i))}
    {element('cbc:InvoicedQuantity unitCode="C62"', "1")}
    {element('cbc:LineExtensionAmount currencyID="EUR"', line_amount)}
    <cac:OrderLineReference><cbc:LineID>EN{i:04d}</cbc:LineID></cac:OrderLineReference>
    <cac:Item>
      <cbc:Name>Excel voor gevorderden - J. Jansen</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>C001</cbc:ID></cac:SellersItemIdentification>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">495.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>"""
        for i in range(1, lines + 1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0</cbc:CustomizationID>
  {element("cbc:ID", invoice_id)}
  {element("cbc:IssueDate", "2024-03-10")}
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>PO-1</cbc:BuyerReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyLegalEntity><cbc:RegistrationName>Opleidingen BV</cbc:RegistrationName>
      <cbc:CompanyID schemeID="0106">12345678</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">990.00</cbc:LineExtensionAmount>
  </cac:LegalMonetaryTotal>{invoice_lines}
</Invoice>
"""
