"""Ingest of UBL invoices: the official Peppol examples and broken invoices."""

from __future__ import annotations

import shutil
import sys
import types
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import invoice_prefetch, run_ingest
from leerdata.ingest import runner as ingest_runner
from leerdata.ingest.ubl import ParsedInvoice
from tests.ingest_cases.builders import ubl_invoice, write_bytes
from tests.ingest_cases.queries import assert_conserved, dicts, manifest, quarantine, query

PEPPOL = Path(__file__).resolve().parent / "fixtures" / "peppol"  # see its README.md
PEPPOL_INVOICES = {  # file → InvoiceLine / CreditNoteLine count
    "base-creditnote-correction.xml": 2,
    "Allowance-example.xml": 3,
    "SI-UBL-2.0_BR-NL-13_ok.xml": 3,
    "SI-UBL-2.0_ok_base.xml": 3,
    "SI-UBL-2.0_ok_quantities.xml": 2,
    "Vat-category-S.xml": 3,
    "base-example.xml": 2,
}


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    paths = DataPaths.of(tmp_path / "data")
    paths.landing.mkdir(parents=True)
    return paths


@pytest.fixture
def peppol_loaded(paths: DataPaths) -> DataPaths:
    assert PEPPOL.is_dir(), f"Peppol fixtures missing at {PEPPOL}"
    target = paths.landing / "invoices"
    target.mkdir()
    for source in sorted(PEPPOL.glob("*.xml")):
        shutil.copyfile(source, target / source.name)  # a temp landing zone, not the repo
    run_ingest(paths, show_progress=False)
    return paths


def test_peppol_invoices_load_with_every_line(peppol_loaded: DataPaths) -> None:
    for name, line_count in PEPPOL_INVOICES.items():
        entry = manifest(peppol_loaded, f"invoices/{name}")
        assert (entry["status"], entry["source"]) == ("loaded", "invoices"), name
        assert (entry["rows_read"], entry["rows_loaded"]) == (line_count, line_count), name
        assert_conserved(entry)
        assert quarantine(peppol_loaded, f"invoices/{name}") == []


def test_peppol_base_example_values(peppol_loaded: DataPaths) -> None:
    file_name = "invoices/base-example.xml"
    [header] = dicts(peppol_loaded, "select * from raw_invoices where _file_name = ?", [file_name])
    assert header["invoice_id"] == "Snippet1"
    assert header["issue_date"] == date(2017, 11, 13)
    assert (header["invoice_type_code"], header["currency_code"]) == ("380", "EUR")
    assert header["buyer_reference"] == "0150abc"
    assert header["supplier_company_id"] == "GB983294"  # PartyLegalEntity, not PartyTaxScheme
    assert header["line_extension_total"] == Decimal("1300.00")
    assert header["line_count"] == 2
    lines = query(
        peppol_loaded,
        "select line_id, invoiced_quantity, line_extension_amount, order_line_ref, item_name, "
        "course_id, vat_percent, price_amount, _line_number from raw_invoice_lines "
        "where _file_name = ? order by _line_number",
        [file_name],
    )
    assert lines == [
        # No SellersItemIdentification in this example (only a StandardItemIdentification).
        ("1", Decimal("7"), Decimal("2800"), "123", "item name", None, Decimal("25"),
         Decimal("400"), 1),
        ("2", Decimal("-3"), Decimal("-1500"), "123", "item name 2", None, Decimal("25"),
         Decimal("500"), 2),
    ]  # fmt: skip


def test_peppol_nlcius_supplier_kvk_and_buyer_reference(peppol_loaded: DataPaths) -> None:
    # The seller's PartyLegalEntity/CompanyID (schemeID 0106 = KvK), not the buyer's (11111111).
    assert query(
        peppol_loaded,
        "select supplier_company_id, buyer_reference from raw_invoices where _file_name = ?",
        ["invoices/SI-UBL-2.0_ok_base.xml"],
    ) == [("SITEST00000", "47806")]


