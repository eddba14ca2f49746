"""A hand-written document chain, end to end (issue 16): an invoice with two VAT
categories (S 21 %, E exempt) and a document-level allowance, a credit note for one
overcharged line, a corrective invoice (384) for another, a credit note without a usable
reference, and an enrolled participant on a session the supplier cancelled. Every
verdict and every cent of the settlement is worked out by hand below, not by the SQL.

Landing data: departments VWS (E1, E2) and OCW (E3); supplier SUP01 (KvK 12345678);
courses C1 (per participant, 500.00, 21 %) and C2 (per participant, 300.00, 0 %, exempt
training), both owned by OCW; sessions S1 (C1, held 2024-03-04), S2 (C2, held 2024-03-05),
S3 (C1, cancelled by the supplier, 2024-03-20).

INV-1 (380, 2024-03-10): 1 EN1 550.00 S · 2 EN2 500.00 S · 3 EN3 300.00 E ·
4 EN4 500.00 S (S3, enrolled) · 5 EN5 330.00 E; document allowance 40.01 (reason 95, S).
  line sum 2180.00; S taxable 550 + 500 + 500 - 40.01 = 1509.99, tax 21 % = 317.0979 ->
  317.10; E taxable 630.00, tax 0; tax exclusive 2139.99; payable 2457.09.
CN-1 (381, BillingReference INV-1): EN1 50.00 S -> netted against INV-1 line 1.
COR-1 (384, BillingReference INV-1): EN5 -30.00 E -> netted against INV-1 line 5.
CN-2 (381, BillingReference INV-999, unknown): EN2 25.00 -> CREDIT_WITHOUT_REFERENCE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from leerdata.builder.warehouse import build_warehouse
from leerdata.config import DataPaths
from leerdata.duckdb_rows import one_row
from leerdata.ingest import run_ingest
from tests.ingest_cases.builders import VALID_VALUES, write_bytes, write_csv

pytestmark = pytest.mark.xdist_group("finance_document_chains")

D = Decimal
NS = (
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)


def _line(tag: str, qty_tag: str, line_id: str, ref: str, course: str, amount: str,
          category: str, percent: str) -> str:  # fmt: skip
    return f"""
  <cac:{tag}><cbc:ID>{line_id}</cbc:ID>
    <cbc:{qty_tag} unitCode="C62">1</cbc:{qty_tag}>
    <cbc:LineExtensionAmount currencyID="EUR">{amount}</cbc:LineExtensionAmount>
    <cac:OrderLineReference><cbc:LineID>{ref}</cbc:LineID></cac:OrderLineReference>
    <cac:Item><cbc:Name>Cursus (J. Jansen)</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>{course}</cbc:ID></cac:SellersItemIdentification>
      <cac:ClassifiedTaxCategory><cbc:ID>{category}</cbc:ID><cbc:Percent>{percent}</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{amount}</cbc:PriceAmount></cac:Price>
  </cac:{tag}>"""


def _subtotal(taxable: str, tax: str, category: str, percent: str) -> str:
    return f"""<cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{taxable}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>{category}</cbc:ID><cbc:Percent>{percent}</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>"""


def _document(root: str, type_code: str, doc_id: str, issue: str, reference: str | None,
              body: str, *, tax: str, subtotals: str, line_ext: str, tax_excl: str,
              payable: str, allowance: str = "", allowance_total: str = "") -> str:  # fmt: skip
    billing = (
        f"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{reference}</cbc:ID>"
        "</cac:InvoiceDocumentReference></cac:BillingReference>"
        if reference
        else ""
    )
    allowance_total_xml = (
        f'<cbc:AllowanceTotalAmount currencyID="EUR">{allowance_total}</cbc:AllowanceTotalAmount>'
        if allowance_total
        else ""
    )
    type_tag = "InvoiceTypeCode" if root == "Invoice" else "CreditNoteTypeCode"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" {NS}>
  <cbc:ID>{doc_id}</cbc:ID><cbc:IssueDate>{issue}</cbc:IssueDate>
  <cbc:{type_tag}>{type_code}</cbc:{type_tag}>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  {billing}
  <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity>
    <cbc:RegistrationName>Opleidingen BV</cbc:RegistrationName>
    <cbc:CompanyID schemeID="0106">12345678</cbc:CompanyID>
  </cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
  {allowance}
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>{subtotals}</cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{line_ext}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{tax_excl}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{payable}</cbc:TaxInclusiveAmount>
    {allowance_total_xml}
    <cbc:PayableAmount currencyID="EUR">{payable}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>{body}
</{root}>
"""


