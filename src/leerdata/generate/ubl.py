"""UBL 2.1 invoices (Peppol BIS Billing 3.0 / NLCIUS element order) from string templates.

Line XML is assembled column-wise in polars and joined per invoice; only the header is
formatted per invoice in Python. All free text is XML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import polars as pl

from leerdata.generate.frames import cents_to_text
from leerdata.generate.pools import COMMON_CITIES

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
BUYER_NAME = "Leer- en Ontwikkelplein (Rijksoverheid)"
BUYER_OIN = "00000001003214345000"
STREETS = (
    "Stationsplein",
    "Kerkstraat",
    "Hoofdstraat",
    "Parkweg",
    "Oude Gracht",
    "Laan van Nieuw Oost-Indië",
    "Marktplein",
)


def escape(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def _escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _category(lines: pl.DataFrame) -> pl.Expr:
    if "vat_category" in lines.columns:
        return pl.col("vat_category")
    return pl.when(pl.col("vat_percent") == 0).then(pl.lit("Z")).otherwise(pl.lit("S"))


def line_xml(lines: pl.DataFrame) -> pl.DataFrame:
    """Per invoice_idx the concatenated <cac:InvoiceLine> (or CreditNoteLine) elements."""
    credit = pl.col("is_credit_note") if "is_credit_note" in lines.columns else pl.lit(False)
    line_tag = pl.when(credit).then(pl.lit("CreditNoteLine")).otherwise(pl.lit("InvoiceLine"))
    quantity_tag = (
        pl.when(credit).then(pl.lit("CreditedQuantity")).otherwise(pl.lit("InvoicedQuantity"))
    )
    tax = (
        pl.when(pl.col("vat_percent").is_not_null())
        .then(
            pl.format(
                "      <cac:ClassifiedTaxCategory>\n"
                "        <cbc:ID>{}</cbc:ID>\n"
                "        <cbc:Percent>{}</cbc:Percent>\n"
                "        <cac:TaxScheme>\n"
                "          <cbc:ID>VAT</cbc:ID>\n"
                "        </cac:TaxScheme>\n"
                "      </cac:ClassifiedTaxCategory>\n",
                _category(lines),
                pl.col("vat_percent").cast(pl.String),
            )
        )
        .otherwise(pl.lit(""))
    )
    reference = (
        pl.when(pl.col("order_line_ref").is_not_null())
        .then(
            pl.format(
                "    <cac:OrderLineReference>\n"
                "      <cbc:LineID>{}</cbc:LineID>\n"
                "    </cac:OrderLineReference>\n",
                escape(pl.col("order_line_ref")),
            )
        )
        .otherwise(pl.lit(""))
    )
    xml = pl.concat_str(
        [
            pl.format("  <cac:{}>\n    <cbc:ID>{}</cbc:ID>\n", line_tag, pl.col("line_id")),
            pl.format(
                '    <cbc:{} unitCode="C62">{}</cbc:{}>\n',
                quantity_tag,
                pl.col("quantity").cast(pl.String),
                quantity_tag,
            ),
            pl.format(
                '    <cbc:LineExtensionAmount currencyID="EUR">{}</cbc:LineExtensionAmount>\n',
                cents_to_text(pl.col("amount_cents")),
            ),
            reference,
            pl.format(
                "    <cac:Item>\n      <cbc:Name>{}</cbc:Name>\n", escape(pl.col("item_name"))
            ),
            pl.format(
                "      <cac:SellersItemIdentification>\n"
                "        <cbc:ID>{}</cbc:ID>\n"
                "      </cac:SellersItemIdentification>\n",
                pl.col("course_id"),
            ),
            tax,
            pl.lit("    </cac:Item>\n"),
            pl.format(
                "    <cac:Price>\n"
                '      <cbc:PriceAmount currencyID="EUR">{}</cbc:PriceAmount>\n'
                "    </cac:Price>\n",
                cents_to_text(pl.col("price_cents")),
            ),
            pl.format("  </cac:{}>\n", line_tag),
        ]
    )
    return (
        lines.sort("invoice_idx", "seq")
        .group_by("invoice_idx", maintain_order=True)
        .agg(xml.str.join("").alias("xml"))
    )


def tax_subtotals(lines: pl.DataFrame, invoices: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per invoice and tax category: taxable amount and tax (half-up to cents). A document
    allowance or charge is in the category of the invoice's first taxed line."""
    taxed = lines.filter(pl.col("vat_percent").is_not_null()).with_columns(
        _category(lines).alias("category")
    )
    parts = taxed.select("invoice_idx", "vat_percent", "category", "amount_cents")
    if invoices is not None and "allowance_cents" in invoices.columns:
        first = (
            taxed.sort("invoice_idx", "seq").group_by("invoice_idx", maintain_order=True).first()
        )
        adjustments = invoices.select(
            "invoice_idx",
            (pl.col("charge_cents") - pl.col("allowance_cents")).alias("amount_cents"),
        ).join(first.select("invoice_idx", "vat_percent", "category"), on="invoice_idx")
        parts = pl.concat([parts, adjustments.select(parts.columns)])
    return (
        parts.group_by("invoice_idx", "vat_percent", "category")
        .agg(pl.col("amount_cents").sum().alias("taxable"))
        .with_columns(
            # half-up on the absolute value, so negative amounts round symmetrically
            (
                pl.col("taxable").sign()
                * ((pl.col("taxable").abs() * pl.col("vat_percent") + 50) // 100)
            ).alias("tax")
        )
        .sort("invoice_idx", "vat_percent", "category", descending=[False, True, False])
    )


def _party_address(supplier_idx: int) -> tuple[str, str, str]:
    rng = np.random.default_rng(supplier_idx)
    street = f"{STREETS[int(rng.integers(0, len(STREETS)))]} {int(rng.integers(1, 200))}"
    letters = "".join(chr(65 + int(x)) for x in rng.integers(0, 26, 2))
    postal = f"{int(rng.integers(1000, 9999))} {letters}"
    return street, COMMON_CITIES[int(rng.integers(0, len(COMMON_CITIES)))], postal


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def render_invoices(
    invoices: pl.DataFrame, lines: pl.DataFrame, suppliers: pl.DataFrame, chunk: int = 500
) -> Iterator[tuple[str, str]]:
    """(file name, XML text) per invoice, a chunk of invoices at a time to bound memory."""
    ordered = invoices.sort("invoice_idx")
    for offset in range(0, ordered.height, chunk):
        part = ordered.slice(offset, chunk)
        wanted = lines.filter(pl.col("invoice_idx").is_in(part["invoice_idx"].implode()))
        yield from _render_chunk(part, wanted, suppliers)


def _document_extras(invoices: pl.DataFrame) -> pl.DataFrame:
    """Invoices without the document columns of generate.adjustments render as before."""
    defaults = {
        "document_type": pl.lit("invoice"),
        "corrected_invoice_id": pl.lit(None, dtype=pl.String),
        "allowance_cents": pl.lit(0, dtype=pl.Int64),
        "charge_cents": pl.lit(0, dtype=pl.Int64),
        "charge_code": pl.lit(None, dtype=pl.String),
        "charge_reason": pl.lit(None, dtype=pl.String),
        "tax_delta_cents": pl.lit(0, dtype=pl.Int64),
    }
    return invoices.with_columns(
        [expr.alias(name) for name, expr in defaults.items() if name not in invoices.columns]
    )


def _allowance_charge_xml(is_charge: bool, code: str, reason: str, cents: int, sub: tuple) -> str:
    _, pct, category = sub
    return f"""  <cac:AllowanceCharge>
    <cbc:ChargeIndicator>{"true" if is_charge else "false"}</cbc:ChargeIndicator>
    <cbc:AllowanceChargeReasonCode>{code}</cbc:AllowanceChargeReasonCode>
    <cbc:AllowanceChargeReason>{reason}</cbc:AllowanceChargeReason>
    <cbc:Amount currencyID="EUR">{_money(cents)}</cbc:Amount>
    <cac:TaxCategory>
      <cbc:ID>{category}</cbc:ID>
      <cbc:Percent>{pct}</cbc:Percent>
      <cac:TaxScheme>
        <cbc:ID>VAT</cbc:ID>
      </cac:TaxScheme>
    </cac:TaxCategory>
  </cac:AllowanceCharge>
"""


def _render_chunk(
    invoices: pl.DataFrame, lines: pl.DataFrame, suppliers: pl.DataFrame
) -> Iterator[tuple[str, str]]:
    """(file name, XML text) per document: Invoice (380 / 384) or CreditNote (381)."""
    invoices = _document_extras(invoices)
    credit_notes = invoices.filter(pl.col("document_type") == "credit_note")["invoice_idx"]
    lines = lines.with_columns(
        pl.col("invoice_idx").is_in(credit_notes.implode()).alias("is_credit_note")
    )
    bodies = dict(
        zip(
            *line_xml(lines).select("invoice_idx", "xml").to_dict(as_series=False).values(),
            strict=True,
        )
    )
    totals = lines.group_by("invoice_idx").agg(pl.col("amount_cents").sum().alias("sum"))
    subtotals = tax_subtotals(lines, invoices)
    sub_by_invoice: dict[int, list[tuple[int, str, int, int]]] = {}  # pct, category, taxable, tax
    first_sub: dict[int, tuple[int, int, str]] = {}
    first = (
        lines.filter(pl.col("vat_percent").is_not_null())
        .with_columns(_category(lines).alias("category"))
        .sort("invoice_idx", "seq")
        .group_by("invoice_idx", maintain_order=True)
        .first()
    )
    for inv, pct, category in first.select("invoice_idx", "vat_percent", "category").iter_rows():
        first_sub[inv] = (0, pct, category)
    for inv, pct, category, taxable, tax in subtotals.select(
        "invoice_idx", "vat_percent", "category", "taxable", "tax"
    ).iter_rows():
        sub_by_invoice.setdefault(inv, []).append((pct, category, taxable, tax))
    header = invoices.join(totals, on="invoice_idx", maintain_order="left").join(
        suppliers.select(
            "supplier_idx",
            pl.col("name").alias("supplier_name"),
            "kvk_number",
            "vat_number",
            "iban",
        ),
        on="supplier_idx",
        maintain_order="left",
    )
    for row in header.iter_rows(named=True):
        inv = row["invoice_idx"]
        total = row["sum"] + row["total_delta_cents"]
        subs: list[list[Any]] = [list(s) for s in sub_by_invoice.get(inv, [])]
        if subs and row["tax_delta_cents"]:
            subs[0][3] += row["tax_delta_cents"]  # a wrong VAT subtotal (VAT_TOTAL_MISMATCH)
        tax_total = sum(s[3] for s in subs)
        allowance, charge = row["allowance_cents"], row["charge_cents"]
        tax_exclusive = total - allowance + charge
        payable = tax_exclusive + tax_total
        street, city, postal = _party_address(row["supplier_idx"])
        sub_xml = "".join(
            f"""    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{_money(taxable)}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{_money(tax)}</cbc:TaxAmount>
      <cac:TaxCategory>
        <cbc:ID>{category}</cbc:ID>
        <cbc:Percent>{pct}</cbc:Percent>
        <cac:TaxScheme>
          <cbc:ID>VAT</cbc:ID>
        </cac:TaxScheme>
      </cac:TaxCategory>
    </cac:TaxSubtotal>
"""
            for pct, category, taxable, tax in subs
        )
        adjustments_xml = ""
        if allowance:
            adjustments_xml += _allowance_charge_xml(
                False, "95", "Volumekorting", allowance, first_sub[inv]
            )
        if charge:
            adjustments_xml += _allowance_charge_xml(
                True, row["charge_code"], row["charge_reason"], charge, first_sub[inv]
            )
        totals_xml = ""
        if allowance:
            totals_xml += (
                f'    <cbc:AllowanceTotalAmount currencyID="EUR">{_money(allowance)}'
                "</cbc:AllowanceTotalAmount>\n"
            )
        if charge:
            totals_xml += (
                f'    <cbc:ChargeTotalAmount currencyID="EUR">{_money(charge)}'
                "</cbc:ChargeTotalAmount>\n"
            )
        is_credit_note = row["document_type"] == "credit_note"
        root = "CreditNote" if is_credit_note else "Invoice"
        type_element = "CreditNoteTypeCode" if is_credit_note else "InvoiceTypeCode"
        type_code = {"credit_note": "381", "corrective_invoice": "384"}.get(
            row["document_type"], "380"
        )
        billing_reference = (
            "  <cac:BillingReference>\n    <cac:InvoiceDocumentReference>\n"
            f"      <cbc:ID>{row['corrected_invoice_id']}</cbc:ID>\n"
            "    </cac:InvoiceDocumentReference>\n  </cac:BillingReference>\n"
            if row["corrected_invoice_id"]
            else ""
        )
        issue = row["issue_date"]
        due = issue.fromordinal(issue.toordinal() + 30)
        name = _escape_text(row["supplier_name"])
        xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
         xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>{CUSTOMIZATION_ID}</cbc:CustomizationID>
  <cbc:ProfileID>{PROFILE_ID}</cbc:ProfileID>
  <cbc:ID>{row["invoice_id"]}</cbc:ID>
  <cbc:IssueDate>{issue.isoformat()}</cbc:IssueDate>
  <cbc:DueDate>{due.isoformat()}</cbc:DueDate>
  <cbc:{type_element}>{type_code}</cbc:{type_element}>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>LOP-{issue.strftime("%Y%m")}</cbc:BuyerReference>
  <cac:OrderReference>
    <cbc:ID>LOP-{issue.strftime("%Y%m")}</cbc:ID>
  </cac:OrderReference>
{billing_reference}  <cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="0106">{row["kvk_number"]}</cbc:EndpointID>
      <cac:PartyName>
        <cbc:Name>{name}</cbc:Name>
      </cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>{street}</cbc:StreetName>
        <cbc:CityName>{city}</cbc:CityName>
        <cbc:PostalZone>{postal}</cbc:PostalZone>
        <cac:Country>
          <cbc:IdentificationCode>NL</cbc:IdentificationCode>
        </cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>{row["vat_number"]}</cbc:CompanyID>
        <cac:TaxScheme>
          <cbc:ID>VAT</cbc:ID>
        </cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>{name}</cbc:RegistrationName>
        <cbc:CompanyID schemeID="0106">{row["kvk_number"]}</cbc:CompanyID>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cbc:EndpointID schemeID="0190">{BUYER_OIN}</cbc:EndpointID>
      <cac:PartyIdentification>
        <cbc:ID schemeID="0190">{BUYER_OIN}</cbc:ID>
      </cac:PartyIdentification>
      <cac:PostalAddress>
        <cbc:StreetName>Turfmarkt 147</cbc:StreetName>
        <cbc:CityName>Den Haag</cbc:CityName>
        <cbc:PostalZone>2511 DP</cbc:PostalZone>
        <cac:Country>
          <cbc:IdentificationCode>NL</cbc:IdentificationCode>
        </cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>{BUYER_NAME}</cbc:RegistrationName>
        <cbc:CompanyID schemeID="0190">{BUYER_OIN}</cbc:CompanyID>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
    <cbc:PaymentID>{row["invoice_id"]}</cbc:PaymentID>
    <cac:PayeeFinancialAccount>
      <cbc:ID>{row["iban"]}</cbc:ID>
    </cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
{adjustments_xml}  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{_money(tax_total)}</cbc:TaxAmount>
{sub_xml}  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{_money(total)}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{_money(tax_exclusive)}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{_money(payable)}</cbc:TaxInclusiveAmount>
{totals_xml}    <cbc:PayableAmount currencyID="EUR">{_money(payable)}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
{bodies[inv]}</{root}>
"""
        yield f"{row['invoice_id']}.xml", xml