def test_peppol_credit_note_loads_as_a_credit_note_with_its_reference(
    peppol_loaded: DataPaths,
) -> None:
    name = "invoices/base-creditnote-correction.xml"
    [header] = dicts(peppol_loaded, "select * from raw_invoices where _file_name = ?", [name])
    assert (header["document_type"], header["invoice_type_code"]) == ("credit_note", "381")
    assert header["corrected_invoice_id"] == "Snippet1"  # BillingReference
    assert (header["charge_total"], header["tax_total"], header["payable_total"]) == (
        Decimal("25"), Decimal("331.25"), Decimal("1656.25"),
    )  # fmt: skip
    quantities = query(
        peppol_loaded,
        "select line_id, invoiced_quantity, line_extension_amount from raw_invoice_lines "
        "where _file_name = ? order by _line_number",
        [name],
    )
    assert quantities == [
        ("1", Decimal("7"), Decimal("2800")),
        ("2", Decimal("-3"), Decimal("-1500")),
    ]
    charges = dicts(
        peppol_loaded,
        "select * from raw_invoice_allowance_charges where _file_name = ?",
        [name],
    )
    assert [
        (c["level"], c["charge_indicator"], c["amount"], c["tax_category_id"]) for c in charges
    ] == [("document", True, Decimal("25"), "S")]


def test_peppol_allowances_charges_and_vat_breakdown(peppol_loaded: DataPaths) -> None:
    name = "invoices/Allowance-example.xml"
    rows = query(
        peppol_loaded,
        "select level, line_id, charge_indicator, amount, reason_code, tax_category_id "
        "from raw_invoice_allowance_charges where _file_name = ? order by _line_number",
        [name],
    )
    assert rows[:2] == [
        ("document", None, True, Decimal("200"), "CG", "S"),
        ("document", None, False, Decimal("200"), "95", "S"),
    ]
    # Line charges and allowances, never the price-level allowance (the price is net).
    assert {(r[0], r[2], r[3]) for r in rows[2:]} == {
        ("line", True, Decimal("1")),
        ("line", False, Decimal("101")),
    }
    categories = query(
        peppol_loaded,
        "select distinct tax_category_id from raw_invoice_tax_subtotals where _file_name = ?",
        [name],
    )
    assert sorted(categories) == [("E",), ("S",)]
    [(document_type, prepaid)] = query(
        peppol_loaded,
        "select document_type, prepaid_total from raw_invoices where _file_name = ?",
        [name],
    )
    assert (document_type, prepaid) == ("invoice", Decimal("1000"))


def test_every_peppol_example_loads_or_names_what_is_unsupported(peppol_loaded: DataPaths) -> None:
    for source in sorted(PEPPOL.glob("*.xml")):
        entry = manifest(peppol_loaded, f"invoices/{source.name}")
        assert_conserved(entry)
        if entry["status"] != "loaded":
            reasons = {
                (q["reason_code"], q["column_name"])
                for q in quarantine(peppol_loaded, f"invoices/{source.name}")
            }
            assert ("UNKNOWN_VALUE", "cbc:DocumentCurrencyCode") in reasons, source.name
            assert "NOT_AN_INVOICE" not in {r for r, _ in reasons}


def test_unsupported_document_type_is_quarantined_naming_the_type(paths: DataPaths) -> None:
    text = ubl_invoice(lines=1).replace(">380<", ">383<")  # a debit note
    write_bytes(paths.landing, "invoices/DEBIT-1.xml", text.encode())
    run_ingest(paths, show_progress=False)
    [bad] = quarantine(paths, "invoices/DEBIT-1.xml")
    assert (bad["reason_code"], bad["column_name"], bad["raw_value"]) == (
        "UNKNOWN_VALUE", "cbc:InvoiceTypeCode", "383",
    )  # fmt: skip


def test_corrective_invoice_by_type_or_billing_reference(paths: DataPaths) -> None:
    by_type = ubl_invoice("COR-1", lines=1).replace(">380<", ">384<")
    by_reference = ubl_invoice("COR-2", lines=1).replace(
        "<cbc:BuyerReference>",
        "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>INV-1</cbc:ID>"
        "</cac:InvoiceDocumentReference></cac:BillingReference><cbc:BuyerReference>",
    )
    write_bytes(paths.landing, "invoices/COR-1.xml", by_type.encode())
    write_bytes(paths.landing, "invoices/COR-2.xml", by_reference.encode())
    run_ingest(paths, show_progress=False)
    assert query(
        paths,
        "select invoice_id, document_type, corrected_invoice_id from raw_invoices order by 1",
    ) == [("COR-1", "corrective_invoice", None), ("COR-2", "corrective_invoice", "INV-1")]


