"""Read the contract's fields from one UBL 2.1 invoice (pure: bytes in, values out).

Namespace-aware lookups (contract.UBL_NAMESPACES), so any prefix or a default namespace
redeclared inside an element reads the same. An invoice is all or nothing
(interpretation #5): one unreadable required value rejects the whole file. Values are
checked here and converted by DuckDB on insert; a check here guarantees the cast there.
This module is picklable-friendly so a process pool can parse many files at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lxml import etree

from leerdata.contract import UBL_NAMESPACES

NS = UBL_NAMESPACES
INVOICE_TAG = f"{{{NS['inv']}}}Invoice"
ACCEPTED_TYPE_CODES = ("380",)  # CONTRACT.md: commercial invoice
ACCEPTED_CURRENCIES = ("EUR",)  # money is EUR everywhere; another currency cannot be mixed in

_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# (output column, path below the Invoice, required)
HEADER_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("invoice_id", "cbc:ID", True),
    ("issue_date", "cbc:IssueDate", True),
    ("invoice_type_code", "cbc:InvoiceTypeCode", True),
    ("currency_code", "cbc:DocumentCurrencyCode", True),
    ("buyer_reference", "cbc:BuyerReference", False),
    (
        "supplier_company_id",
        "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID",
        False,
    ),
    ("line_extension_total", "cac:LegalMonetaryTotal/cbc:LineExtensionAmount", False),
)
# (output column, path below cac:InvoiceLine, required)
LINE_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("line_id", "cbc:ID", True),
    ("invoiced_quantity", "cbc:InvoicedQuantity", True),
    ("line_extension_amount", "cbc:LineExtensionAmount", True),
    ("order_line_ref", "cac:OrderLineReference/cbc:LineID", False),
    ("item_name", "cac:Item/cbc:Name", False),
    ("course_id", "cac:Item/cac:SellersItemIdentification/cbc:ID", False),
    ("vat_percent", "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", False),
    ("price_amount", "cac:Price/cbc:PriceAmount", False),
)
# Numeric columns: (max decimals, max integer digits) of their DuckDB DECIMAL type.
NUMERIC_LIMITS: dict[str, tuple[int, int]] = {
    "line_extension_total": (2, 16),
    "line_extension_amount": (2, 16),
    "invoiced_quantity": (4, 14),
    "price_amount": (4, 14),
    "vat_percent": (2, 7),
}


@dataclass(frozen=True)
class Problem:
    line: int  # 0 = the invoice header or the file itself
    element: str | None
    raw_value: str | None
    reason: str


@dataclass
class ParsedInvoice:
    encoding: str | None = None
    header: dict[str, str | None] = field(default_factory=dict)
    lines: list[dict[str, str | None]] = field(default_factory=list)
    line_count: int = 0  # cac:InvoiceLine elements = rows read
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.problems


# No entity expansion and no network: a supplier's file must not reach anything else.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _clark(path: str) -> tuple[str, ...]:
    """ "cac:Item/cbc:Name" as a tuple of namespace-qualified tags."""
    steps = []
    for step in path.split("/"):
        prefix, _, local = step.partition(":")
        steps.append(f"{{{NS[prefix]}}}{local}")
    return tuple(steps)


@dataclass(frozen=True)
class _FieldPaths:
    """The fields of one element, matched in a single walk over its children.

    Calling element.find() once per field re-resolves the path and the namespace map
    every time (~40 µs per invoice line with eight fields, most of a rijk ingest's UBL
    time); one walk that only descends into branches leading to a field is several times
    faster and finds the same element: the first match in document order, as find()
    does.
    """

    fields: tuple[tuple[str, str, bool], ...]
    targets: dict[tuple[str, ...], int] = field(init=False)
    branches: frozenset[tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        targets = {_clark(path): i for i, (_, path, _) in enumerate(self.fields)}
        branches = {steps[:depth] for steps in targets for depth in range(1, len(steps))}
        object.__setattr__(self, "targets", targets)
        object.__setattr__(self, "branches", frozenset(branches))

    def texts(self, element: etree._Element) -> list[str | None]:
        found: list[etree._Element | None] = [None] * len(self.fields)
        self._walk(element, (), found)
        return [_text(e) for e in found]

    def _walk(
        self, element: etree._Element, prefix: tuple[str, ...], found: list[etree._Element | None]
    ) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):  # comments and processing instructions
                continue
            steps = (*prefix, tag)
            index = self.targets.get(steps)
            if index is not None and found[index] is None:
                found[index] = child
            if steps in self.branches:
                self._walk(child, steps, found)


def _text(found: etree._Element | None) -> str | None:
    if found is None:
        return None
    text = "".join(found.itertext()).strip()
    return text or None


def _check_number(column: str, value: str) -> bool:
    if not _NUMBER.fullmatch(value):
        return False
    max_decimals, max_digits = NUMERIC_LIMITS[column]
    whole, _, fraction = value.lstrip("+-").partition(".")
    return len(fraction.rstrip("0")) <= max_decimals and len(whole.lstrip("0")) <= max_digits


def _check_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_valid_value(column: str, value: str) -> bool:
    if column in NUMERIC_LIMITS:
        return _check_number(column, value)
    if column == "issue_date":
        return _check_date(value)
    return True


def _read_fields(
    element: etree._Element, paths: _FieldPaths, line: int
) -> tuple[dict[str, str | None], list[Problem]]:
    values: dict[str, str | None] = {}
    problems: list[Problem] = []
    for (column, path, required), value in zip(paths.fields, paths.texts(element), strict=True):
        values[column] = value
        if value is None:
            if required:
                problems.append(Problem(line, path, None, "UBL_MISSING_ELEMENT"))
        elif not _is_valid_value(column, value):
            problems.append(Problem(line, path, value, "UBL_INVALID_VALUE"))
    return values, problems


def _check_header_codes(header: dict[str, str | None]) -> list[Problem]:
    problems = []
    type_code, currency = header.get("invoice_type_code"), header.get("currency_code")
    if type_code is not None and type_code not in ACCEPTED_TYPE_CODES:
        problems.append(Problem(0, "cbc:InvoiceTypeCode", type_code, "UNKNOWN_VALUE"))
    if currency is not None and currency not in ACCEPTED_CURRENCIES:
        problems.append(Problem(0, "cbc:DocumentCurrencyCode", currency, "UNKNOWN_VALUE"))
    return problems


_HEADER_PATHS = _FieldPaths(HEADER_FIELDS)
_LINE_PATHS = _FieldPaths(LINE_FIELDS)


def parse_invoice(data: bytes) -> ParsedInvoice:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        return ParsedInvoice(problems=[Problem(0, None, str(exc)[:300], "XML_MALFORMED")])
    if root is None:
        return ParsedInvoice(problems=[Problem(0, None, "no root element", "XML_MALFORMED")])
    encoding = (root.getroottree().docinfo.encoding or "utf-8").lower()
    if root.tag != INVOICE_TAG:
        return ParsedInvoice(
            encoding, problems=[Problem(0, None, str(root.tag)[:300], "NOT_AN_INVOICE")]
        )

    header, problems = _read_fields(root, _HEADER_PATHS, 0)
    problems += _check_header_codes(header)
    line_elements = root.findall("cac:InvoiceLine", NS)
    if not line_elements:
        problems.append(Problem(0, "cac:InvoiceLine", None, "UBL_MISSING_ELEMENT"))
    lines = []
    for index, element in enumerate(line_elements, start=1):
        values, line_problems = _read_fields(element, _LINE_PATHS, index)
        lines.append(values)
        problems += line_problems
    return ParsedInvoice(encoding, header, lines, len(line_elements), problems)


def parse_invoice_file(path: Path) -> ParsedInvoice | None:
    """For a process pool: read and parse in the worker (None: let the main process try)."""
    try:
        return parse_invoice(path.read_bytes())
    except Exception:  # the main process reports it as a failed file
        return None
