"""Data subject rights: `leerdata subject-access` (art. 15) and `leerdata erase` (art. 17)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from leerdata.config import DataPaths
from leerdata.duckdb_rows import scalar
from leerdata.privacy.keys import load_or_create_key
from leerdata.privacy.pseudonyms import REPORTING_DOMAIN, Pseudonymiser
from tests.killed_before_rename import run_killed_before_rename

# All on one worker, so the module fixtures (copies, an erase) are built once per run.
pytestmark = pytest.mark.xdist_group("subject_access")

LEERDATA = str(Path(sys.executable).with_name("leerdata"))


@dataclass
class Subject:
    paths: DataPaths
    employee_id: str
    email: str
    enrolment_ids: list[str]


def _pick_subject(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The person with the most enrolments that have both invoice lines and evaluations."""
    row = con.execute(
        """
        select e.employee_id, any_value(h.email)
        from raw_enrolments as e
        inner join raw_hr as h using (employee_id)
        where e.enrolment_id in (select order_line_ref from raw_invoice_lines)
          and e.enrolment_id in (select enrolment_id from raw_evaluations)
          and h.email is not null
        group by e.employee_id
        order by count(distinct e.enrolment_id) desc, e.employee_id
        limit 1
        """
    ).fetchone()
    assert row is not None, "tiny data needs an invoiced and evaluated enrolment"
    return row[0], row[1]


def _copy_with_subject(source: DataPaths, target: Path) -> Subject:
    shutil.copytree(source.root, target, ignore=shutil.ignore_patterns("logs"))
    paths = DataPaths.of(target)
    with duckdb.connect(str(paths.restricted_db)) as con:
        employee_id, email = _pick_subject(con)
        # Quarantined rows that mention the person (tiny data quarantines nothing).
        con.execute(
            "insert into quarantine (batch_id, source, file_name, line_number, column_name, "
            "raw_value, reason_code, raw_record, quarantined_at) values "
            "(0, 'hr', 'hr/hr_X_20250101.csv', 2, 'salary_scale', '99', 'OUT_OF_RANGE', ?, "
            " now()), "
            "(0, 'hr', 'hr/hr_X_20250101.csv', 3, 'employee_id', ?, 'INVALID_TYPE', null, now())",
            [f'{{"employee_id":"{employee_id}","email":"{email}"}}', employee_id],
        )
        enrolment_ids = [
            r[0]
            for r in con.execute(
                "select distinct enrolment_id from raw_enrolments where employee_id = ? order by 1",
                [employee_id],
            ).fetchall()
        ]
    return Subject(paths, employee_id, email, enrolment_ids)


@pytest.fixture(scope="module")
def subject(tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory) -> Subject:
    return _copy_with_subject(tiny_warehouse, tmp_path_factory.mktemp("access") / "data")