def _invoice_lines(*lines: tuple[str, ...]) -> str:
    return "".join(_line("InvoiceLine", "InvoicedQuantity", *line) for line in lines)


def _credit_lines(*lines: tuple[str, ...]) -> str:
    return "".join(_line("CreditNoteLine", "CreditedQuantity", *line) for line in lines)


def _write_landing(landing: Path) -> None:
    person = VALID_VALUES["hr"]
    write_csv(landing, "hr", [
        {**person, "employee_id": "E1"}, {**person, "employee_id": "E2", "email": "b@x.nl"},
    ], name="hr/hr_VWS_20240101.csv")  # fmt: skip
    write_csv(landing, "hr", [{**person, "employee_id": "E3", "department_code": "OCW",
                               "email": "c@x.nl"}], name="hr/hr_OCW_20240101.csv")  # fmt: skip
    write_csv(landing, "suppliers", [VALID_VALUES["suppliers"]])
    course = {**VALID_VALUES["courses"], "owner_department_code": "OCW"}
    write_csv(landing, "courses", [
        {**course, "course_id": "C1", "price_eur": "500.00", "vat_rate": "21"},
        {**course, "course_id": "C2", "price_eur": "300.00", "vat_rate": "0"},
    ])  # fmt: skip
    session = VALID_VALUES["sessions"]
    write_csv(landing, "sessions", [
        {**session, "session_id": "S1", "course_id": "C1", "start_date": "2024-03-04",
         "end_date": "2024-03-04", "days": "1"},
        {**session, "session_id": "S2", "course_id": "C2", "start_date": "2024-03-05",
         "end_date": "2024-03-05", "days": "1"},
        {**session, "session_id": "S3", "course_id": "C1", "start_date": "2024-03-20",
         "end_date": "2024-03-20", "days": "1", "status": "cancelled_by_supplier"},
    ])  # fmt: skip
    enrolment = VALID_VALUES["enrolments"]
    enrolled = {"status": "enrolled", "completed_at": "", "updated_at": "2024-03-01T09:00:00"}
    write_csv(landing, "enrolments", [
        {**enrolment, "enrolment_id": "EN1", "employee_id": "E1", "session_id": "S1"},
        {**enrolment, "enrolment_id": "EN2", "employee_id": "E3", "session_id": "S1"},
        {**enrolment, "enrolment_id": "EN3", "employee_id": "E2", "session_id": "S2"},
        {**enrolment, "enrolment_id": "EN4", "employee_id": "E1", "session_id": "S3", **enrolled},
        {**enrolment, "enrolment_id": "EN5", "employee_id": "E3", "session_id": "S2"},
    ])  # fmt: skip
    allowance = """<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>
    <cbc:AllowanceChargeReasonCode>95</cbc:AllowanceChargeReasonCode>
    <cbc:AllowanceChargeReason>Staffelkorting</cbc:AllowanceChargeReason>
    <cbc:Amount currencyID="EUR">40.01</cbc:Amount>
    <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:AllowanceCharge>"""
    documents = {
        "INV-1": _document(
            "Invoice", "380", "INV-1", "2024-03-10", None,
            _invoice_lines(
                ("1", "EN1", "C1", "550.00", "S", "21"), ("2", "EN2", "C1", "500.00", "S", "21"),
                ("3", "EN3", "C2", "300.00", "E", "0"), ("4", "EN4", "C1", "500.00", "S", "21"),
                ("5", "EN5", "C2", "330.00", "E", "0"),
            ),
            tax="317.10",
            subtotals=_subtotal("1509.99", "317.10", "S", "21")
            + _subtotal("630.00", "0", "E", "0"),
            line_ext="2180.00", tax_excl="2139.99", payable="2457.09",
            allowance=allowance, allowance_total="40.01",
        ),
        "CN-1": _document(
            "CreditNote", "381", "CN-1", "2024-03-15", "INV-1",
            _credit_lines(("1", "EN1", "C1", "50.00", "S", "21")),
            tax="10.50", subtotals=_subtotal("50.00", "10.50", "S", "21"),
            line_ext="50.00", tax_excl="50.00", payable="60.50",
        ),
        "COR-1": _document(
            "Invoice", "384", "COR-1", "2024-03-16", "INV-1",
            _invoice_lines(("1", "EN5", "C2", "-30.00", "E", "0")),
            tax="0", subtotals=_subtotal("-30.00", "0", "E", "0"),
            line_ext="-30.00", tax_excl="-30.00", payable="-30.00",
        ),
        "CN-2": _document(
            "CreditNote", "381", "CN-2", "2024-03-17", "INV-999",
            _credit_lines(("1", "EN2", "C1", "25.00", "S", "21")),
            tax="5.25", subtotals=_subtotal("25.00", "5.25", "S", "21"),
            line_ext="25.00", tax_excl="25.00", payable="30.25",
        ),
    }  # fmt: skip
    for name, xml in documents.items():
        write_bytes(landing, f"invoices/{name}.xml", xml.encode())


