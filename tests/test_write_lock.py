"""One write lock per data directory: two builds (or a build and an ingest) never overlap.

The race the lock closes: a second build's start-up deleted the first build's
reporting.building.duckdb while the first was in its post-build audit; the first then
checkpointed a fresh, empty file at that path and published it with exit 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from leerdata.config import DataPaths
from leerdata.duckdb_rows import scalar
from leerdata.locking import WarehouseBusyError, lock_path, write_lock
from tests.test_publish import (  # noqa: F401 - fixtures
    CLI_WRAPPER,
    PROBE_DEPARTMENT,
    _set_department_name,
    data_dir,
    project,
)

LEERDATA = str(Path(sys.executable).with_name("leerdata"))

# Takes the write lock as `command`, says so, and holds it until killed.
HOLDER = """
import sys, time
from leerdata.config import DataPaths
from leerdata.locking import write_lock
from leerdata.duckdb_rows import scalar
with write_lock(DataPaths.of(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


def _start_build(project_dir: Path, paths: DataPaths) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLI_WRAPPER,
            str(project_dir),
            "build",
            "--data-dir",
            str(paths.root),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LEERDATA_DBT_THREADS": "1"},
    )


def _start_holder(paths: DataPaths, command: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(paths.root), command],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_two_builds_started_together_publish_one_full_build(
    project: Path,  # noqa: F811
    data_dir: DataPaths,  # noqa: F811
) -> None:
    _set_department_name(project, PROBE_DEPARTMENT, "Built Once")
    builds = [_start_build(project, data_dir), _start_build(project, data_dir)]
    outcomes = [(b.wait(timeout=300), *b.communicate()) for b in builds]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 1], outcomes
    refused = next(err for code, _, err in outcomes if code == 1)
    lines = refused.strip().splitlines()
    assert len(lines) == 1, refused
    assert "holds the write lock" in lines[0] and "`build` (pid" in lines[0], lines[0]
    with duckdb.connect(str(data_dir.reporting_db), read_only=True) as con:
        rows = scalar(con, "select count(*) from dim_departments")
        name = scalar(
            con,
            "select department_name_en from dim_departments where department_code = ?",
            [PROBE_DEPARTMENT],
        )
    assert rows > 0 and name == "Built Once"
    assert not data_dir.reporting_build_db.exists()


def test_a_build_during_an_ingest_is_refused_with_one_line_naming_the_ingest(
    data_dir: DataPaths,  # noqa: F811
) -> None:
    holder = _start_holder(data_dir, "ingest")
    try:
        run = subprocess.run(
            [LEERDATA, "build", "--data-dir", str(data_dir.root)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and len(lines) == 1, run.stderr
    assert f"`ingest` (pid {holder.pid}" in lines[0], lines[0]
    assert "IOException" not in run.stderr


@pytest.mark.parametrize("command", ["erase", "retention", "research"])
def test_every_writing_command_waits_for_nobody_and_says_who_holds_the_lock(
    data_dir: DataPaths,  # noqa: F811
    command: str,
) -> None:
    args = {
        "erase": ["erase", "--employee-id", "E1"],
        "retention": ["retention", "apply", "--as-of", "2026-01-01"],
        "research": ["research", "release"],
    }[command]
    holder = _start_holder(data_dir, "build")
    try:
        run = subprocess.run(
            [LEERDATA, *args, "--data-dir", str(data_dir.root)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 1, run.stderr
    assert f"`build` (pid {holder.pid}" in run.stderr


def test_a_killed_holder_leaves_no_stale_lock(data_dir: DataPaths) -> None:  # noqa: F811
    holder = _start_holder(data_dir, "erase")
    with pytest.raises(WarehouseBusyError, match="`erase`"), write_lock(data_dir, "build"):
        pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert "`erase`" in lock_path(data_dir).read_text(), "the file outlives the process"
    started = time.perf_counter()
    with write_lock(data_dir, "build"):
        assert "`build`" in lock_path(data_dir).read_text()
    assert time.perf_counter() - started < 1, "the kernel released the lock at the kill"


def test_the_lock_is_reentrant_within_one_process(data_dir: DataPaths) -> None:  # noqa: F811
    with write_lock(data_dir, "erase"):
        with write_lock(data_dir, "build"):
            pass
        assert "`erase`" in lock_path(data_dir).read_text()
    with write_lock(data_dir, "ingest"):
        pass
