"""Small CSV files read and parsed on a thread ahead of the main thread
(leerdata.ingest.csv_read_ahead): in budget, in order, and the bytes loaded are the
bytes hashed."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import run_ingest
from leerdata.ingest import runner as ingest_runner
from leerdata.ingest.csv_read_ahead import CsvReadAhead
from leerdata.ingest.discovery import LandingFile, Rejection, discover
from tests.ingest_cases.builders import valid_rows, write_csv
from tests.ingest_cases.queries import manifest, query

WAIT = 10.0  # seconds a test waits for the thread before it fails


@pytest.fixture
def hr_files(tmp_path: Path) -> list[LandingFile]:
    """Four HR exports of 1, 2, 3 and 4 rows, as discovery lists them."""
    for day in range(1, 5):
        write_csv(tmp_path, "hr", valid_rows("hr", day), name=f"hr/hr_VWS_2024030{day}.csv")
    files = discover(tmp_path)
    assert len(files) == 4
    return files


class RecordingRead:
    """Reads files and records which, in order; `fail` names files that raise."""

    def __init__(self, fail: frozenset[str] = frozenset()) -> None:
        self.names: list[str] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, path: Path) -> bytes | Rejection:
        with self.lock:
            self.names.append(path.name)
        if path.name in self.fail:
            raise OSError("vanished")
        return path.read_bytes()

    def until(self, condition: Callable[[list[str]], bool]) -> list[str]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self.lock:
                if condition(self.names):
                    return list(self.names)
            time.sleep(0.01)
        raise AssertionError(f"the thread never got there: read {self.names}")


def _rows(read_ahead: CsvReadAhead, file: LandingFile) -> int | None:
    taken = read_ahead.take(file)
    return None if taken is None or taken.content.parsed is None else taken.content.parsed.rows_read


def test_files_come_parsed_in_order_with_the_hash_of_their_bytes(
    hr_files: list[LandingFile],
) -> None:
    with closing(CsvReadAhead(hr_files, RecordingRead(), time.time_ns, 10**9)) as read_ahead:
        for rows, file in enumerate(hr_files, start=1):
            taken = read_ahead.take(file)
            assert taken is not None
            assert taken.sha == hashlib.sha256(file.path.read_bytes()).hexdigest()
            assert taken.size == file.size
            assert taken.content.parsed is not None
            assert taken.content.parsed.rows_read == rows


def test_the_thread_stays_within_its_budget_until_files_are_taken(
    hr_files: list[LandingFile],
) -> None:
    read = RecordingRead()
    budget = hr_files[1].size + hr_files[2].size  # the first two files, not three
    with closing(CsvReadAhead(hr_files, read, time.time_ns, budget)) as read_ahead:
        assert read.until(lambda names: len(names) >= 2)[:2] == [f.path.name for f in hr_files[:2]]
        time.sleep(0.3)  # room for a third read, were the budget not kept
        assert len(read.names) == 2
        assert _rows(read_ahead, hr_files[0]) == 1
        assert read.until(lambda names: len(names) >= 3)[2] == hr_files[2].path.name


def test_one_file_larger_than_the_budget_is_still_read(hr_files: list[LandingFile]) -> None:
    with closing(CsvReadAhead(hr_files, RecordingRead(), time.time_ns, 1)) as read_ahead:
        assert [_rows(read_ahead, file) for file in hr_files] == [1, 2, 3, 4]


def test_files_passed_over_are_dropped_and_not_handed_out_later(
    hr_files: list[LandingFile],
) -> None:
    read = RecordingRead()
    budget = hr_files[0].size  # one file at a time: the thread waits on the first
    with closing(CsvReadAhead(hr_files, read, time.time_ns, budget)) as read_ahead:
        assert _rows(read_ahead, hr_files[2]) == 3  # the first two are passed over
        assert read_ahead.take(hr_files[0]) is None  # the caller reads those itself
        assert read_ahead.take(hr_files[1]) is None
        assert _rows(read_ahead, hr_files[3]) == 4
    assert hr_files[1].path.name not in read.names  # passed before the thread reached it


def test_a_file_the_thread_cannot_read_is_left_to_the_caller(
    hr_files: list[LandingFile],
) -> None:
    read = RecordingRead(fail=frozenset({hr_files[1].path.name}))
    with closing(CsvReadAhead(hr_files, read, time.time_ns, 10**9)) as read_ahead:
        assert [_rows(read_ahead, file) for file in hr_files] == [1, None, 3, 4]


def test_closing_stops_a_thread_that_waits_for_room(hr_files: list[LandingFile]) -> None:
    read = RecordingRead()
    read_ahead = CsvReadAhead(hr_files, read, time.time_ns, 1)
    read.until(lambda names: len(names) == 1)
    started = time.monotonic()
    read_ahead.close()
    assert time.monotonic() - started < WAIT
    assert read.names == [hr_files[0].path.name]


def test_a_file_rewritten_after_the_thread_read_it_loads_as_read_then_again_as_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = DataPaths.of(tmp_path / "data")
    first = write_csv(paths.landing, "hr", valid_rows("hr", 2), name="hr/hr_VWS_20240301.csv")
    write_csv(paths.landing, "hr", valid_rows("hr", 1), name="hr/hr_VWS_20240302.csv")
    original = first.read_bytes()
    real_read = ingest_runner.read_landing

    def read_then_rewrite(path: Path, limit: int) -> bytes | Rejection:
        raw = real_read(path, limit)
        if path == first and threading.current_thread().name == "csv-read-ahead":
            write_csv(paths.landing, "hr", valid_rows("hr", 5), name="hr/hr_VWS_20240301.csv")
        return raw

    monkeypatch.setattr(ingest_runner, "read_landing", read_then_rewrite)
    summary = run_ingest(paths, show_progress=False)
    assert summary.rows_loaded == 2 + 1
    entry = manifest(paths, "hr/hr_VWS_20240301.csv")
    assert (entry["content_sha256"], entry["rows_loaded"]) == (
        hashlib.sha256(original).hexdigest(),
        2,
    )

    monkeypatch.undo()
    again = run_ingest(paths, show_progress=False)  # the rewrite is a new delivery
    assert (again.files_loaded, again.files_skipped, again.rows_loaded) == (1, 1, 5)
    per_batch = "select _batch_id, count(*) from raw_hr where _file_name like '%0301%' group by 1"
    assert sorted(n for _, n in query(paths, per_batch)) == [2, 5]