@pytest.fixture(scope="module")
def chain(
    tmp_path_factory: pytest.TempPathFactory, reuse_parse: Callable[[DataPaths], None]
) -> Iterator[duckdb.DuckDBPyConnection]:
    paths = DataPaths.of(tmp_path_factory.mktemp("chain") / "data")
    _write_landing(paths.landing)
    summary = run_ingest(paths, show_progress=False)
    assert summary.rows_quarantined == 0
    reuse_parse(paths)
    build_warehouse(paths, show_progress=False)
    con = duckdb.connect(str(paths.reporting_db), read_only=True)
    yield con
    con.close()


def test_line_verdicts_and_net_verdicts(chain: duckdb.DuckDBPyConnection) -> None:
    rows = chain.execute(
        "select invoice_id, line_id, document_type, reason_codes, verdict, invoiced_amount_eur, "
        "approved_amount_eur, disputed_amount_eur, netted_amount_eur, net_invoiced_amount_eur, "
        "net_approved_amount_eur, net_disputed_amount_eur, net_verdict, net_reason_codes "
        "from fct_invoice_line_checks order by invoice_id, line_id"
    ).fetchall()
    assert rows == [
        ("CN-1", "1", "credit_note", "", "netted", D("-50.00"), D("0"), D("0"), D("-50.00"),
         D("0"), D("0"), D("0"), "netted", ""),
        # A credit note without a usable reference: shown to finance, its credit disputed.
        ("CN-2", "1", "credit_note", "CREDIT_WITHOUT_REFERENCE", "disputed", D("-25.00"),
         D("0"), D("-25.00"), D("0"), D("-25.00"), D("0"), D("-25.00"), "disputed",
         "CREDIT_WITHOUT_REFERENCE"),
        ("COR-1", "1", "corrective_invoice", "", "netted", D("-30.00"), D("0"), D("0"),
         D("-30.00"), D("0"), D("0"), D("0"), "netted", ""),
        # 550 invoiced, 500 owed: the 50 overcharge is credited by CN-1 -> settled.
        ("INV-1", "1", "invoice", "PRICE_MISMATCH", "disputed", D("550.00"), D("500.00"),
         D("50.00"), D("0"), D("500.00"), D("500.00"), D("0"), "settled", ""),
        ("INV-1", "2", "invoice", "", "approved", D("500.00"), D("500.00"), D("0"), D("0"),
         D("500.00"), D("500.00"), D("0"), "approved", ""),
        ("INV-1", "3", "invoice", "", "approved", D("300.00"), D("300.00"), D("0"), D("0"),
         D("300.00"), D("300.00"), D("0"), "approved", ""),
        # Enrolled on a session the supplier cancelled: SESSION_CANCELLED alone, although
        # the invoice predates the session and the LMS has no outcome.
        ("INV-1", "4", "invoice", "SESSION_CANCELLED", "disputed", D("500.00"), D("0"),
         D("500.00"), D("0"), D("500.00"), D("0"), D("500.00"), "disputed", "SESSION_CANCELLED"),
        # 330 invoiced at 0 % for a 300 course: the corrective invoice takes 30 off.
        ("INV-1", "5", "invoice", "PRICE_MISMATCH", "disputed", D("330.00"), D("300.00"),
         D("30.00"), D("0"), D("300.00"), D("300.00"), D("0"), "settled", ""),
    ]  # fmt: skip
    [chain_ids] = one_row(
        chain,
        "select adjusted_by_invoice_ids from fct_invoice_line_checks "
        "where invoice_id = 'INV-1' and line_id = '1'",
    )
    assert chain_ids == "CN-1"