def test_one_line_invoice_takes_the_document_order_reference(paths: DataPaths) -> None:
    text = (
        ubl_invoice("ORD-1", lines=1)
        .replace(
            "<cac:OrderLineReference><cbc:LineID>EN0001</cbc:LineID></cac:OrderLineReference>", ""
        )
        .replace(
            "<cbc:BuyerReference>",
            "<cac:OrderReference><cbc:ID>EN0042</cbc:ID></cac:OrderReference><cbc:BuyerReference>",
        )
    )
    write_bytes(paths.landing, "invoices/ORD-1.xml", text.encode())
    run_ingest(paths, show_progress=False)
    assert query(paths, "select order_line_ref from raw_invoice_lines") == [("EN0042",)]


def test_bad_allowance_amount_quarantines_the_document(paths: DataPaths) -> None:
    text = ubl_invoice("AC-1", lines=1).replace(
        "<cac:LegalMonetaryTotal>",
        "<cac:AllowanceCharge><cbc:ChargeIndicator>maybe</cbc:ChargeIndicator>"
        '<cbc:Amount currencyID="EUR">1.234</cbc:Amount></cac:AllowanceCharge>'
        "<cac:LegalMonetaryTotal>",
    )
    write_bytes(paths.landing, "invoices/AC-1.xml", text.encode())
    run_ingest(paths, show_progress=False)
    reasons = {(q["column_name"], q["reason_code"]) for q in quarantine(paths, "invoices/AC-1.xml")}
    assert ("cbc:ChargeIndicator", "UBL_INVALID_VALUE") in reasons
    assert ("cbc:Amount", "UBL_INVALID_VALUE") in reasons


def test_peppol_invoice_in_another_currency_is_quarantined(peppol_loaded: DataPaths) -> None:
    # docs/contract.md reads DocumentCurrencyCode (EUR); a GBP amount cannot be settled in EUR.
    name = "invoices/vat-category-E.xml"
    entry = manifest(peppol_loaded, name)
    assert (entry["status"], entry["rows_read"], entry["rows_quarantined"]) == (
        "quarantined", 1, 1,
    )  # fmt: skip
    [bad] = quarantine(peppol_loaded, name)
    assert (bad["line_number"], bad["reason_code"], bad["raw_value"]) == (
        1, "UNKNOWN_VALUE", "GBP",
    )  # fmt: skip
    assert query(
        peppol_loaded, "select count(*) from raw_invoices where _file_name = ?", [name]
    ) == [(0,)]


# --- synthetic invoices --------------------------------------------------------------------


def test_valid_invoice_loads_header_and_lines(paths: DataPaths) -> None:
    write_bytes(paths.landing, "invoices/INV-1_20240310.xml", ubl_invoice(lines=3).encode())
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 3, 0)
    [header] = dicts(paths, "select * from raw_invoices")
    assert header["_file_date"] == date(2024, 3, 10)
    assert header["supplier_company_id"] == "12345678"
    lines = query(
        paths,
        "select invoice_id, line_id, order_line_ref, course_id, vat_percent, price_amount "
        "from raw_invoice_lines order by _line_number",
    )
    assert lines == [
        ("INV-1", str(i), f"EN{i:04d}", "C001", Decimal("21"), Decimal("495")) for i in (1, 2, 3)
    ]


def test_prefixes_do_not_matter_only_namespaces(paths: DataPaths) -> None:
    text = (
        ubl_invoice(lines=1)
        .replace("xmlns:cbc=", "xmlns:b=")
        .replace("<cbc:", "<b:")
        .replace("</cbc:", "</b:")
    )
    write_bytes(paths.landing, "invoices/prefixed.xml", text.encode())
    summary = run_ingest(paths, show_progress=False)
    assert (summary.rows_loaded, summary.rows_quarantined) == (1, 0)
    assert query(paths, "select invoice_id from raw_invoices") == [("INV-1",)]


