"""The synthetic data generator: determinism, contract conformance, realism, ground truth.

Everything runs on tiny data (well under a second to generate). The checks read the
written files back with the standard library and lxml, independently of the generator.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest
from lxml import etree

from leerdata.config import DataPaths
from leerdata.contract import (
    CSV_SOURCES,
    ENROLMENT_STATUSES,
    INVOICE_FILE_PATTERN,
    INVOICE_FOLDER,
    UBL_NAMESPACES,
    Column,
    csv_source_for,
)
from leerdata.generate import run_generate
from leerdata.generate.billing import LINE_CODES
from leerdata.generate.runner import TruthError, _check_truth

# All on one worker, so the module fixtures (a tiny generation) are built once per run.
pytestmark = pytest.mark.xdist_group("generate")

SEED = 7
NS = UBL_NAMESPACES


def _generate(root: Path, seed: int = SEED) -> DataPaths:
    paths = DataPaths.of(root)
    run_generate("tiny", seed, paths, show_progress=False)
    return paths


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    return _generate(tmp_path_factory.mktemp("gen") / "tiny")


def _digests(paths: DataPaths) -> dict[str, str]:
    """Every generated file (landing/ and truth/; not the write lock's holder note)."""
    return {
        str(p.relative_to(paths.root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in (paths.landing, paths.truth)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _rows(paths: DataPaths, prefix: str) -> list[tuple[str, int, dict[str, str]]]:
    """(file date, line number, row) for every file of one kind, oldest file first."""
    out: list[tuple[str, int, dict[str, str]]] = []
    folder = {"hr": "hr", "enrolments": "lms", "attendance": "lms", "exam_results": "lms",
              "evaluations": "lms", "suppliers": "catalogue", "courses": "catalogue",
              "sessions": "catalogue"}[prefix]  # fmt: skip
    for path in sorted((paths.landing / folder).glob(f"{prefix}_*.csv"), key=lambda p: p.stem[-8:]):
        _, rows = _read_csv(path)
        out.extend((path.stem[-8:], i + 2, row) for i, row in enumerate(rows))
    return out


def _newest(
    rows: list[tuple[str, int, dict[str, str]]], key: tuple[str, ...], order: str | None = None
) -> dict:
    best: dict = {}
    for file_date, line, row in rows:
        rank = (row[order] if order else "", file_date, line)
        k = tuple(row[c] for c in key)
        if k not in best or rank >= best[k][0]:
            best[k] = (rank, row)
    return {k: v[1] for k, v in best.items()}


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tiny: DataPaths, tmp_path: Path) -> None:
    again = _generate(tmp_path / "again")
    assert _digests(again) == _digests(tiny)


def test_other_seed_gives_other_data(tiny: DataPaths, tmp_path: Path) -> None:
    other = _digests(_generate(tmp_path / "other", seed=SEED + 1))
    mine = _digests(tiny)
    differing = [name for name in mine.keys() & other.keys() if mine[name] != other[name]]
    assert len(differing) > len(mine) // 2


def test_refuses_a_landing_zone_that_holds_files(tiny: DataPaths) -> None:
    with pytest.raises(Exception, match="already holds files"):
        run_generate("tiny", SEED, tiny, show_progress=False)


# --- contract conformance ---------------------------------------------------------------------


def _value_error(column: Column, value: str) -> str | None:
    if value == "":
        return "required" if column.required else None
    try:
        if column.type == "int":
            number = Decimal(int(value))
        elif column.type == "decimal":
            if not re.fullmatch(r"-?\d+(\.\d+)?", value):
                return "decimal"
            number = Decimal(value)
        elif column.type == "date":
            date.fromisoformat(value)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return "date"
        elif column.type == "timestamp":
            datetime.fromisoformat(value)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
                return "timestamp"
        elif column.type == "bool" and value not in ("true", "false"):
            return "bool"
    except ValueError:
        return column.type
    if column.allowed is not None and value not in column.allowed:
        return "allowed"
    if column.type in ("int", "decimal"):
        if column.minimum is not None and number < Decimal(str(column.minimum)):
            return "minimum"
        if column.maximum is not None and number > Decimal(str(column.maximum)):
            return "maximum"
    return None


def test_every_landing_file_is_named_by_the_contract(tiny: DataPaths) -> None:
    files = [p for p in tiny.landing.rglob("*") if p.is_file()]
    assert files
    for path in files:
        folder = path.parent.name
        if folder == INVOICE_FOLDER:
            assert re.fullmatch(INVOICE_FILE_PATTERN, path.name), path
        else:
            assert csv_source_for(folder, path.name) is not None, path
    folders = {p.parent.name for p in files}
    assert folders == {"hr", "catalogue", "lms", INVOICE_FOLDER}
    assert not any(tiny.landing.rglob("*.json")), "ground truth must stay outside landing/"


def test_every_csv_matches_the_contract_columns_types_and_values(tiny: DataPaths) -> None:
    seen_sources = set()
    for path in sorted(tiny.landing.rglob("*.csv")):
        source = csv_source_for(path.parent.name, path.name)
        assert source is not None
        seen_sources.add(source.name)
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
        header, rows = _read_csv(path)
        assert tuple(header) == source.column_names, path.name
        assert rows, f"{path.name} has no rows"
        for i, row in enumerate(rows):
            assert None not in row, f"{path.name}:{i + 2} has extra fields"
            for column in source.columns:
                problem = _value_error(column, row[column.name])
                assert problem is None, (
                    f"{path.name}:{i + 2} {column.name}={row[column.name]!r} ({problem})"
                )
    assert seen_sources == {s.name for s in CSV_SOURCES}


def test_money_has_two_decimals(tiny: DataPaths) -> None:
    for _, _, row in _rows(tiny, "courses"):
        assert re.fullmatch(r"\d+\.\d{2}", row["price_eur"]), row["price_eur"]


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, NS)
    return None if found is None else found.text


def _required_text(element: etree._Element, path: str) -> str:
    text = _text(element, path)
    assert text is not None, f"{path} missing"
    return text


def _parse_invoices(paths: DataPaths) -> list[dict]:
    invoices = []
    for path in sorted((paths.landing / INVOICE_FOLDER).glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        is_credit_note = root.tag == f"{{{NS['cn']}}}CreditNote"
        assert is_credit_note or root.tag == f"{{{NS['inv']}}}Invoice", path
        line_tag, qty_tag, type_tag = (
            ("cac:CreditNoteLine", "cbc:CreditedQuantity", "cbc:CreditNoteTypeCode")
            if is_credit_note
            else ("cac:InvoiceLine", "cbc:InvoicedQuantity", "cbc:InvoiceTypeCode")
        )
        company = root.find(
            "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", NS
        )
        lines = []
        for line in root.findall(line_tag, NS):
            qty = line.find(qty_tag, NS)
            amount = line.find("cbc:LineExtensionAmount", NS)
            assert qty.get("unitCode") == "C62" and amount.get("currencyID") == "EUR"
            lines.append(
                {
                    "line_id": _text(line, "cbc:ID"),
                    "quantity": Decimal(qty.text),
                    "amount": Decimal(amount.text),
                    "ref": _text(line, "cac:OrderLineReference/cbc:LineID"),
                    "name": _text(line, "cac:Item/cbc:Name"),
                    "course_id": _text(line, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
                    "tax_id": _text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
                    "percent": _text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
                    "scheme": _text(
                        line, "cac:Item/cac:ClassifiedTaxCategory/cac:TaxScheme/cbc:ID"
                    ),
                    "price": Decimal(_required_text(line, "cac:Price/cbc:PriceAmount")),
                }
            )
        invoices.append(
            {
                "file": path.name,
                "root": root,
                "id": _text(root, "cbc:ID"),
                "issue_date": date.fromisoformat(_required_text(root, "cbc:IssueDate")),
                "type": _text(root, type_tag),
                "sign": -1 if is_credit_note else 1,
                "reference": _text(
                    root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
                ),
                "currency": _text(root, "cbc:DocumentCurrencyCode"),
                "buyer_reference": _text(root, "cbc:BuyerReference"),
                "company_id": company.text,
                "scheme": company.get("schemeID"),
                "total": Decimal(
                    _required_text(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount")
                ),
                "lines": lines,
            }
        )
    return invoices


PEPPOL_HEADER_ORDER = [
    "CustomizationID", "ProfileID", "ID", "IssueDate", "DueDate", "InvoiceTypeCode",
    "CreditNoteTypeCode", "DocumentCurrencyCode", "BuyerReference", "OrderReference",
    "BillingReference", "AccountingSupplierParty", "AccountingCustomerParty", "PaymentMeans",
    "AllowanceCharge", "TaxTotal", "LegalMonetaryTotal", "InvoiceLine", "CreditNoteLine",
]  # fmt: skip


def test_every_invoice_is_peppol_shaped_ubl(tiny: DataPaths) -> None:
    invoices = _parse_invoices(tiny)
    assert invoices
    kvk = {row["kvk_number"] for _, _, row in _rows(tiny, "suppliers") if row["kvk_number"]}
    ids = [inv["id"] for inv in invoices]
    assert len(ids) == len(set(ids))
    for inv in invoices:
        children = [etree.QName(child).localname for child in inv["root"]]
        order = [PEPPOL_HEADER_ORDER.index(name) for name in children]
        assert order == sorted(order), f"{inv['file']}: element order {children}"
        assert inv["type"] in ("380", "381", "384") and inv["currency"] == "EUR"
        assert inv["buyer_reference"]
        assert (inv["type"] == "380") == (inv["reference"] is None), inv["file"]
        assert inv["scheme"] == "0106" and inv["company_id"] in kvk
        monetary = inv["root"].find("cac:LegalMonetaryTotal", NS)
        names = [etree.QName(c).localname for c in monetary]
        optional = {"AllowanceTotalAmount", "ChargeTotalAmount"}
        assert [n for n in names if n not in optional] == [
            "LineExtensionAmount",
            "TaxExclusiveAmount",
            "TaxInclusiveAmount",
            "PayableAmount",
        ]
        assert inv["lines"]
        for line in inv["lines"]:
            assert line["line_id"] and line["course_id"] and line["name"]
            assert line["amount"] == line["amount"].quantize(Decimal("0.01"))
            if line["percent"] is not None:
                assert line["scheme"] == "VAT"
                zero = ("Z", "E")  # E: training exempt from VAT (interpretation #32)
                assert (line["tax_id"] in zero) == (Decimal(line["percent"]) == 0)


def test_some_invoice_lines_name_the_participant(tiny: DataPaths) -> None:
    last_names = {row["last_name"] for _, _, row in _rows(tiny, "hr")}
    names = [line["name"] for inv in _parse_invoices(tiny) for line in inv["lines"]]
    assert any(any(word.strip("()") in last_names for word in name.split()) for name in names)


# --- ground truth -----------------------------------------------------------------------------


def _truth(paths: DataPaths) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    _, lines = _read_csv(paths.truth / "invoice_lines.csv")
    _, invoices = _read_csv(paths.truth / "invoices.csv")
    return lines, invoices


def test_truth_has_every_reason_code_and_matches_the_xml(tiny: DataPaths) -> None:
    lines, invoices = _truth(tiny)
    codes = Counter(c for row in lines for c in row["expected_reason_codes"].split(",") if c)
    assert set(codes) == set(LINE_CODES)
    assert any("," in row["expected_reason_codes"] for row in lines), "some line has several codes"
    for row in lines:
        listed = row["expected_reason_codes"].split(",") if row["expected_reason_codes"] else []
        assert listed == sorted(set(listed))
    parsed = _parse_invoices(tiny)
    xml_lines = {
        (inv["id"], ln["line_id"]): (ln["ref"], inv["sign"] * ln["amount"])
        for inv in parsed
        for ln in inv["lines"]
    }
    truth_lines = {
        (r["invoice_id"], r["line_id"]): (
            r["order_line_ref"] or None,
            Decimal(r["invoiced_amount_eur"]),
        )
        for r in lines
    }
    assert truth_lines == xml_lines
    # Invoice level: TOTAL_MISMATCH exactly when the header total differs from the lines.
    by_id = {inv["id"]: inv for inv in parsed}
    assert {r["invoice_id"] for r in invoices} == set(by_id)
    for row in invoices:
        inv = by_id[row["invoice_id"]]
        mismatch = inv["total"] != sum(line["amount"] for line in inv["lines"])
        assert ("TOTAL_MISMATCH" in row["expected_reason_codes"].split(",")) == mismatch
    assert any(r["expected_reason_codes"] == "TOTAL_MISMATCH" for r in invoices)
    invoice_codes = {c for r in invoices for c in r["expected_reason_codes"].split(",") if c}
    assert invoice_codes == {"TOTAL_MISMATCH", "CHARGE_NOT_AGREED", "VAT_TOTAL_MISMATCH"}


def test_truth_agrees_with_a_plain_python_reading_of_the_files(tiny: DataPaths) -> None:
    """A second, row-by-row reading of a few rules, straight from the landing files."""
    enrolments = {
        k[0]: v
        for k, v in _newest(_rows(tiny, "enrolments"), ("enrolment_id",), "updated_at").items()
    }
    sessions = {k[0]: v for k, v in _newest(_rows(tiny, "sessions"), ("session_id",)).items()}
    courses = defaultdict(list)
    for row in _newest(_rows(tiny, "courses"), ("course_id", "valid_from")).values():
        courses[row["course_id"]].append(row)
    lines, _ = _truth(tiny)
    parsed = {
        (inv["id"], ln["line_id"]): (inv, ln)
        for inv in _parse_invoices(tiny)
        for ln in inv["lines"]
    }
    checked = 0
    for row in lines:
        inv, line = parsed[(row["invoice_id"], row["line_id"])]
        codes = set(row["expected_reason_codes"].split(",")) - {""}
        if inv["type"] != "380":  # credit notes and corrections: reference only (#28)
            assert codes <= {"CREDIT_WITHOUT_REFERENCE"}, row
            continue
        ref = line["ref"]
        enrolment = enrolments.get(ref)
        session = sessions.get(enrolment["session_id"] if enrolment else ref)
        if session is None:
            assert "UNKNOWN_REFERENCE" in codes, row
            continue
        start = session["start_date"]
        price = next(
            c
            for c in courses[session["course_id"]]
            if c["valid_from"] <= start and (c["valid_to"] or "9999") >= start
        )
        wrong_kind = (enrolment is not None) != (price["pricing_model"] == "per_participant")
        assert ("UNKNOWN_REFERENCE" in codes) == wrong_kind, row
        if wrong_kind:
            continue
        assert ("QUANTITY_MISMATCH" in codes) == (line["quantity"] != 1)
        assert ("ARITHMETIC_ERROR" in codes) == (line["amount"] != line["quantity"] * line["price"])
        percent = None if line["percent"] is None else int(Decimal(line["percent"]))
        assert ("VAT_MISMATCH" in codes) == (percent != int(price["vat_rate"]))
        assert ("SESSION_CANCELLED" in codes) == (session["status"] == "cancelled_by_supplier")
        assert ("NOT_YET_DELIVERED" in codes) == (
            session["status"] != "cancelled_by_supplier"
            and (
                inv["issue_date"] < date.fromisoformat(start)
                or (enrolment or {}).get("status") == "enrolled"
            )
        )
        if enrolment is not None and session["status"] == "held":
            status = enrolment["status"]
            lead = None
            if enrolment["cancelled_at"]:
                lead = (
                    date.fromisoformat(start)
                    - datetime.fromisoformat(enrolment["cancelled_at"]).date()
                ).days
            late = (
                status == "cancelled"
                and lead is not None
                and lead < int(price["free_cancellation_days"])
            )
            billable = status in ("completed", "no_show") or late
            assert ("CANCELLED_IN_TIME" in codes) == (status == "cancelled" and not late)
            assert ("NOT_ENROLLED" in codes) == (
                status in ("requested", "approved", "rejected", "waitlisted")
            )
            fee = Decimal(price["price_eur"]) * Decimal(price["late_cancellation_fee_pct"]) / 100
            expected = (
                fee.quantize(Decimal("0.01"), "ROUND_HALF_UP")
                if late
                else Decimal(price["price_eur"])
            )
            assert Decimal(row["expected_amount_eur"]) == (expected if billable else 0), row
            assert ("PRICE_MISMATCH" in codes) == (
                billable and line["amount"] > expected + Decimal("0.01")
            )
            checked += 1
    assert checked > 20


def test_truth_check_catches_a_fault_the_rules_do_not_raise() -> None:
    lines = pl.DataFrame({"intended": [["PRICE_MISMATCH"], []]})
    with pytest.raises(TruthError):
        _check_truth(lines, pl.DataFrame({"expected_reason_codes": ["VAT_MISMATCH", ""]}))
    with pytest.raises(TruthError):
        _check_truth(
            pl.DataFrame({"intended": [[], []]}),
            pl.DataFrame({"expected_reason_codes": ["", "VAT_MISMATCH"]}),
        )


def test_manifest_describes_the_run(tiny: DataPaths) -> None:
    import json

    manifest = json.loads((tiny.truth / "manifest.json").read_text())
    assert manifest["scale"] == "tiny" and manifest["seed"] == SEED
    lines, _ = _truth(tiny)
    assert manifest["invoice_lines"] == len(lines)
    assert set(manifest["line_reason_code_counts"]) == set(LINE_CODES)


# --- realism ----------------------------------------------------------------------------------


def test_enrolment_statuses_and_timestamps_are_consistent(tiny: DataPaths) -> None:
    rows = _rows(tiny, "enrolments")
    final = {k[0]: v for k, v in _newest(rows, ("enrolment_id",), "updated_at").items()}
    assert set(Counter(r["status"] for r in final.values())) == set(ENROLMENT_STATUSES)
    statuses = Counter(r["status"] for r in final.values())
    assert statuses.most_common(1)[0][0] == "completed"
    per_id = defaultdict(set)
    for _, _, row in rows:
        per_id[row["enrolment_id"]].add(row["status"])
        stamps = [row[c] for c in ("requested_at", "approved_at") if row[c]]
        outcome = row["cancelled_at"] or row["completed_at"]
        assert stamps == sorted(stamps) and (not outcome or outcome > stamps[-1]), row
        assert row["updated_at"] == max(v for c, v in row.items() if c.endswith("_at") and v)
    assert sum(len(s) > 1 for s in per_id.values()) > len(per_id) // 4, (
        "upserts with an earlier status"
    )
    payer = [r["payer_department_code"] for r in final.values()]
    assert 0 < sum(bool(p) for p in payer) < len(payer) // 3
    session_ids = {r["session_id"] for _, _, r in _rows(tiny, "sessions")}
    assert not session_ids & set(final), "enrolment and session ids must be disjoint"


def test_participants_are_in_hr_on_the_session_date(tiny: DataPaths) -> None:
    snapshots: defaultdict[str, dict[str, dict[str, str]]] = defaultdict(
        dict
    )  # employee -> {date: row}
    for file_date, _, row in _rows(tiny, "hr"):
        snapshots[row["employee_id"]][f"{file_date[:4]}-{file_date[4:6]}-{file_date[6:]}"] = row
    sessions = {k[0]: v for k, v in _newest(_rows(tiny, "sessions"), ("session_id",)).items()}
    final = _newest(_rows(tiny, "enrolments"), ("enrolment_id",), "updated_at").values()
    for row in final:
        start = sessions[row["session_id"]]["start_date"]
        history = snapshots[row["employee_id"]]
        before = [d for d in history if d <= start]
        assert before, row
        latest = history[max(before)]
        assert latest["hire_date"] <= start and (
            not latest["exit_date"] or latest["exit_date"] >= start
        )


def test_hr_history_has_hires_exits_transfers_rehires_and_gaps(tiny: DataPaths) -> None:
    by_person = defaultdict(list)
    dates = sorted({file_date for file_date, _, _ in _rows(tiny, "hr")})
    for file_date, _, row in _rows(tiny, "hr"):
        by_person[row["employee_id"]].append((dates.index(file_date), row))
    transfers = rehires = gaps = exits = 0
    for history in by_person.values():
        history.sort(key=lambda item: item[0])
        departments = [row["department_code"] for _, row in history]
        transfers += any(a != b for a, b in pairwise(departments))
        for (i, a), (j, b) in pairwise(history):
            if j > i + 1 and a["hire_date"] != b["hire_date"]:
                rehires += 1
                assert a["exit_date"], "a rehire left first"
            elif j == i + 2 and a["hire_date"] == b["hire_date"]:
                gaps += 1
        last_index, last = history[-1]
        if last["exit_date"]:
            exits += 1
            last_export = f"{dates[-1][:4]}-{dates[-1][4:6]}-{dates[-1][6:]}"
            assert last_index < len(dates) - 1 or last["exit_date"] > last_export
    assert transfers and rehires and gaps and exits
    for _, _, row in _rows(tiny, "hr"):
        age = (
            date.fromisoformat(row["hire_date"]) - date.fromisoformat(row["birth_date"])
        ).days / 365.25
        assert 17 < age < 67
    emails = Counter(row["email"] for _, _, row in _rows(tiny, "hr"))
    per_snapshot = Counter((d, row["email"]) for d, _, row in _rows(tiny, "hr"))
    assert max(per_snapshot.values()) == 1 and len(emails) > 100
    scales = Counter(int(row["salary_scale"]) for _, _, row in _rows(tiny, "hr"))
    assert sum(scales[s] for s in range(8, 13)) > sum(scales.values()) / 2


def test_catalogue_has_price_changes_and_every_kind_of_course(tiny: DataPaths) -> None:
    rows = _newest(_rows(tiny, "courses"), ("course_id", "valid_from")).values()
    periods = defaultdict(list)
    for row in rows:
        periods[row["course_id"]].append(row)
    changed = [p for p in periods.values() if len(p) > 1]
    assert changed
    for history in changed:
        history.sort(key=lambda r: r["valid_from"])
        for a, b in pairwise(history):
            assert date.fromisoformat(a["valid_to"]) == date.fromordinal(
                date.fromisoformat(b["valid_from"]).toordinal() - 1
            )
        assert not history[-1]["valid_to"]
    assert {r["delivery_mode"] for r in rows} == {"classroom", "e-learning", "blended", "webinar"}
    assert {r["pricing_model"] for r in rows} == {"per_participant", "per_session"}
    assert {r["vat_rate"] for r in rows} == {"0", "21"}
    assert {r["has_exam"] for r in rows} == {"true", "false"}
    suppliers = _newest(_rows(tiny, "suppliers"), ("supplier_id",)).values()
    internal = [s for s in suppliers if s["is_internal"] == "true"]
    assert len(internal) == 1
    assert all(
        re.fullmatch(r"\d{8}", s["kvk_number"]) for s in suppliers if s["is_internal"] == "false"
    )
    assert all(
        re.fullmatch(r"NL\d{9}B\d{2}", s["vat_number"])
        for s in suppliers
        if s["is_internal"] == "false"
    )
    sessions = _newest(_rows(tiny, "sessions"), ("session_id",)).values()
    assert {s["status"] for s in sessions} == {"held", "scheduled", "cancelled_by_supplier"}
    assert any(int(s["days"]) > 1 for s in sessions)
    # Internal courses are never invoiced.
    internal_courses = {
        r["course_id"] for r in rows if r["supplier_id"] == internal[0]["supplier_id"]
    }
    invoiced = {ln["course_id"] for inv in _parse_invoices(tiny) for ln in inv["lines"]}
    assert internal_courses and not internal_courses & invoiced


def test_lms_side_files_look_real(tiny: DataPaths) -> None:
    evaluations = [r for _, _, r in _rows(tiny, "evaluations")]
    assert any(not r["enrolment_id"] for r in evaluations) and any(
        r["enrolment_id"] for r in evaluations
    )
    last_names = {row["last_name"] for _, _, row in _rows(tiny, "hr")}
    comments = [r["comment"] for r in evaluations if r["comment"]]
    assert any(any(word.rstrip(".;,") in last_names for word in c.split()) for c in comments)
    exams = [r for _, _, r in _rows(tiny, "exam_results")]
    retakes = {r["enrolment_id"] for r in exams if r["attempt"] == "2"}
    failed_first = {
        r["enrolment_id"] for r in exams if r["attempt"] == "1" and r["passed"] == "false"
    }
    assert retakes and retakes <= failed_first
    final = _newest(_rows(tiny, "enrolments"), ("enrolment_id",), "updated_at")
    attendance = defaultdict(list)
    for _, _, r in _rows(tiny, "attendance"):
        attendance[r["enrolment_id"]].append(r["present"])
    for enrolment_id, present in attendance.items():
        status = final[(enrolment_id,)]["status"]
        assert status in ("completed", "no_show")
        if status == "no_show":
            assert set(present) == {"false"}
        else:
            assert "true" in present
