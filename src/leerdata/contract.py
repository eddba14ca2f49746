"""The landing-zone contract (docs/contract.md section 1) as data.

One place that says which files exist, which columns they carry, their types and the
values they may hold. The generator writes to it, ingest validates against it and the
dbt sources are declared from the same raw table names, so the three cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "int", "decimal", "date", "timestamp", "bool"]

# Columns every raw table carries besides the contract's own (lineage for the steward).
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_batch_id", "BIGINT"),
    ("_file_name", "VARCHAR"),  # path relative to landing/
    ("_file_date", "DATE"),  # date in the file name: orders upserts ("newest file wins")
    ("_line_number", "BIGINT"),  # physical line in the CSV (header = 1); line index in UBL
)

DUCKDB_TYPES: dict[ColumnType, str] = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "text"
    required: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class CsvSource:
    """One kind of CSV file in the landing zone."""

    name: str  # stable identifier, used in the manifest and quarantine
    folder: str  # sub-folder of landing/
    file_pattern: str  # regex on the file name; group 'date' is YYYYMMDD
    table: str  # raw table in restricted.duckdb
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default_factory=tuple)

    def match(self, file_name: str) -> re.Match[str] | None:
        return re.fullmatch(self.file_pattern, file_name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _text(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n) for n in names)


GENDERS = ("M", "F", "X")
DELIVERY_MODES = ("classroom", "e-learning", "blended", "webinar")
PRICING_MODELS = ("per_participant", "per_session")
SESSION_STATUSES = ("scheduled", "held", "cancelled_by_supplier")
ENROLMENT_STATUSES = (
    "requested",
    "approved",
    "rejected",
    "waitlisted",
    "enrolled",
    "cancelled",
    "completed",
    "no_show",
)

HR = CsvSource(
    name="hr",
    folder="hr",
    file_pattern=r"hr_(?P<dept>[A-Za-z0-9]+)_(?P<date>\d{8})\.csv",
    table="raw_hr",
    key=("employee_id",),
    columns=(
        Column("employee_id", required=True),
        Column("department_code", required=True),
        *_text("directorate", "unit", "team"),
        *_text("last_name", "name_prefix", "initials", "first_names"),
        *_text("partner_last_name", "partner_name_prefix", "salutation"),
        *_text("title_before", "title_after"),
        Column("gender", allowed=GENDERS),
        Column("birth_date", "date"),
        Column("birth_place"),
        Column("email"),
        Column("hire_date", "date"),
        Column("exit_date", "date"),
        Column("job_title"),
        Column("salary_scale", "int", minimum=1, maximum=18),
    ),
)

SUPPLIERS = CsvSource(
    name="suppliers",
    folder="catalogue",
    file_pattern=r"suppliers_(?P<date>\d{8})\.csv",
    table="raw_suppliers",
    key=("supplier_id",),
    columns=(
        Column("supplier_id", required=True),
        Column("name", required=True),
        Column("kvk_number"),
        Column("vat_number"),
        Column("is_internal", "bool", required=True),
    ),
)

COURSES = CsvSource(
    name="courses",
    folder="catalogue",
    file_pattern=r"courses_(?P<date>\d{8})\.csv",
    table="raw_courses",
    key=("course_id", "valid_from"),
    columns=(
        Column("course_id", required=True),
        Column("title", required=True),
        Column("supplier_id", required=True),
        Column("owner_department_code", required=True),
        Column("category_code", required=True),
        Column("delivery_mode", required=True, allowed=DELIVERY_MODES),
        Column("duration_hours", "decimal", minimum=0),
        Column("pricing_model", required=True, allowed=PRICING_MODELS),
        Column("price_eur", "decimal", required=True, minimum=0),
        Column("vat_rate", "int", required=True, allowed=("0", "21")),
        Column("free_cancellation_days", "int", required=True, minimum=0),
        Column("late_cancellation_fee_pct", "decimal", required=True, minimum=0, maximum=100),
        Column("has_exam", "bool", required=True),
        Column("valid_from", "date", required=True),
        Column("valid_to", "date"),
    ),
)

SESSIONS = CsvSource(
    name="sessions",
    folder="catalogue",
    file_pattern=r"sessions_(?P<date>\d{8})\.csv",
    table="raw_sessions",
    key=("session_id",),
    columns=(
        Column("session_id", required=True),
        Column("course_id", required=True),
        Column("start_date", "date", required=True),
        Column("end_date", "date", required=True),
        Column("days", "int", minimum=1),
        Column("location"),
        Column("capacity", "int", minimum=0),
        Column("status", required=True, allowed=SESSION_STATUSES),
    ),
)

ENROLMENTS = CsvSource(
    name="enrolments",
    folder="lms",
    file_pattern=r"enrolments_(?P<date>\d{8})\.csv",
    table="raw_enrolments",
    key=("enrolment_id",),
    columns=(
        Column("enrolment_id", required=True),
        Column("employee_id", required=True),
        Column("session_id", required=True),
        Column("status", required=True, allowed=ENROLMENT_STATUSES),
        Column("requested_at", "timestamp"),
        Column("approved_at", "timestamp"),
        Column("cancelled_at", "timestamp"),
        Column("completed_at", "timestamp"),
        Column("payer_department_code"),
        Column("order_reference"),
        Column("updated_at", "timestamp", required=True),
    ),
)

ATTENDANCE = CsvSource(
    name="attendance",
    folder="lms",
    file_pattern=r"attendance_(?P<date>\d{8})\.csv",
    table="raw_attendance",
    key=("enrolment_id", "session_date"),
    columns=(
        Column("enrolment_id", required=True),
        Column("session_date", "date", required=True),
        Column("present", "bool", required=True),
    ),
)

EXAM_RESULTS = CsvSource(
    name="exam_results",
    folder="lms",
    file_pattern=r"exam_results_(?P<date>\d{8})\.csv",
    table="raw_exam_results",
    key=("exam_result_id",),
    columns=(
        Column("exam_result_id", required=True),
        Column("enrolment_id", required=True),
        Column("exam_date", "date", required=True),
        Column("attempt", "int", required=True, minimum=1),
        Column("score", "decimal", minimum=0, maximum=100),
        Column("passed", "bool", required=True),
    ),
)

EVALUATIONS = CsvSource(
    name="evaluations",
    folder="lms",
    file_pattern=r"evaluations_(?P<date>\d{8})\.csv",
    table="raw_evaluations",
    key=("evaluation_id",),
    columns=(
        Column("evaluation_id", required=True),
        Column("enrolment_id"),  # empty when given anonymously
        Column("session_id", required=True),
        Column("submitted_at", "timestamp", required=True),
        Column("overall", "int", minimum=1, maximum=10),
        Column("content", "int", minimum=1, maximum=5),
        Column("trainer", "int", minimum=1, maximum=5),
        Column("relevance", "int", minimum=1, maximum=5),
        Column("recommend", "int", minimum=0, maximum=10),
        Column("comment"),  # free text; never leaves the restricted zone
    ),
)

CSV_SOURCES: tuple[CsvSource, ...] = (
    HR,
    SUPPLIERS,
    COURSES,
    SESSIONS,
    ENROLMENTS,
    ATTENDANCE,
    EXAM_RESULTS,
    EVALUATIONS,
)

# UBL invoices: one Invoice per XML file under landing/invoices/.
INVOICE_FOLDER = "invoices"
INVOICE_FILE_PATTERN = r".+\.xml"

UBL_NAMESPACES = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}

# raw_invoices: one row per invoice file.
INVOICE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("invoice_id", "VARCHAR"),  # cbc:ID
    ("issue_date", "DATE"),  # cbc:IssueDate
    ("invoice_type_code", "VARCHAR"),  # cbc:InvoiceTypeCode
    ("currency_code", "VARCHAR"),  # cbc:DocumentCurrencyCode
    ("buyer_reference", "VARCHAR"),  # cbc:BuyerReference
    ("supplier_company_id", "VARCHAR"),  # AccountingSupplierParty/.../PartyLegalEntity/CompanyID
    ("line_extension_total", "DECIMAL(18,2)"),  # LegalMonetaryTotal/LineExtensionAmount
    ("line_count", "BIGINT"),
    # Interpretations #26-#33: the document type and what it corrects, the order number
    # and every LegalMonetaryTotal / TaxTotal amount the Peppol totals rules need.
    ("document_type", "VARCHAR"),  # invoice | credit_note | corrective_invoice
    ("corrected_invoice_id", "VARCHAR"),  # BillingReference/InvoiceDocumentReference/ID
    ("order_reference", "VARCHAR"),  # cac:OrderReference/cbc:ID
    ("allowance_total", "DECIMAL(18,2)"),  # LegalMonetaryTotal/AllowanceTotalAmount
    ("charge_total", "DECIMAL(18,2)"),  # LegalMonetaryTotal/ChargeTotalAmount
    ("tax_exclusive_total", "DECIMAL(18,2)"),  # LegalMonetaryTotal/TaxExclusiveAmount
    ("tax_inclusive_total", "DECIMAL(18,2)"),  # LegalMonetaryTotal/TaxInclusiveAmount
    ("prepaid_total", "DECIMAL(18,2)"),  # LegalMonetaryTotal/PrepaidAmount
    ("payable_rounding", "DECIMAL(18,2)"),  # LegalMonetaryTotal/PayableRoundingAmount
    ("payable_total", "DECIMAL(18,2)"),  # LegalMonetaryTotal/PayableAmount
    ("tax_total", "DECIMAL(18,2)"),  # TaxTotal/TaxAmount (the first TaxTotal)
)

# raw_invoice_lines: one row per cac:InvoiceLine.
INVOICE_LINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("invoice_id", "VARCHAR"),
    ("line_id", "VARCHAR"),  # cbc:ID
    ("invoiced_quantity", "DECIMAL(18,4)"),  # cbc:InvoicedQuantity
    ("line_extension_amount", "DECIMAL(18,2)"),  # cbc:LineExtensionAmount
    ("order_line_ref", "VARCHAR"),  # cac:OrderLineReference/cbc:LineID
    ("item_name", "VARCHAR"),  # cac:Item/cbc:Name: free text, restricted zone only
    ("course_id", "VARCHAR"),  # cac:Item/cac:SellersItemIdentification/cbc:ID
    ("vat_percent", "DECIMAL(9,2)"),  # cac:Item/cac:ClassifiedTaxCategory/cbc:Percent
    ("price_amount", "DECIMAL(18,4)"),  # cac:Price/cbc:PriceAmount
    ("vat_category_id", "VARCHAR"),  # cac:Item/cac:ClassifiedTaxCategory/cbc:ID
    ("base_quantity", "DECIMAL(18,4)"),  # cac:Price/cbc:BaseQuantity
)

# raw_invoice_allowance_charges: one row per cac:AllowanceCharge of a document or a line.
ALLOWANCE_CHARGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("invoice_id", "VARCHAR"),
    ("document_type", "VARCHAR"),
    ("level", "VARCHAR"),  # document | line
    ("line_id", "VARCHAR"),  # the line's cbc:ID; NULL at document level
    ("sequence", "BIGINT"),  # position within its document or line
    ("charge_indicator", "BOOLEAN"),  # true = charge, false = allowance
    ("amount", "DECIMAL(18,2)"),  # cbc:Amount
    ("base_amount", "DECIMAL(18,2)"),  # cbc:BaseAmount
    ("reason_code", "VARCHAR"),  # cbc:AllowanceChargeReasonCode (UNCL5189 / UNCL7161)
    ("reason", "VARCHAR"),  # cbc:AllowanceChargeReason: free text, restricted zone only
    ("tax_category_id", "VARCHAR"),  # cac:TaxCategory/cbc:ID
    ("tax_percent", "DECIMAL(9,2)"),  # cac:TaxCategory/cbc:Percent
)

# raw_invoice_tax_subtotals: one row per cac:TaxTotal/cac:TaxSubtotal (the VAT breakdown).
TAX_SUBTOTAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("invoice_id", "VARCHAR"),
    ("document_type", "VARCHAR"),
    ("sequence", "BIGINT"),
    ("taxable_amount", "DECIMAL(18,2)"),  # cbc:TaxableAmount
    ("tax_amount", "DECIMAL(18,2)"),  # cbc:TaxAmount
    ("tax_category_id", "VARCHAR"),  # cac:TaxCategory/cbc:ID
    ("tax_percent", "DECIMAL(9,2)"),  # cac:TaxCategory/cbc:Percent
)

RAW_INVOICES_TABLE = "raw_invoices"
RAW_INVOICE_LINES_TABLE = "raw_invoice_lines"
RAW_ALLOWANCE_CHARGES_TABLE = "raw_invoice_allowance_charges"
RAW_TAX_SUBTOTALS_TABLE = "raw_invoice_tax_subtotals"
QUARANTINE_TABLE = "quarantine"
MANIFEST_TABLE = "load_manifest"

# Quarantine reason codes (also in seeds/quarantine_reason_codes.csv with Dutch labels).
QUARANTINE_REASONS: dict[str, str] = {
    "EMPTY_FILE": "the file has no bytes or no header",
    "UNKNOWN_FILE": "the file name matches no landing-zone pattern",
    "ENCODING_ERROR": "the bytes are neither UTF-8 nor Windows-1252",
    "MISSING_COLUMN": "a required column is absent from the header",
    "MALFORMED_ROW": "the row has a different number of fields than the header",
    "REQUIRED_MISSING": "a required field is empty",
    "INVALID_TYPE": "the value is not of the column's type (int, decimal, bool)",
    "INVALID_DATE": "the value is not a YYYY-MM-DD date",
    "INVALID_TIMESTAMP": "the value is not an ISO 8601 timestamp",
    "UNKNOWN_VALUE": "the value is not one the contract allows",
    "OUT_OF_RANGE": "the number is outside the contract's range",
    "XML_MALFORMED": "the file is not well-formed XML",
    "NOT_AN_INVOICE": "the XML root is not a UBL 2.1 Invoice or CreditNote",
    "UBL_MISSING_ELEMENT": "a UBL element the contract reads is missing",
    "UBL_INVALID_VALUE": "a UBL element the contract reads has a value of the wrong type",
    "NOT_A_REGULAR_FILE": "a symbolic link, pipe, socket or device in landing/ (never read)",
    "FILE_TOO_LARGE": "the file is larger than [ingest] max_file_bytes (never read)",
    "FIELD_TOO_LARGE": "a field is longer than [ingest] max_field_bytes (stored cut short)",
}


def csv_source_for(folder: str, file_name: str) -> CsvSource | None:
    """The CSV source a landing file belongs to, or None when no pattern matches."""
    for source in CSV_SOURCES:
        if source.folder == folder and source.match(file_name):
            return source
    return None