BROKEN_INVOICES = [
    # (name, content, rows_read, reason, line numbers in quarantine)
    ("truncated", ubl_invoice(lines=2)[:700], 0, "XML_MALFORMED", [0]),
    ("not-xml", "invoice,amount\nINV-1,100\n", 0, "XML_MALFORMED", [0]),
    (
        "order",
        '<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
        'Order-2"><ID>1</ID></Order>',
        0,
        "NOT_AN_INVOICE",
        [0],
    ),
    ("no-quantity", ubl_invoice(lines=2, drop=('cbc:InvoicedQuantity unitCode="C62"',)), 2,
     "UBL_MISSING_ELEMENT", [1, 2]),
    ("no-id", ubl_invoice(lines=2, drop=("cbc:ID",)), 2, "UBL_MISSING_ELEMENT", [1, 2]),
    ("no-issue-date", ubl_invoice(lines=1, drop=("cbc:IssueDate",)), 1, "UBL_MISSING_ELEMENT",
     [1]),
    ("three-decimals", ubl_invoice(lines=2, line_amount="495.005"), 2, "UBL_INVALID_VALUE",
     [1, 2]),
    ("not-a-number", ubl_invoice(lines=2, line_amount="vierhonderd"), 2, "UBL_INVALID_VALUE",
     [1, 2]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "rows_read", "reason", "lines"),
    BROKEN_INVOICES,
    ids=[case[0] for case in BROKEN_INVOICES],
)
def test_broken_invoice_is_quarantined_whole(
    paths: DataPaths, name: str, content: str, rows_read: int, reason: str, lines: list[int]
) -> None:
    write_bytes(paths.landing, f"invoices/{name}.xml", content.encode())
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (
        rows_read, 0, rows_read,
    )  # fmt: skip
    entry = manifest(paths, f"invoices/{name}.xml")
    assert entry["status"] == "quarantined"
    assert_conserved(entry)
    bad = quarantine(paths, f"invoices/{name}.xml")
    assert sorted({r["line_number"] for r in bad}) == lines
    assert {r["reason_code"] for r in bad} == {reason}
    assert query(paths, "select count(*) from raw_invoices") == [(0,)]
    assert query(paths, "select count(*) from raw_invoice_lines") == [(0,)]


def test_one_bad_line_takes_the_whole_invoice_with_it(paths: DataPaths) -> None:
    text = ubl_invoice(lines=3).replace(
        '<cbc:LineExtensionAmount currencyID="EUR">495.00</cbc:LineExtensionAmount>\n'
        "    <cac:OrderLineReference><cbc:LineID>EN0002",
        '<cbc:LineExtensionAmount currencyID="EUR">4,95</cbc:LineExtensionAmount>\n'
        "    <cac:OrderLineReference><cbc:LineID>EN0002",
    )
    assert "4,95" in text
    write_bytes(paths.landing, "invoices/one-bad-line.xml", text.encode())
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 0, 3)
    bad = quarantine(paths, "invoices/one-bad-line.xml")
    own = [r for r in bad if r["raw_value"] == "4,95"]
    assert [(r["line_number"], r["column_name"]) for r in own] == [(2, "cbc:LineExtensionAmount")]
    assert {r["reason_code"] for r in bad} == {"UBL_INVALID_VALUE"}
    assert sorted({r["line_number"] for r in bad}) == [1, 2, 3]


def test_invoices_parsed_in_a_process_pool_load_the_same(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invoice_prefetch, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(invoice_prefetch, "POOL_MIN_CPUS", 1)
    # spawn re-imports __main__ in each worker; under xdist, or after a test that ran an
    # app script as __main__ in this process, that is not an importable module. The CLI's
    # __main__ is: give the pool a plain one, as a real `leerdata ingest` process has.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    spawned = []
    real_pool = invoice_prefetch.ProcessPoolExecutor

    def counting_pool(*args, **kwargs):
        spawned.append(args)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(invoice_prefetch, "ProcessPoolExecutor", counting_pool)
    inline = []
    real_parse = ingest_runner.parse_invoice

    def counting_parse(data: bytes) -> ParsedInvoice:
        inline.append(1)
        return real_parse(data)

    monkeypatch.setattr(ingest_runner, "parse_invoice", counting_parse)
    for i in range(1, 5):
        write_bytes(paths.landing, f"invoices/INV-{i}.xml", ubl_invoice(f"INV-{i}", 2).encode())
    write_bytes(paths.landing, "invoices/broken.xml", b"<Invoice")
    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.rows_loaded, summary.rows_quarantined) == (5, 8, 0)
    assert query(
        paths, "select invoice_id, count(*) from raw_invoice_lines group by 1 order by 1"
    ) == [(f"INV-{i}", 2) for i in range(1, 5)]
    assert [r["reason_code"] for r in quarantine(paths, "invoices/broken.xml")] == ["XML_MALFORMED"]
    assert (len(spawned), len(inline)) == (1, 0)  # the workers parsed every invoice