def test_document_totals_allowance_and_vat_categories(chain: duckdb.DuckDBPyConnection) -> None:
    rows = chain.execute(
        "select invoice_id, document_type, corrected_invoice_id, reason_codes, status, "
        "invoiced_total_eur, allowance_total_eur, approved_total_eur, disputed_total_eur, "
        "on_hold_total_eur, netted_total_eur, credited_total_eur, net_invoiced_total_eur, "
        "net_approved_total_eur, net_disputed_total_eur "
        "from fct_invoice_checks order by invoice_id"
    ).fetchall()
    assert rows == [
        ("CN-1", "credit_note", "INV-1", "", "approved", D("-50.00"), D("0"), D("0"), D("0"),
         D("0"), D("-50.00"), D("0"), D("0"), D("0"), D("0")),
        ("CN-2", "credit_note", "INV-999", "", "disputed", D("-25.00"), D("0"), D("0"),
         D("-25.00"), D("0"), D("0"), D("0"), D("-25.00"), D("0"), D("-25.00")),
        ("COR-1", "corrective_invoice", "INV-1", "", "approved", D("-30.00"), D("0"), D("0"),
         D("0"), D("0"), D("-30.00"), D("0"), D("0"), D("0"), D("0")),
        # approved: lines 500 + 500 + 300 + 300 = 1600.00 less the allowance 40.01;
        # disputed: 50 + 500 + 30 = 580.00; after the chain only line 4 (500.00) stays.
        ("INV-1", "invoice", None, "", "partially_disputed", D("2180.00"), D("40.01"),
         D("1559.99"), D("580.00"), D("0"), D("0"), D("-80.00"), D("2100.00"),
         D("1559.99"), D("500.00")),
    ]  # fmt: skip


def test_settlement_is_net_and_cent_exact(chain: duckdb.DuckDBPyConnection) -> None:
    """The allowance 40.01 is spread over the net approved lines 500/500/300/300: 4001
    cents x 500/1600 = 1250.3125 (twice), x 300/1600 = 750.1875 (twice); floors 4000, the
    leftover cent to the largest remainder, lines 1 and 2 tie, line id 1 first. So EN1
    487.49, EN2 487.50, EN3 292.50, EN5 292.50; EN1 and EN3 are VWS's, EN2 and EN5 OCW's."""
    matrix = chain.execute(
        "select quarter, creditor_department_code, debtor_department_code, amount_eur "
        "from mart_settlement_matrix order by debtor_department_code"
    ).fetchall()
    assert matrix == [
        ("2024-Q1", "OCW", "OCW", D("780.00")),
        ("2024-Q1", "OCW", "VWS", D("779.99")),
    ]
    [(total,)] = chain.execute("select sum(amount_eur) from fct_cost_allocation").fetchall()
    assert total == D("1559.99")


# Documents with one number supersede each other (a resubmission), so the examples are
# checked in groups in which every (type, number) occurs once.
PEPPOL_GROUPS = (
    ("Allowance-example.xml", "SI-UBL-2.0_BR-NL-13_ok.xml", "base-creditnote-correction.xml"),
    ("Vat-category-S.xml", "SI-UBL-2.0_ok_base.xml"),
    ("base-example.xml", "SI-UBL-2.0_ok_quantities.xml"),
)


@pytest.mark.parametrize("group", PEPPOL_GROUPS, ids=lambda g: g[0])
def test_official_peppol_examples_pass_the_totals_rules(
    tmp_path: Path, reuse_parse: Callable[[DataPaths], None], group: tuple[str, ...]
) -> None:
    """The official examples are valid Peppol: BR-CO-10...16 and the VAT breakdown hold on
    every one (a negative control for the totals checks). Their charges carry no agreed
    reason code, so CHARGE_NOT_AGREED is the only code they may get."""
    import shutil

    paths = DataPaths.of(tmp_path / "data")
    (paths.landing / "invoices").mkdir(parents=True)
    fixtures = Path(__file__).resolve().parent / "fixtures" / "peppol"
    for name in group:
        shutil.copyfile(fixtures / name, paths.landing / "invoices" / name)
    run_ingest(paths, show_progress=False)
    reuse_parse(paths)
    # Only the invoice checks and what they read; tests whose parents are not built skip.
    select = ["+fct_invoice_checks", "--indirect-selection", "cautious"]
    build_warehouse(paths, select=select, show_progress=False)
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        rows = con.execute(
            "select document_key, reason_codes, charge_total_eur from fct_invoice_checks"
        ).fetchall()
    assert len(rows) == len(group), rows
    for key, codes, charges in rows:
        assert set(codes.split(",")) - {""} <= {"CHARGE_NOT_AGREED"}, (key, codes)
        assert ("CHARGE_NOT_AGREED" in codes) == (charges != 0), (key, codes)