def _subject_access(paths: DataPaths, employee_id: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            LEERDATA,
            "subject-access",
            "--employee-id",
            employee_id,
            "--data-dir",
            str(paths.root),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _count(paths: DataPaths, sql: str, params: list) -> int:
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        return int(scalar(con, sql, params))


def test_export_holds_every_row_about_the_person(subject: Subject, tmp_path: Path) -> None:
    out = tmp_path / "export" / "subject.json"
    started = time.perf_counter()
    run = _subject_access(subject.paths, subject.employee_id, out)
    seconds = time.perf_counter() - started
    assert run.returncode == 0, run.stderr
    assert seconds < 15, f"subject access took {seconds:.1f} s"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = json.loads(out.read_text())
    raw = doc["restricted"]
    ids, paths = subject.enrolment_ids, subject.paths
    expected = {
        "raw_hr": _count(
            paths, "select count(*) from raw_hr where employee_id = ?", [subject.employee_id]
        ),
        "raw_enrolments": _count(
            paths,
            "select count(*) from raw_enrolments where employee_id = ?",
            [subject.employee_id],
        ),
        "raw_attendance": _count(
            paths, "select count(*) from raw_attendance where list_contains(?, enrolment_id)", [ids]
        ),
        "raw_exam_results": _count(
            paths,
            "select count(*) from raw_exam_results where list_contains(?, enrolment_id)",
            [ids],
        ),
        "raw_evaluations": _count(
            paths,
            "select count(*) from raw_evaluations where list_contains(?, enrolment_id)",
            [ids],
        ),
        "raw_invoice_lines": _count(
            paths,
            "select count(*) from raw_invoice_lines where list_contains(?, order_line_ref)",
            [ids],
        ),
        "quarantine": 2,
    }
    assert {table: len(rows) for table, rows in raw.items()} == expected
    assert all(expected[t] > 0 for t in ("raw_hr", "raw_enrolments", "raw_invoice_lines"))
    assert {r["employee_id"] for r in raw["raw_hr"] + raw["raw_enrolments"]} == {
        subject.employee_id
    }
    assert "item_name" in raw["raw_invoice_lines"][0]
    # Dates as ISO strings, money as exact decimal strings.
    date.fromisoformat(raw["raw_hr"][0]["hire_date"])
    amount = raw["raw_invoice_lines"][0]["line_extension_amount"]
    assert isinstance(amount, str) and Decimal(amount) == Decimal(amount).quantize(Decimal("0.01"))

    worker = Pseudonymiser(load_or_create_key(), REPORTING_DOMAIN)
    enrolment_keys = set(worker.many(ids))
    assert doc["pseudonyms"]["person_key"] == worker.one(subject.employee_id)
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        allocated = scalar(
            con,
            "select count(*) from fct_cost_allocation where list_contains(?, enrolment_key)",
            [sorted(enrolment_keys)],
        )
    exported = doc["reporting"].get("fct_cost_allocation", [])
    assert allocated > 0 and len(exported) == allocated
    assert {r["enrolment_key"] for r in exported} <= enrolment_keys


def test_export_replaces_a_readable_file_with_a_private_one(
    subject: Subject, tmp_path: Path
) -> None:
    out = tmp_path / "subject.json"
    out.write_text("old")
    out.chmod(0o644)
    assert _subject_access(subject.paths, subject.employee_id, out).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["subject"]["employee_id"] == subject.employee_id


def test_a_killed_export_leaves_no_personal_data_past_the_next_export(
    subject: Subject, tmp_path: Path
) -> None:
    """The partial file of a killed export names the person, readable by its owner
    only; the next export into that folder (for anyone) deletes it."""
    out = tmp_path / "subject.json"
    arguments = ["subject-access", "--employee-id", subject.employee_id]
    arguments += ["--data-dir", str(subject.paths.root), "--out", str(out)]
    killed = run_killed_before_rename(arguments)
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    assert not out.exists()
    (left,) = tmp_path.glob(".subject.json.*.partial")
    assert stat.S_IMODE(left.stat().st_mode) == 0o600
    assert subject.employee_id in left.read_text()

    other = tmp_path / "other-request.json"
    assert _subject_access(subject.paths, subject.employee_id, other).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name]


def test_unknown_id_is_one_clear_error_line(subject: Subject, tmp_path: Path) -> None:
    unknown = "NO-SUCH-PERSON-123"
    run = _subject_access(subject.paths, unknown, tmp_path / "x.json")
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no data about this employee id" in lines[0]
    assert unknown not in run.stderr
    assert not (tmp_path / "x.json").exists()


