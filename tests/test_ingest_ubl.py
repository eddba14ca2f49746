"""Ingest of UBL invoices: the official Peppol examples and broken invoices."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import run_ingest
from leerdata.ingest import runner as ingest_runner
from tests.ingest_cases.builders import ubl_invoice, write_bytes
from tests.ingest_cases.queries import assert_conserved, dicts, manifest, quarantine, query

PEPPOL = Path(__file__).resolve().parent / "fixtures" / "peppol"  # see its README.md
PEPPOL_INVOICES = {  # file → InvoiceLine count
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


def test_peppol_credit_note_is_not_an_invoice(peppol_loaded: DataPaths) -> None:
    name = "invoices/base-creditnote-correction.xml"
    entry = manifest(peppol_loaded, name)
    assert (entry["status"], entry["rows_read"]) == ("quarantined", 0)
    assert_conserved(entry)
    [bad] = quarantine(peppol_loaded, name)
    assert (bad["line_number"], bad["reason_code"]) == (0, "NOT_AN_INVOICE")


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
    monkeypatch.setattr(ingest_runner, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(ingest_runner, "POOL_MIN_CPUS", 1)
    spawned = []
    real_pool = ingest_runner.ProcessPoolExecutor

    def counting_pool(*args, **kwargs):
        spawned.append(args)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(ingest_runner, "ProcessPoolExecutor", counting_pool)
    inline = []
    real_parse = ingest_runner.parse_invoice
    monkeypatch.setattr(
        ingest_runner, "parse_invoice", lambda data: inline.append(1) or real_parse(data)
    )
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
