"""How a build lets go of DuckDB after dbt: the build file is checkpointed and detached
when dbt returns, the restricted file's close (its checkpoint) runs on a thread beside
the disclosure audit and the publish, and the build waits for it before it records its
watermarks and releases the write lock (leerdata.builder.dbt_runner.release_duckdb)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from dbt.adapters.duckdb.environments.local import LocalEnvironment

import leerdata.builder.warehouse as warehouse
from leerdata.builder.dbt_runner import DatabaseClosing
from leerdata.config import DataPaths


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