def test_erase_of_unknown_id_fails_before_touching_anything(subject: Subject) -> None:
    before = subject.paths.restricted_db.stat().st_mtime_ns
    run = subprocess.run(
        [LEERDATA, "erase", "--employee-id", "NO-SUCH-1", "--data-dir", str(subject.paths.root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert subject.paths.restricted_db.stat().st_mtime_ns == before


@dataclass
class Erasure:
    """One `leerdata erase` of the subject (two builds: the module's tests share it)."""

    run: subprocess.CompletedProcess[str]
    # Files outside landing/ holding the personnel number, looked for right after the run.
    files_holding_id: list[str]


@pytest.fixture(scope="module")
def erasure(
    tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Subject, Erasure]:
    victim = _copy_with_subject(tiny_warehouse, tmp_path_factory.mktemp("erase") / "data")
    published_before = victim.paths.reporting_db.stat().st_mtime_ns
    run = subprocess.run(
        [LEERDATA, "erase", "--employee-id", victim.employee_id,
         "--data-dir", str(victim.paths.root)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert victim.paths.reporting_db.stat().st_mtime_ns > published_before, "not rebuilt"
    holding = [
        str(file.relative_to(victim.paths.root))
        for file in victim.paths.root.rglob("*")
        if file.is_file()
        and not file.is_relative_to(victim.paths.landing)
        and victim.employee_id.encode() in file.read_bytes()
    ]
    return victim, Erasure(run, holding)


@pytest.fixture(scope="module")
def erased(erasure: tuple[Subject, Erasure]) -> Subject:
    return erasure[0]


def test_erase_writes_the_personnel_number_nowhere_outside_landing(
    erasure: tuple[Subject, Erasure],
) -> None:
    """dbt wrote leerdata's own command line into run_results.json and its log."""
    subject, done = erasure
    assert subject.employee_id not in done.run.stdout + done.run.stderr
    assert done.files_holding_id == []
    assert (subject.paths.dbt_target / "run_results.json").exists()
    # The steward is told which deliveries still hold the person (names only).
    landing = subject.paths.landing
    in_landing = sorted(
        file.relative_to(landing).as_posix()
        for file in landing.rglob("*")
        if file.is_file() and subject.employee_id.encode() in file.read_bytes()
    )
    assert in_landing and f"{len(in_landing)} delivered files in landing/" in done.run.stdout
    assert all(name in done.run.stdout for name in in_landing)


def test_after_erase_subject_access_finds_nothing(erased: Subject, tmp_path: Path) -> None:
    run = _subject_access(erased.paths, erased.employee_id, tmp_path / "after.json")
    assert run.returncode != 0 and "no data about this employee id" in run.stderr


def test_after_erase_identifiers_are_gone_from_the_file(erased: Subject) -> None:
    data = erased.paths.restricted_db.read_bytes()
    assert erased.email.encode() not in data
    assert erased.employee_id.encode() not in data
    with duckdb.connect(str(erased.paths.restricted_db), read_only=True) as con:
        comments = scalar(
            con,
            "select count(comment) from raw_evaluations where list_contains(?, enrolment_id)",
            [erased.enrolment_ids],
        )
        item_names = scalar(
            con,
            "select count(item_name) from raw_invoice_lines where list_contains(?, order_line_ref)",
            [erased.enrolment_ids],
        )
        still_linked = scalar(
            con,
            "select count(distinct employee_id) from raw_enrolments "
            "where list_contains(?, enrolment_id)",
            [erased.enrolment_ids],
        )
        quarters = scalar(
            con,
            "select count(distinct coalesce("
            "    strftime(s.start_date, '%Y') || '-Q' || quarter(s.start_date), 'unknown')) "
            "from stg_lms__enrolments e left join stg_catalogue__sessions s using (session_id) "
            "where list_contains(?, e.enrolment_id)",
            [erased.enrolment_ids],
        )
        quarantine = con.execute(
            "select raw_value, raw_record from quarantine where batch_id = 0"
        ).fetchall()
    assert (comments, item_names) == (0, 0)
    assert still_linked == quarters, "one surrogate per quarter of the person's enrolments"
    assert quarantine == [(None, '{"redacted": true}')] * 2


def test_erase_log_says_that_not_who(erased: Subject) -> None:
    with duckdb.connect(str(erased.paths.restricted_db), read_only=True) as con:
        runs = con.execute(
            "select run_kind, persons_erased, enrolments_unlinked from retention_runs"
        ).fetchall()
    assert runs == [("erasure", 1, len(erased.enrolment_ids))]
    log = (erased.paths.logs / "retention.log").read_text()
    assert "run=erasure" in log and "persons_erased=1" in log
    assert erased.employee_id not in log and erased.email not in log
    for folder in (erased.paths.logs, erased.paths.dbt_logs):
        for file in folder.rglob("*"):
            if file.is_file():
                assert erased.employee_id.encode() not in file.read_bytes(), file
    assert os.environ.get("LEERDATA_KEY_FILE"), "tests must never touch the user's key"
