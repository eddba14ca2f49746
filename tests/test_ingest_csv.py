"""Ingest of CSV landing files: typing, quarantine reasons, dialects, conservation."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import run_ingest
from tests.ingest_cases.builders import (
    FILE_NAMES,
    SOURCES,
    VALID_VALUES,
    valid_rows,
    write_bytes,
    write_csv,
)
from tests.ingest_cases.queries import assert_conserved, manifest, quarantine, query


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    paths = DataPaths.of(tmp_path / "data")
    paths.landing.mkdir(parents=True)
    return paths


# --- good files ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(VALID_VALUES))
def test_valid_file_of_every_source_loads_completely(paths: DataPaths, source: str) -> None:
    write_csv(paths.landing, source, valid_rows(source, 3))
    summary = run_ingest(paths, show_progress=False)

    table = SOURCES[source].table
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 3, 0)
    entry = manifest(paths, FILE_NAMES[source])
    assert entry["status"] == "loaded"
    assert (entry["encoding"], entry["delimiter"]) == ("utf-8", ";")
    assert_conserved(entry)
    lineage = query(paths, f"select _file_name, _file_date, _line_number from {table} order by 3")
    assert lineage == [(FILE_NAMES[source], date(2024, 3, 1), line) for line in (2, 3, 4)]


def test_values_are_typed_as_the_contract_says(paths: DataPaths) -> None:
    write_csv(paths.landing, "courses", valid_rows("courses", 1))
    write_csv(paths.landing, "enrolments", valid_rows("enrolments", 1))
    write_csv(paths.landing, "evaluations", valid_rows("evaluations", 1))
    run_ingest(paths, show_progress=False)

    course = query(
        paths,
        "select price_eur, duration_hours, vat_rate, has_exam, valid_from, valid_to "
        "from raw_courses",
    )
    assert course == [(Decimal("495.00"), Decimal("7.50"), 21, True, date(2024, 1, 1), None)]
    enrolment = query(
        paths, "select requested_at, approved_at, cancelled_at, payer_department_code "
        "from raw_enrolments",
    )  # fmt: skip
    assert enrolment == [(datetime(2024, 1, 10, 9, 15), datetime(2024, 1, 11, 10, 0), None, None)]
    # RFC 4180: a quoted field keeps its delimiter and doubled quotes.
    assert query(paths, "select comment, enrolment_id from raw_evaluations") == [
        ('Goede cursus; "praktisch"', None)
    ]


def test_timestamp_with_offset_keeps_its_wall_clock_time(paths: DataPaths) -> None:
    rows = valid_rows("enrolments", 2)
    rows[0]["updated_at"] = "2024-03-05T17:00:00+01:00"
    rows[1]["updated_at"] = "2024-03-05T16:00:00Z"
    write_csv(paths.landing, "enrolments", rows)
    run_ingest(paths, show_progress=False)
    assert query(paths, "select updated_at from raw_enrolments order by _line_number") == [
        (datetime(2024, 3, 5, 17, 0),),
        (datetime(2024, 3, 5, 16, 0),),
    ]


# --- idempotency --------------------------------------------------------------------------


def counts(paths: DataPaths) -> tuple:
    return query(
        paths,
        "select (select count(*) from raw_hr), (select count(*) from quarantine), "
        "(select count(*) from load_manifest)",
    )[0]


def test_reingest_is_a_no_op(paths: DataPaths) -> None:
    rows = valid_rows("hr", 3)
    rows[1]["salary_scale"] = "x"
    write_csv(paths.landing, "hr", rows)
    first = run_ingest(paths, show_progress=False)
    before = counts(paths)

    again = run_ingest(paths, show_progress=False)

    assert (first.files_loaded, first.files_skipped) == (1, 0)
    assert (again.files_loaded, again.files_skipped) == (0, 1)
    assert (again.rows_read, again.rows_loaded, again.rows_quarantined) == (0, 0, 0)
    assert counts(paths) == before == (2, 1, 1)


def test_same_content_under_another_name_is_skipped(paths: DataPaths) -> None:
    original = write_csv(paths.landing, "hr", valid_rows("hr", 2))
    run_ingest(paths, show_progress=False)
    write_bytes(paths.landing, "hr/hr_VWS_20240401.csv", original.read_bytes())

    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.files_skipped) == (0, 2)
    assert counts(paths) == (2, 0, 1)


def test_same_content_under_another_name_is_recorded_as_a_delivery(paths: DataPaths) -> None:
    """Nothing is loaded from it, but it was delivered: the Datakwaliteit page dates a
    source by its last delivery, and an unchanged monthly file is still a delivery."""
    original = write_csv(paths.landing, "hr", valid_rows("hr", 2))
    run_ingest(paths, show_progress=False)
    write_bytes(paths.landing, "hr/hr_VWS_20240401.csv", original.read_bytes())

    run_ingest(paths, show_progress=False)
    run_ingest(paths, show_progress=False)  # once, not on every run

    recorded = query(
        paths, "select file_name, source, file_date, content_sha256 from unchanged_deliveries"
    )
    [(loaded_hash,)] = query(paths, "select content_sha256 from load_manifest")
    assert recorded == [("hr/hr_VWS_20240401.csv", "hr", date(2024, 4, 1), loaded_hash)]


def test_changed_content_with_the_same_name_is_a_new_batch(paths: DataPaths) -> None:
    write_csv(paths.landing, "hr", valid_rows("hr", 2))
    run_ingest(paths, show_progress=False)
    write_csv(paths.landing, "hr", valid_rows("hr", 3))

    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.rows_loaded) == (1, 3)
    batches = query(
        paths,
        "select batch_id, rows_loaded from load_manifest where file_name = ? order by 1",
        [FILE_NAMES["hr"]],
    )
    assert [rows for _, rows in batches] == [2, 3]
    assert batches[0][0] != batches[1][0]
    per_batch = query(paths, "select _batch_id, count(*) from raw_hr group by 1 order by 1")
    assert per_batch == batches


# --- one bad field ------------------------------------------------------------------------

BAD_FIELDS = [
    ("hr", "salary_scale", "elf", "INVALID_TYPE"),
    ("hr", "salary_scale", "11.0", "INVALID_TYPE"),
    ("courses", "price_eur", "495,00", "INVALID_TYPE"),
    ("courses", "price_eur", "495.005", "INVALID_TYPE"),
    ("courses", "duration_hours", "1e3", "INVALID_TYPE"),
    ("suppliers", "is_internal", "yes", "INVALID_TYPE"),
    ("courses", "has_exam", "1", "INVALID_TYPE"),
    ("enrolments", "status", "done", "UNKNOWN_VALUE"),
    ("sessions", "status", "Held", "UNKNOWN_VALUE"),
    ("hr", "gender", "V", "UNKNOWN_VALUE"),
    ("courses", "vat_rate", "9", "UNKNOWN_VALUE"),
    ("hr", "salary_scale", "19", "OUT_OF_RANGE"),
    ("hr", "salary_scale", "0", "OUT_OF_RANGE"),
    ("exam_results", "score", "100.5", "OUT_OF_RANGE"),
    ("evaluations", "overall", "11", "OUT_OF_RANGE"),
    ("courses", "late_cancellation_fee_pct", "-1", "OUT_OF_RANGE"),
    ("sessions", "start_date", "2024-02-30", "INVALID_DATE"),
    ("sessions", "start_date", "04-03-2024", "INVALID_DATE"),
    ("hr", "birth_date", "1980-2-29", "INVALID_DATE"),
    ("enrolments", "updated_at", "2024-03-05 25:00:00", "INVALID_TIMESTAMP"),
    ("enrolments", "requested_at", "gisteren", "INVALID_TIMESTAMP"),
    ("evaluations", "submitted_at", "05/03/2024 10:00", "INVALID_TIMESTAMP"),
    ("enrolments", "updated_at", "", "REQUIRED_MISSING"),
    ("courses", "price_eur", "", "REQUIRED_MISSING"),
    ("attendance", "present", "", "REQUIRED_MISSING"),
]


@pytest.mark.parametrize(("source", "column", "value", "reason"), BAD_FIELDS)
def test_bad_field_quarantines_its_row_with_the_reason(
    paths: DataPaths, source: str, column: str, value: str, reason: str
) -> None:
    rows = valid_rows(source, 3)
    rows[1][column] = value
    write_csv(paths.landing, source, rows)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 2, 1)
    entry = manifest(paths, FILE_NAMES[source])
    assert entry["status"] == "partially_quarantined"
    assert_conserved(entry)
    [bad] = quarantine(paths, FILE_NAMES[source])
    assert (bad["line_number"], bad["column_name"], bad["reason_code"]) == (3, column, reason)
    assert bad["raw_value"] == (value or None)
    assert bad["batch_id"] == entry["batch_id"]
    assert bad["source"] == source
    record = json.loads(bad["raw_record"])
    assert record[column] == (value or None)
    assert set(record) == set(SOURCES[source].column_names)
    loaded_lines = query(paths, f"select _line_number from {SOURCES[source].table} order by 1")
    assert loaded_lines == [(2,), (4,)]


def test_several_bad_fields_make_several_quarantine_rows_but_one_row(paths: DataPaths) -> None:
    rows = valid_rows("sessions", 2)
    rows[0].update(start_date="morgen", status="gepland", capacity="-3", days="")
    write_csv(paths.landing, "sessions", rows)
    summary = run_ingest(paths, show_progress=False)

    bad = quarantine(paths, FILE_NAMES["sessions"])
    assert {(r["line_number"], r["column_name"], r["reason_code"]) for r in bad} == {
        (2, "start_date", "INVALID_DATE"),
        (2, "status", "UNKNOWN_VALUE"),
        (2, "capacity", "OUT_OF_RANGE"),
    }
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (2, 1, 1)
    assert_conserved(manifest(paths, FILE_NAMES["sessions"]))


# --- whole-file and structural problems ---------------------------------------------------


def test_missing_column_quarantines_the_whole_file(paths: DataPaths) -> None:
    header = [c for c in SOURCES["sessions"].column_names if c != "status"]
    write_csv(paths.landing, "sessions", valid_rows("sessions", 3), header=header)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 0, 3)
    entry = manifest(paths, FILE_NAMES["sessions"])
    assert entry["status"] == "quarantined"
    assert_conserved(entry)
    bad = quarantine(paths, FILE_NAMES["sessions"])
    assert [(r["line_number"], r["reason_code"], r["column_name"]) for r in bad] == [
        (line, "MISSING_COLUMN", "status") for line in (2, 3, 4)
    ]
    assert query(paths, "select count(*) from raw_sessions") == [(0,)]


def test_extra_columns_are_ignored_and_noted(paths: DataPaths) -> None:
    header = ["shoe_size", *SOURCES["attendance"].column_names, "remark"]
    rows = [dict(r, shoe_size="44", remark="x") for r in valid_rows("attendance", 2)]
    write_csv(paths.landing, "attendance", rows, header=header)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 0)
    assert (
        manifest(paths, FILE_NAMES["attendance"])["notes"] == "ignored columns: shoe_size, remark"
    )
    assert query(paths, "select present, session_date from raw_attendance limit 1") == [
        (True, date(2024, 3, 4))
    ]


def test_rows_with_the_wrong_field_count_are_malformed_at_their_physical_line(
    paths: DataPaths,
) -> None:
    header = ";".join(SOURCES["attendance"].column_names)
    text = (
        f"{header}\n"
        "EN1;2024-03-04;true\n"  # line 2
        "EN2;2024-03-04\n"  # line 3: too few
        '"EN3\nsplit";2024-03-04;false\n'  # lines 4-5: one record over two lines
        "EN4;2024-03-04;true;extra\n"  # line 6: too many
        "\n"  # line 7: blank, not a row
        "EN5;2024-03-04;false\n"  # line 8
    )
    write_bytes(paths.landing, FILE_NAMES["attendance"], text.encode())
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (5, 3, 2)
    bad = quarantine(paths, FILE_NAMES["attendance"])
    assert [(r["line_number"], r["reason_code"]) for r in bad] == [
        (3, "MALFORMED_ROW"),
        (6, "MALFORMED_ROW"),
    ]
    assert json.loads(bad[1]["raw_record"]) == {"raw_line": "EN4;2024-03-04;true;extra"}
    loaded = query(paths, "select enrolment_id, _line_number from raw_attendance order by 2")
    assert loaded == [("EN1", 2), ("EN3\nsplit", 4), ("EN5", 8)]
    assert_conserved(manifest(paths, FILE_NAMES["attendance"]))


def test_stray_quote_in_an_unquoted_field_falls_back_without_losing_rows(
    paths: DataPaths,
) -> None:
    rows = valid_rows("sessions", 3)
    rows[0]["location"] = 'Zaal 5" links'  # not RFC 4180; csv.writer would quote it
    header = ";".join(SOURCES["sessions"].column_names)
    lines = [";".join(r[c] for c in SOURCES["sessions"].column_names) for r in rows]
    write_bytes(paths.landing, FILE_NAMES["sessions"], "\n".join([header, *lines]).encode())
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 3, 0)
    loaded = query(paths, "select location, _line_number from raw_sessions order by 2")
    assert loaded == [('Zaal 5" links', 2), ("Den Haag", 3), ("Den Haag", 4)]


HEADER_ONLY = (";".join(SOURCES["hr"].column_names) + "\r\n").encode()


@pytest.mark.parametrize(
    "content", [b"", b"\n\n", HEADER_ONLY], ids=["no-bytes", "blank-lines", "header-only"]
)
def test_empty_file_reads_zero_rows(paths: DataPaths, content: bytes) -> None:
    write_bytes(paths.landing, FILE_NAMES["hr"], content)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.rows_read) == (1, 0)
    entry = manifest(paths, FILE_NAMES["hr"])
    assert (entry["status"], entry["rows_read"]) == ("empty", 0)
    assert_conserved(entry)
    [bad] = quarantine(paths, FILE_NAMES["hr"])
    assert (bad["line_number"], bad["reason_code"]) == (0, "EMPTY_FILE")


def test_unknown_file_name_is_recorded_and_nothing_loaded(paths: DataPaths) -> None:
    write_csv(paths.landing, "hr", valid_rows("hr", 1), name="hr/medewerkers.csv")
    write_bytes(paths.landing, "catalogue/courses_20241399.csv", b"course_id\n1\n")
    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.rows_read) == (2, 0)
    for name in ("hr/medewerkers.csv", "catalogue/courses_20241399.csv"):
        entry = manifest(paths, name)
        assert (entry["source"], entry["status"]) == (None, "quarantined")
        assert_conserved(entry)
        [bad] = quarantine(paths, name)
        assert (bad["line_number"], bad["reason_code"]) == (0, "UNKNOWN_FILE")
    assert query(paths, "select count(*) from raw_hr") == [(0,)]


# --- dialects -----------------------------------------------------------------------------


def test_comma_delimiter_is_detected(paths: DataPaths) -> None:
    write_csv(paths.landing, "evaluations", valid_rows("evaluations", 2), delimiter=",")
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 0)
    assert manifest(paths, FILE_NAMES["evaluations"])["delimiter"] == ","
    assert query(paths, "select distinct comment from raw_evaluations") == [
        ('Goede cursus; "praktisch"',)
    ]


def test_utf8_bom_is_accepted(paths: DataPaths) -> None:
    path = write_csv(paths.landing, "suppliers", valid_rows("suppliers", 2))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 0)
    assert manifest(paths, FILE_NAMES["suppliers"])["encoding"] == "utf-8-sig"
    assert query(paths, "select supplier_id from raw_suppliers order by 1") == [
        ("SUP01-1",),
        ("SUP01-2",),
    ]


def test_windows_1252_is_detected_and_converted(paths: DataPaths) -> None:
    rows = valid_rows("suppliers", 2)
    rows[0]["name"] = "Café Opleidingen € ‘Leren’"
    write_csv(paths.landing, "suppliers", rows, encoding="cp1252")
    assert b"\x80" in (paths.landing / FILE_NAMES["suppliers"]).read_bytes()
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 0)
    assert manifest(paths, FILE_NAMES["suppliers"])["encoding"] == "cp1252"
    assert query(paths, "select name from raw_suppliers where _line_number = 2") == [
        ("Café Opleidingen € ‘Leren’",)
    ]


def test_undecodable_bytes_quarantine_the_whole_file(paths: DataPaths) -> None:
    header = ";".join(SOURCES["attendance"].column_names).encode()
    content = header + b"\nEN1;2024-03-04;true\nEN\x81;2024-03-04;true\n"
    write_bytes(paths.landing, FILE_NAMES["attendance"], content)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (2, 0, 2)
    entry = manifest(paths, FILE_NAMES["attendance"])
    assert (entry["status"], entry["encoding"]) == ("quarantined", None)
    assert_conserved(entry)
    bad = quarantine(paths, FILE_NAMES["attendance"])
    assert [(r["line_number"], r["reason_code"]) for r in bad] == [
        (2, "ENCODING_ERROR"),
        (3, "ENCODING_ERROR"),
    ]
    assert "0x81" in bad[1]["raw_value"]
