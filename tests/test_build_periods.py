"""Which years a day's build recomputes (leerdata.builder.periods), on hand-made raw rows.

Each case names the years a reader of the contract expects from the rows delivered
since the last published build; tests/test_incremental_build.py checks the same rule
end to end against a full refresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from leerdata.builder.periods import changed_years
from leerdata.ingest.schema import create_raw_tables

PUBLISHED = {"enrolments": 10, "attendance": 10, "evaluations": 10, "invoices": 10, "hr": 10}
SESSIONS = {  # session -> (course, start date)
    "S2023": ("C1", date(2023, 5, 1)),
    "S2024": ("C1", date(2024, 2, 1)),
    "S2025": ("C2", date(2025, 11, 3)),
    "S2026": ("C2", date(2026, 1, 5)),
}


def _row(
    con: duckdb.DuckDBPyConnection, table: str, batch: int, file: str, **values: object
) -> None:
    columns = [*values, "_batch_id", "_file_name"]
    marks = ", ".join("?" for _ in columns)
    con.execute(
        f"insert into {table} ({', '.join(columns)}) values ({marks})",
        [*values.values(), batch, file],
    )


def _manifest(con: duckdb.DuckDBPyConnection, batch: int, source: str, file: str) -> None:
    con.execute(
        "insert into load_manifest (batch_id, source, file_name, status) "
        "values (?, ?, ?, 'loaded')",
        [batch, source, file],
    )


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as con:
        create_raw_tables(con)
        for session, (course, start) in SESSIONS.items():
            _row(con, "raw_sessions", 1, "sessions.csv", session_id=session, course_id=course,
                 start_date=start)  # fmt: skip
        _manifest(con, 1, "sessions", "sessions.csv")
        con.execute(
            "create table int_enrolments_outcomes as select 'C1' as course_id union all select 'C2'"
        )
        # published before: E1 on the 2023 session, E2 on the 2025 one, invoice INV-OLD
        _row(con, "raw_enrolments", 2, "enrolments_1.csv", enrolment_id="E1", session_id="S2023")
        _row(con, "raw_enrolments", 2, "enrolments_1.csv", enrolment_id="E2", session_id="S2025")
        _manifest(con, 2, "enrolments", "enrolments_1.csv")
        _row(con, "raw_invoices", 3, "SUP001-202511.xml", invoice_id="INV-OLD")
        _row(con, "raw_invoice_lines", 3, "SUP001-202511.xml", invoice_id="INV-OLD", line_id="1",
             order_line_ref="E2")  # fmt: skip
        _manifest(con, 3, "invoices", "SUP001-202511.xml")
        yield con


def test_an_enrolment_that_moved_recomputes_its_old_and_its_new_year(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _row(con, "raw_enrolments", 11, "enrolments_2.csv", enrolment_id="E1", session_id="S2024")
    _manifest(con, 11, "enrolments", "enrolments_2.csv")
    assert changed_years(con, PUBLISHED, ["enrolments"]) == [2023, 2024]


def test_a_file_delivered_again_recomputes_the_years_of_its_old_rows(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # enrolments_1.csv again, now without E2: E2's year must be recomputed too
    _row(con, "raw_enrolments", 11, "enrolments_1.csv", enrolment_id="E1", session_id="S2023")
    _manifest(con, 11, "enrolments", "enrolments_1.csv")
    assert changed_years(con, PUBLISHED, ["enrolments"]) == [2023, 2025]


def test_attendance_and_evaluations_follow_their_enrolment_and_session(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _row(con, "raw_attendance", 11, "attendance_2.csv", enrolment_id="E2")
    _manifest(con, 11, "attendance", "attendance_2.csv")
    _row(con, "raw_evaluations", 12, "evaluations_2.csv", evaluation_id="V1", enrolment_id=None,
         session_id="S2026")  # fmt: skip
    _manifest(con, 12, "evaluations", "evaluations_2.csv")
    assert changed_years(con, PUBLISHED, ["attendance", "evaluations"]) == [2025, 2026]


def test_a_credit_note_recomputes_the_years_of_the_invoice_it_corrects(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # the credit note's own line points at the 2026 session; the invoice it corrects
    # billed E2 (2025): netting changes that line, so 2025 as well
    _row(con, "raw_invoices", 11, "CN-SUP001-202601.xml", invoice_id="CN-1",
         corrected_invoice_id="INV-OLD")  # fmt: skip
    _row(con, "raw_invoice_lines", 11, "CN-SUP001-202601.xml", invoice_id="CN-1", line_id="1",
         order_line_ref="S2026")  # fmt: skip
    _manifest(con, 11, "invoices", "CN-SUP001-202601.xml")
    assert changed_years(con, PUBLISHED, ["invoices"]) == [2025, 2026]


def test_an_invoice_recomputes_the_years_of_credit_notes_that_came_first(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _row(con, "raw_invoices", 4, "CN-SUP001-202401.xml", invoice_id="CN-EARLY",
         corrected_invoice_id="INV-LATE")  # fmt: skip
    _row(con, "raw_invoice_lines", 4, "CN-SUP001-202401.xml", invoice_id="CN-EARLY", line_id="1",
         order_line_ref="S2024")  # fmt: skip
    _manifest(con, 4, "invoices", "CN-SUP001-202401.xml")
    _row(con, "raw_invoices", 11, "SUP001-202601.xml", invoice_id="INV-LATE")
    _row(con, "raw_invoice_lines", 11, "SUP001-202601.xml", invoice_id="INV-LATE", line_id="1",
         order_line_ref="E1")  # fmt: skip
    _manifest(con, 11, "invoices", "SUP001-202601.xml")
    assert changed_years(con, PUBLISHED, ["invoices"]) == [2023, 2024]


def test_nothing_new_recomputes_no_year(con: duckdb.DuckDBPyConnection) -> None:
    assert changed_years(con, PUBLISHED, []) == []


def test_an_hr_export_recomputes_every_year(con: duckdb.DuckDBPyConnection) -> None:
    assert changed_years(con, PUBLISHED, ["hr"]) is None
    assert changed_years(con, PUBLISHED, ["sessions"]) is None


def test_the_first_enrolment_of_a_course_recomputes_every_year(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute("delete from int_enrolments_outcomes where course_id = 'C2'")
    _row(con, "raw_enrolments", 11, "enrolments_2.csv", enrolment_id="E9", session_id="S2026")
    _manifest(con, 11, "enrolments", "enrolments_2.csv")
    assert changed_years(con, PUBLISHED, ["enrolments"]) is None
    con.execute("drop table int_enrolments_outcomes")
    assert changed_years(con, PUBLISHED, ["enrolments"]) is None


def test_a_failed_load_is_not_a_delivery(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "insert into load_manifest (batch_id, source, file_name, status) "
        "values (11, 'enrolments', 'enrolments_1.csv', 'failed')"
    )
    assert changed_years(con, PUBLISHED, ["enrolments"]) == []


def _published_document(
    con: duckdb.DuckDBPyConnection, invoice_id: str, refs: list[str], *, allowance: bool
) -> None:
    """A document delivered before the last published build (in a batch of its own), a
    line per reference, with a document-level allowance or not."""
    file = f"{invoice_id}.xml"
    ((batch,),) = con.execute("select max(batch_id) + 1 from load_manifest").fetchall()
    assert batch <= PUBLISHED["invoices"]
    _row(con, "raw_invoices", batch, file, invoice_id=invoice_id)
    for number, ref in enumerate(refs, start=1):
        _row(con, "raw_invoice_lines", batch, file, invoice_id=invoice_id, line_id=str(number),
             order_line_ref=ref)  # fmt: skip
    if allowance:
        _row(con, "raw_invoice_allowance_charges", batch, file, invoice_id=invoice_id,
             level="document", sequence=1, charge_indicator=False, amount=10)  # fmt: skip
    _manifest(con, batch, "invoices", file)


def test_an_enrolment_change_recomputes_every_year_of_a_document_with_a_document_amount(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # E1's status changes (same 2023 session): its line on INV-MULTI may stop carrying
    # the document allowance, which then moves onto the 2026 line
    _published_document(con, "INV-PLAIN", ["E1", "S2024"], allowance=False)
    _published_document(con, "INV-MULTI", ["E1", "S2026"], allowance=True)
    _row(con, "raw_enrolments", 11, "enrolments_2.csv", enrolment_id="E1", session_id="S2023")
    _manifest(con, 11, "enrolments", "enrolments_2.csv")
    assert changed_years(con, PUBLISHED, ["enrolments"]) == [2023, 2026]
    # without a document-level amount the lines do not interact across years
    con.execute("delete from raw_invoice_allowance_charges where invoice_id = 'INV-MULTI'")
    assert changed_years(con, PUBLISHED, ["enrolments"]) == [2023]


def test_a_new_enrolment_that_makes_a_reference_resolve_closes_over_its_document(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # INV-WAIT's first line pointed at nothing (the sentinel partition) until E7 arrived
    _published_document(con, "INV-WAIT", ["E7", "S2024"], allowance=True)
    _row(con, "raw_enrolments", 11, "enrolments_2.csv", enrolment_id="E7", session_id="S2026")
    _manifest(con, 11, "enrolments", "enrolments_2.csv")
    assert changed_years(con, PUBLISHED, ["enrolments"]) == [2024, 2026]


def test_a_credit_note_reaches_the_years_of_documents_on_its_sessions_and_no_further(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # the credit note nets INV-OLD's E2 line (session S2025). INV-A has a document
    # allowance and lines on E2 (2025) and S2024: its split changes, so 2024 too. INV-D
    # bills E5, another enrolment on S2025, and S2023: a line on a touched session (the
    # session's enrolments decide what its lines may bill), so 2023 too.
    _row(con, "raw_enrolments", 2, "enrolments_1.csv", enrolment_id="E5", session_id="S2025")
    _published_document(con, "INV-A", ["E2", "S2024"], allowance=True)
    _published_document(con, "INV-D", ["E5", "S2023"], allowance=True)
    # INV-B (2024 and 2023 lines) and INV-C (2026) have no line on S2025: their lines
    # keep their approvals, so their splits do not change; recomputing 2024 for INV-A
    # reproduces INV-B's 2024 share, and 2023 would be needed only through INV-D
    _published_document(con, "INV-B", ["S2024", "E1"], allowance=True)
    _published_document(con, "INV-C", ["S2026"], allowance=True)
    _row(con, "raw_invoices", 11, "CN-SUP001-202601.xml", invoice_id="CN-1",
         corrected_invoice_id="INV-OLD")  # fmt: skip
    _row(con, "raw_invoice_lines", 11, "CN-SUP001-202601.xml", invoice_id="CN-1", line_id="1",
         order_line_ref="E2")  # fmt: skip
    _manifest(con, 11, "invoices", "CN-SUP001-202601.xml")
    assert changed_years(con, PUBLISHED, ["invoices"]) == [2023, 2024, 2025]
    con.execute("delete from raw_invoice_lines where invoice_id = 'INV-D'")
    assert changed_years(con, PUBLISHED, ["invoices"]) == [2024, 2025]
