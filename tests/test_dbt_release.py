"""How a build lets go of DuckDB after dbt: the build file is checkpointed and detached
when dbt returns, the restricted file's close (its checkpoint) runs on a thread beside
the disclosure audit and the publish, and the build waits for it before it records its
watermarks and releases the write lock (leerdata.builder.dbt_runner.release_duckdb)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from dbt.adapters.duckdb.environments.local import LocalEnvironment
from leerdata_bench.extra_day import write_extra_day

import leerdata.builder.warehouse as warehouse
from leerdata.builder.dbt_runner import DatabaseClosing
from leerdata.builder.selection import SOURCE_MARK
from leerdata.config import DataPaths
from leerdata.ingest import run_ingest
from tests.test_incremental_build import INCREMENTAL_MODELS, _copy, _differences, watermarks_of

# `leerdata <args>` whose restricted-file close says so (a marker file) and then stalls,
# to be killed there.
STALLED_CLOSE_CLI = """
import sys, time
from pathlib import Path
from dbt.adapters.duckdb.environments.local import LocalEnvironment
marker = Path(sys.argv.pop(1))
original = LocalEnvironment.close
def close(self):
    if self.conn is not None:
        marker.write_text("closing")
        time.sleep(600)
    original(self)
LocalEnvironment.close = close
from leerdata.cli import main
sys.argv[0] = "leerdata"
main()
"""


def test_waiting_blocks_until_the_close_ended_and_raises_its_error() -> None:
    started, may_end = threading.Event(), threading.Event()

    def close() -> None:
        started.set()
        may_end.wait(10)
        raise OSError("disk full")

    closing = DatabaseClosing(close)
    assert started.wait(10)
    raised: list[BaseException] = []

    def wait() -> None:
        try:
            closing.wait()
        except OSError as exc:
            raised.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive(), "wait() returned before the close ended"
    may_end.set()
    waiter.join(10)
    assert [str(e) for e in raised] == ["disk full"]
    DatabaseClosing().wait()  # nothing to close: returns at once


def test_a_build_records_its_watermarks_only_after_the_restricted_file_closed(
    tiny_warehouse: DataPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = DataPaths.of(tmp_path / "data")
    shutil.copytree(tiny_warehouse.root, paths.root, ignore=shutil.ignore_patterns("*.lock"))
    attached_at_close: list[set[str]] = []
    closed_at: list[float] = []
    original_close = LocalEnvironment.close

    def slow_close(self: LocalEnvironment) -> None:
        if self.conn is None:
            original_close(self)
            return
        attached_at_close.append(
            {
                name
                for (name,) in self.conn.execute(
                    "select database_name from duckdb_databases() where not internal"
                ).fetchall()
            }
        )
        time.sleep(1.0)  # a slow checkpoint: the build must still wait for it
        original_close(self)
        closed_at.append(time.monotonic())

    recorded_at: list[float] = []
    original_record = warehouse.record_published

    def record(*args: object, **kwargs: object) -> None:
        recorded_at.append(time.monotonic())
        original_record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalEnvironment, "close", slow_close)
    monkeypatch.setattr(warehouse, "record_published", record)
    result = warehouse.build_warehouse(paths, show_progress=False)

    assert result.outcome.success
    # the build file was checkpointed and detached before the close began
    assert attached_at_close == [{"restricted"}]
    assert len(closed_at) == 1 and len(recorded_at) == 1
    assert closed_at[0] <= recorded_at[0], "the watermarks were written while closing"
    # everything the close wrote is in the file itself, nothing left in a WAL
    assert not Path(f"{paths.restricted_db}.wal").exists()
    assert not Path(f"{paths.reporting_db}.wal").exists()


def _published_marks(paths: DataPaths) -> dict[str, int]:
    """The batches the last published build covered (selection.record_published)."""
    return {k: v for k, v in watermarks_of(paths).items() if k.startswith(SOURCE_MARK)}


def test_a_build_killed_while_the_restricted_file_closes_is_made_good_by_the_next(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    """kill -9 while the restricted file closes (after dbt committed everything, beside
    the audit and the publish): no watermark of that build is recorded, DuckDB replays
    its log at the next open, and the next build gives what an uninterrupted one gives."""
    paths = _copy(tiny_warehouse, tmp_path / "killed")
    write_extra_day(paths, seed=11)
    run_ingest(paths, show_progress=False)
    reference = _copy(paths, tmp_path / "reference")
    warehouse.build_warehouse(reference, show_progress=False)
    before = _published_marks(paths)

    marker = tmp_path / "closing"
    command = ["build", "--data-dir", str(paths.root)]
    process = subprocess.Popen(
        [sys.executable, "-c", STALLED_CLOSE_CLI, str(marker), *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 600
        while not marker.exists():
            assert process.poll() is None, f"the build ended (exit {process.returncode})"
            assert time.monotonic() < deadline, "the build never began to close"
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    # opened read-write: DuckDB replays what the close did not write
    assert _published_marks(paths) == before, "the killed build recorded its watermarks"
    assert warehouse.build_warehouse(paths, show_progress=False).outcome.success
    assert _differences(paths.reporting_db, reference.reporting_db) == []
    assert _differences(paths.restricted_db, reference.restricted_db, INCREMENTAL_MODELS) == []
