"""Ingest as a whole: bad files never stop good ones, failed loads roll back, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.errors import LeerdataError
from leerdata.ingest import run_ingest
from leerdata.ingest import runner as ingest_runner
from tests.ingest_cases.builders import (
    FILE_NAMES,
    SOURCES,
    ubl_invoice,
    valid_rows,
    write_bytes,
    write_csv,
)
from tests.ingest_cases.queries import assert_conserved, dicts, manifest, quarantine, query


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    paths = DataPaths.of(tmp_path / "data")
    paths.landing.mkdir(parents=True)
    return paths


def write_mixed_landing(paths: DataPaths) -> None:
    """Good files with bad ones in between (sorted order puts bad ones first)."""
    write_bytes(paths.landing, "catalogue/courses_20240301.csv", b"course_id;ti\x81tle\nC1;x\n")
    write_csv(paths.landing, "sessions", valid_rows("sessions", 2))
    write_csv(paths.landing, "hr", valid_rows("hr", 4))
    write_bytes(paths.landing, "invoices/A-truncated.xml", ubl_invoice(lines=2)[:500].encode())
    write_bytes(paths.landing, "invoices/B-good.xml", ubl_invoice("INV-9", 2).encode())
    write_bytes(paths.landing, "lms/enrolments.csv", b"enrolment_id\nEN1\n")  # no date: unknown
    write_csv(paths.landing, "attendance", valid_rows("attendance", 3))


def test_bad_files_do_not_stop_good_ones(paths: DataPaths) -> None:
    write_mixed_landing(paths)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.files_failed) == (7, 0)
    assert query(paths, "select count(*) from raw_sessions") == [(2,)]
    assert query(paths, "select count(*) from raw_hr") == [(4,)]
    assert query(paths, "select count(*) from raw_attendance") == [(3,)]
    assert query(paths, "select invoice_id, count(*) from raw_invoice_lines group by 1") == [
        ("INV-9", 2)
    ]
    reasons = query(paths, "select file_name, reason_code from quarantine group by all order by 1")
    assert reasons == [
        ("catalogue/courses_20240301.csv", "ENCODING_ERROR"),
        ("invoices/A-truncated.xml", "XML_MALFORMED"),
        ("lms/enrolments.csv", "UNKNOWN_FILE"),
    ]
    for entry in dicts(paths, "select * from load_manifest"):
        assert_conserved(entry)
    assert summary.rows_read == summary.rows_loaded + summary.rows_quarantined == 2 + 4 + 2 + 3 + 1


def test_unexpected_error_rolls_back_that_file_only_and_is_retried(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(paths.landing, "sessions", valid_rows("sessions", 2))
    write_csv(paths.landing, "hr", valid_rows("hr", 2))
    real_read = ingest_runner.read_csv_file

    def read_failing_for_hr(con, ctx, source, content, *limits):
        read = real_read(con, ctx, source, content, *limits)
        if source.name == "hr":
            ingest_runner.validate_and_insert(con, [read[1]], *limits)  # rows written
            raise RuntimeError("disk on fire")  # then it breaks
        return read

    monkeypatch.setattr(ingest_runner, "read_csv_file", read_failing_for_hr)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.files_failed) == (1, 1)
    assert query(paths, "select count(*) from raw_hr") == [(0,)]
    assert query(paths, "select count(*) from raw_sessions") == [(2,)]
    failed = manifest(paths, FILE_NAMES["hr"])
    assert (failed["status"], failed["is_conserved"]) == ("failed", False)
    assert failed["notes"] == "rolled back: RuntimeError"  # no message: it could hold values

    monkeypatch.undo()
    retry = run_ingest(paths, show_progress=False)
    assert (retry.files_loaded, retry.files_skipped, retry.rows_loaded) == (1, 1, 2)
    assert manifest(paths, FILE_NAMES["hr"])["status"] == "loaded"


def test_conservation_failure_is_rolled_back_and_reported(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = valid_rows("sessions", 3)
    rows[0]["status"] = "onbekend"
    write_csv(paths.landing, "sessions", rows)
    real_count = ingest_runner.count_loaded
    # Simulate a lost row: the database holds one row fewer than ingest loaded.
    monkeypatch.setattr(ingest_runner, "count_loaded", lambda con, t, b: real_count(con, t, b) - 1)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.files_failed) == (0, 1)
    [result] = summary.files
    assert result.status == "failed"
    assert "rows read 3 != loaded 1 + quarantined 1" in (result.error or "")
    assert query(paths, "select count(*) from raw_sessions") == [(0,)]
    assert quarantine(paths, FILE_NAMES["sessions"]) == []
    entry = manifest(paths, FILE_NAMES["sessions"])
    assert (entry["status"], entry["is_conserved"]) == ("failed", False)
    assert "ingest failed, rolled back" in capsys.readouterr().err


def test_missing_landing_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LeerdataError, match=r"landing directory .* does not exist"):
        run_ingest(DataPaths.of(tmp_path / "nowhere"), show_progress=False)
    assert not (tmp_path / "nowhere" / "warehouse").exists()


def test_empty_landing_creates_every_table(paths: DataPaths) -> None:
    summary = run_ingest(paths, show_progress=False)
    assert (summary.files_loaded, summary.rows_read) == (0, 0)
    tables = {row[0] for row in query(paths, "select table_name from information_schema.tables")}
    assert {s.table for s in SOURCES.values()} | {
        "raw_invoices", "raw_invoice_lines", "quarantine", "load_manifest",
    } <= tables  # fmt: skip


def _cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LEERDATA_KEY_FILE=str(tmp_path / "cli.key"))
    env.pop("LEERDATA_DEBUG", None)
    command = [sys.executable, "-c", "from leerdata.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_cli_missing_landing_dir_is_one_error_line(tmp_path: Path) -> None:
    result = _cli("ingest", "--data-dir", str(tmp_path / "nowhere"), tmp_path=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "landing directory" in lines[0] and "does not exist" in lines[0]


def test_cli_ingest_prints_the_conservation_summary(paths: DataPaths, tmp_path: Path) -> None:
    rows = valid_rows("hr", 3)
    rows[2]["gender"] = "?"
    write_csv(paths.landing, "hr", rows)
    result = _cli("ingest", "--data-dir", str(paths.root), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 rows read = 2 loaded + 1 quarantined" in " ".join(result.stdout.split())


def test_failure_inside_an_invoice_group_redoes_the_group_file_by_file(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(1, 5):
        write_bytes(paths.landing, f"invoices/INV-{i}.xml", ubl_invoice(f"INV-{i}", 2).encode())
    write_bytes(paths.landing, "invoices/INV-5-copy.xml", ubl_invoice("INV-4", 2).encode())
    real_load = ingest_runner.load_invoice

    def load_failing_for_inv3(con, ctx, parsed):
        outcome = real_load(con, ctx, parsed)
        if ctx.file_name == "invoices/INV-3.xml":
            raise RuntimeError("boom")
        return outcome

    monkeypatch.setattr(ingest_runner, "load_invoice", load_failing_for_inv3)
    summary = run_ingest(paths, show_progress=False)

    assert [(r.file_name, r.status) for r in summary.files] == [
        ("invoices/INV-1.xml", "loaded"),
        ("invoices/INV-2.xml", "loaded"),
        ("invoices/INV-3.xml", "failed"),
        ("invoices/INV-4.xml", "loaded"),
        ("invoices/INV-5-copy.xml", "skipped"),  # same bytes as INV-4
    ]
    per_invoice = "select invoice_id, count(*) from raw_invoice_lines group by 1 order by 1"
    assert query(paths, per_invoice) == [("INV-1", 2), ("INV-2", 2), ("INV-4", 2)]
    batches = query(paths, "select _batch_id from raw_invoices order by 1")
    assert len({b for (b,) in batches}) == 3
    assert query(paths, "select count(*) from load_manifest where status = 'failed'") == [(1,)]


def test_identical_invoices_in_one_group_load_once(paths: DataPaths) -> None:
    for name in ("a.xml", "b.xml", "c.xml"):
        write_bytes(paths.landing, f"invoices/{name}", ubl_invoice("INV-1", 1).encode())
    summary = run_ingest(paths, show_progress=False)
    assert (summary.files_loaded, summary.files_skipped, summary.rows_loaded) == (1, 2, 1)
    assert query(paths, "select _file_name from raw_invoices") == [("invoices/a.xml",)]


def test_small_csv_files_commit_together_and_a_failure_redoes_them_one_by_one(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in (1, 2, 3):
        rows = valid_rows("hr", day + 1)
        rows[0]["gender"] = "?"  # one quarantined row per file: both tables take part
        write_csv(paths.landing, "hr", rows, name=f"hr/hr_VWS_2024030{day}.csv")
    files = ingest_runner.discover(paths.landing)
    assert [len(g) for g in ingest_runner._groups(files)] == [3]  # one transaction
    real_read = ingest_runner.read_csv_file

    def read_failing_for_day_2(con, ctx, source, content, *limits):
        read = real_read(con, ctx, source, content, *limits)
        if ctx.file_name.endswith("20240302.csv"):
            raise RuntimeError("boom")
        return read

    monkeypatch.setattr(ingest_runner, "read_csv_file", read_failing_for_day_2)
    summary = run_ingest(paths, show_progress=False)

    assert [(r.file_name, r.status) for r in summary.files] == [
        ("hr/hr_VWS_20240301.csv", "partially_quarantined"),
        ("hr/hr_VWS_20240302.csv", "failed"),
        ("hr/hr_VWS_20240303.csv", "partially_quarantined"),
    ]
    per_file = "select _file_name, count(*) from raw_hr group by 1 order by 1"
    assert query(paths, per_file) == [("hr/hr_VWS_20240301.csv", 1), ("hr/hr_VWS_20240303.csv", 3)]
    quarantined = "select file_name, count(*) from quarantine group by 1 order by 1"
    assert query(paths, quarantined) == [
        ("hr/hr_VWS_20240301.csv", 1),
        ("hr/hr_VWS_20240303.csv", 1),
    ]

    monkeypatch.undo()
    retry = run_ingest(paths, show_progress=False)
    assert (retry.files_loaded, retry.files_skipped, retry.rows_loaded) == (1, 2, 2)
    for day in (1, 2, 3):
        assert_conserved(manifest(paths, f"hr/hr_VWS_2024030{day}.csv"))


def test_csv_groups_stop_at_their_byte_budget_and_at_other_kinds(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in (1, 2, 3):
        write_csv(paths.landing, "hr", valid_rows("hr", 2), name=f"hr/hr_VWS_2024030{day}.csv")
    write_bytes(paths.landing, "invoices/INV-1.xml", ubl_invoice("INV-1", 1).encode())
    write_bytes(paths.landing, "invoices/INV-2.xml", ubl_invoice("INV-2", 1).encode())
    write_csv(paths.landing, "attendance", valid_rows("attendance", 2))
    files = ingest_runner.discover(paths.landing)
    size = files[0].size
    monkeypatch.setattr(ingest_runner, "CSV_GROUP_BYTES", 2 * size)
    groups = [[f.relative_name for f in g] for g in ingest_runner._groups(files)]
    assert groups == [
        ["hr/hr_VWS_20240301.csv", "hr/hr_VWS_20240302.csv"],
        ["hr/hr_VWS_20240303.csv"],
        ["invoices/INV-1.xml", "invoices/INV-2.xml"],
        [FILE_NAMES["attendance"]],
    ]


def test_a_group_of_good_csv_files_is_not_redone_file_by_file(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group that fails for a reason of its own (not a file's) would silently fall back
    to one transaction per file: the same rows, but none of the speed."""
    for day in (1, 2, 3):
        write_csv(paths.landing, "hr", valid_rows("hr", day), name=f"hr/hr_VWS_2024030{day}.csv")
    alone: list[str] = []
    real_process = ingest_runner._Ingestor.process

    def spy(self, file, parsed):
        alone.append(file.relative_name)
        return real_process(self, file, parsed)

    monkeypatch.setattr(ingest_runner._Ingestor, "process", spy)
    summary = run_ingest(paths, show_progress=False)
    assert (summary.files_loaded, summary.rows_loaded, alone) == (3, 6, [])
