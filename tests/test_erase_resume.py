"""`erase` completes or resumes: a kill -9 at the dangerous moments loses no erasure.

Before, a kill during the rebuild that follows the erasure left the person's personnel
number and e-mail in restricted.duckdb's free blocks for good: nothing compacted later.
Now a pending-erasure record (a keyed hash, never the number) is written first and any
later writing command finishes the job: erase, rebuild, compact.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from leerdata.config import DataPaths
from leerdata.duckdb_rows import scalar
from leerdata.retention.pending import pending_path
from tests.test_subject_access import Subject, _copy_with_subject

# The killed erase is a module fixture: its tests run on one worker.
pytestmark = pytest.mark.xdist_group("erase_resume")

LEERDATA = str(Path(sys.executable).with_name("leerdata"))


def _leerdata(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LEERDATA, *args], capture_output=True, text=True, timeout=600, env=dict(os.environ)
    )


def _wait(condition, what: str, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def _erase_killed(subject: Subject, builds_before_kill: int) -> None:
    """Start `erase`; kill -9 it once its `builds_before_kill`-th build has started
    (1: during the build before the erasure; 2: during the rebuild after it)."""
    building = subject.paths.reporting_build_db
    erase = subprocess.Popen(
        [LEERDATA, "erase", "--employee-id", subject.employee_id,
         "--data-dir", str(subject.paths.root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for build in range(1, builds_before_kill + 1):
            _wait(building.exists, f"build {build} to start")
            if build < builds_before_kill:
                _wait(lambda: not building.exists(), f"build {build} to publish")
        time.sleep(0.5)  # dbt is writing now
        assert erase.poll() is None, "erase finished before it could be killed"
        os.kill(erase.pid, signal.SIGKILL)
    finally:
        erase.wait(timeout=60)
    assert erase.returncode == -signal.SIGKILL


def _assert_record_never_says_who(subject: Subject) -> None:
    record = pending_path(subject.paths)
    assert record.exists(), "the pending-erasure record must be on disk before the kill"
    text = record.read_text()
    assert subject.employee_id not in text and subject.email not in text
    assert len(json.loads(text)["subject_hashes"]) == 1


def _assert_erased_everywhere(subject: Subject) -> None:
    paths = subject.paths
    assert not pending_path(paths).exists()
    data = paths.restricted_db.read_bytes()
    assert subject.employee_id.encode() not in data, "personnel number left in the file"
    assert subject.email.encode() not in data, "e-mail left in the file"
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        left = scalar(
            con,
            "select count(*) from raw_hr where employee_id = $id or email = $email",
            {"id": subject.employee_id, "email": subject.email},
        )
        runs = con.execute(
            "select run_kind, persons_erased from retention_runs where persons_erased > 0"
        ).fetchall()
    assert left == 0 and runs == [("erasure", 1)]
    log = (paths.logs / "retention.log").read_text()
    assert "resumed=erasure" in log and subject.employee_id not in log


@pytest.fixture
def subject(tiny_warehouse: DataPaths, tmp_path: Path) -> Subject:
    return _copy_with_subject(tiny_warehouse, tmp_path / "data")


@pytest.fixture(scope="module")
def killed_in_rebuild(
    tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory
) -> Subject:
    """An erase killed -9 during its rebuild (a build, the erasure, part of a build): made
    once, and each test that resumes it works on its own copy of the files as left."""
    subject = _copy_with_subject(tiny_warehouse, tmp_path_factory.mktemp("killed") / "data")
    _erase_killed(subject, builds_before_kill=2)
    _assert_record_never_says_who(subject)
    return subject


def _copy_of(killed: Subject, tmp_path: Path) -> Subject:
    root = tmp_path / "data"
    shutil.copytree(killed.paths.root, root, symlinks=True)
    return replace(killed, paths=DataPaths.of(root))


def test_kill_during_the_rebuild_is_finished_and_compacted_by_the_next_build(
    killed_in_rebuild: Subject, tmp_path: Path
) -> None:
    subject = _copy_of(killed_in_rebuild, tmp_path)
    _assert_record_never_says_who(subject)
    later = _leerdata("build", "--data-dir", str(subject.paths.root))
    assert later.returncode == 0, later.stderr
    _assert_erased_everywhere(subject)


def test_kill_before_the_erasure_committed_is_finished_by_the_next_ingest(
    subject: Subject,
) -> None:
    _erase_killed(subject, builds_before_kill=1)
    _assert_record_never_says_who(subject)
    later = _leerdata("ingest", "--data-dir", str(subject.paths.root))
    assert later.returncode == 0, later.stderr
    _assert_erased_everywhere(subject)


def test_erase_again_after_a_kill_finishes_and_says_so(
    killed_in_rebuild: Subject, tmp_path: Path
) -> None:
    subject = _copy_of(killed_in_rebuild, tmp_path)
    again = _leerdata(
        "erase", "--employee-id", subject.employee_id, "--data-dir", str(subject.paths.root)
    )
    assert again.returncode == 0, again.stderr
    _assert_erased_everywhere(subject)


def test_retention_killed_during_its_rebuild_is_compacted_by_the_next_release(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    from tests.test_retention import LINK_MONTHS, PERSON_YEARS, _as_of, _erased

    root = tmp_path / "data"
    shutil.copytree(tiny_warehouse.root, root, ignore=shutil.ignore_patterns("logs"))
    paths = DataPaths.of(root)
    (root / "leerdata.toml").write_text(
        f"[retention]\nperson_years_after_exit = {PERSON_YEARS}\n"
        f"enrolment_link_months = {LINK_MONTHS}\n"
    )
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        as_of = _as_of(con)
        erased = _erased(con, as_of)
    needles = [n.encode() for n in (*erased.employee_ids, *erased.emails)]
    assert needles

    retention = subprocess.Popen(
        [LEERDATA, "retention", "apply", "--as-of", as_of.isoformat(), "--data-dir", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(paths.reporting_build_db.exists, "the build before the run")
        _wait(lambda: not paths.reporting_build_db.exists(), "its publish")
        _wait(paths.reporting_build_db.exists, "the rebuild after the run")
        time.sleep(0.5)
        os.kill(retention.pid, signal.SIGKILL)
    finally:
        retention.wait(timeout=60)
    assert retention.returncode == -signal.SIGKILL
    assert json.loads(pending_path(paths).read_text())["run_kind"] == "retention"

    later = _leerdata("research", "release", "--data-dir", str(root))
    assert later.returncode == 0, later.stderr
    assert not pending_path(paths).exists()
    data = paths.restricted_db.read_bytes()
    assert [n for n in needles if n in data] == []
    assert "resumed=retention" in (paths.logs / "retention.log").read_text()