def test_each_field_is_the_first_element_on_its_exact_path() -> None:
    """A cbc:ID elsewhere under cac:Item is not the course id; comments are skipped; the
    first of two matching elements wins (as ElementPath's find would have it)."""
    from leerdata.ingest.ubl import parse_invoice

    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>INV-1</cbc:ID><cbc:IssueDate>2026-01-31</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:InvoiceLine>
    <!-- a comment child -->
    <cbc:ID> 1 </cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">20.00</cbc:LineExtensionAmount>
    <cac:Item>
      <cac:StandardItemIdentification><cbc:ID>NOT-A-COURSE</cbc:ID>
      </cac:StandardItemIdentification>
      <cac:SellersItemIdentification><cbc:ID>C-<!-- split -->42</cbc:ID>
      </cac:SellersItemIdentification>
      <cac:SellersItemIdentification><cbc:ID>C-SECOND</cbc:ID>
      </cac:SellersItemIdentification>
    </cac:Item>
  </cac:InvoiceLine>
</Invoice>"""
    parsed = parse_invoice(xml)
    assert parsed.is_valid, parsed.problems
    (line,) = parsed.lines
    assert line["course_id"] == "C-42"
    assert line["line_id"] == "1"
    assert line["item_name"] is None and line["price_amount"] is None


# Lines that read differently under a careless reader: a comment and CDATA inside a field,
# a field with child elements, a default namespace declared again inside the line, two
# cac:Item elements (the first without a name), a blank price and an allowance charge
# on the second line only.
EDGE_LINES = """
  <cac:InvoiceLine>
    <cbc:ID>1<!-- split --></cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">20.00</cbc:LineExtensionAmount>
    <Item xmlns="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">
      <Name xmlns="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
        ><![CDATA[Excel & co]]> <x:em xmlns:x="urn:example">voor</x:em> gevorderden</Name>
    </Item>
  </cac:InvoiceLine>
  <cac:InvoiceLine>
    <cbc:ID>2</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">9.00</cbc:LineExtensionAmount>
    <cac:AllowanceCharge><cbc:ChargeIndicator>FALSE</cbc:ChargeIndicator>
      <cbc:Amount currencyID="EUR">1.00</cbc:Amount></cac:AllowanceCharge>
    <cac:Item><cac:SellersItemIdentification><cbc:ID>C-1</cbc:ID>
      </cac:SellersItemIdentification></cac:Item>
    <cac:Item><cbc:Name>Tweede item</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">  </cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>"""


def _edge_invoice(doctype: str = "") -> bytes:
    head, _, rest = ubl_invoice(lines=0).partition("?>")
    return (head + "?>" + doctype + rest.replace("</Invoice>", EDGE_LINES + "</Invoice>")).encode()


def test_line_fields_read_as_their_first_match_with_all_descendant_text() -> None:
    from leerdata.ingest.ubl import parse_invoice

    parsed = parse_invoice(_edge_invoice())

    assert parsed.is_valid, parsed.problems
    first, second = parsed.lines
    assert (first["line_id"], first["item_name"], first["course_id"]) == (
        "1",
        "Excel & co voor gevorderden",
        None,
    )
    assert (second["item_name"], second["course_id"], second["price_amount"]) == (
        "Tweede item",
        "C-1",
        None,
    )
    assert [(c["level"], c["line_id"], c["amount"]) for c in parsed.allowance_charges] == [
        ("line", "2", "1.00")
    ]
    # with a DTD the lines are read by walking their children: the same values
    assert parse_invoice(_edge_invoice("\n<!DOCTYPE Invoice []>")) == parsed


def test_an_entity_the_parser_left_unexpanded_stays_unexpanded() -> None:
    """The parser does not expand entities (no file or network reads, no entity bombs);
    reading a field must not expand them either."""
    from leerdata.ingest.ubl import parse_invoice

    doctype = '\n<!DOCTYPE Invoice [<!ENTITY e "EXPANDED">]>'
    xml = _edge_invoice(doctype).replace(b"Tweede item", b"Tweede &e; item")

    parsed = parse_invoice(xml)

    assert parsed.lines[1]["item_name"] == "Tweede &e; item"
    assert b"EXPANDED" not in repr(parsed).encode()


def test_external_entities_and_entity_bombs_read_nothing(tmp_path: Path) -> None:
    from leerdata.ingest.ubl import parse_invoice

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    external = f'\n<!DOCTYPE Invoice [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
    parsed = parse_invoice(_edge_invoice(external).replace(b"Tweede item", b"&s;"))
    assert "SECRET-CONTENT" not in repr(parsed)

    laughs = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{f"&{chr(97 + i)};" * 10}">' for i in range(8)
    )
    bomb = _edge_invoice(f"\n<!DOCTYPE Invoice [{laughs}]>").replace(b"Tweede item", b"&i;")
    assert [p.reason for p in parse_invoice(bomb).problems] == ["XML_MALFORMED"]
