"""A day's ingest reads only files it does not know unchanged (leerdata.ingest.file_stats).

Which files ingest opens is recorded by wrapping the landing reader; what it loaded is
read back from the database, so a file skipped that should have loaded shows up as
missing rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import file_stats, run_ingest
from leerdata.ingest import runner as ingest_runner
from tests.ingest_cases.builders import ubl_invoice, valid_rows, write_bytes, write_csv
from tests.ingest_cases.queries import query


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    paths = DataPaths.of(tmp_path / "data")
    paths.landing.mkdir(parents=True)
    write_csv(paths.landing, "hr", valid_rows("hr", 3))
    for i in (1, 2):
        write_bytes(paths.landing, f"invoices/INV-{i}.xml", ubl_invoice(f"INV-{i}", 2).encode())
    return paths


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    opened: list[str] = []
    real_read = ingest_runner.read_landing

    def recording_read(path: Path, *args: Any) -> Any:
        opened.append(path.name)
        return real_read(path, *args)

    monkeypatch.setattr(ingest_runner, "read_landing", recording_read)
    return opened


def _hr_rows(paths: DataPaths) -> int:
    return int(query(paths, "select count(*) from raw_hr")[0][0])


def test_a_second_ingest_reads_only_the_new_file(
    paths: DataPaths, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_stats, "RACY_SECONDS", 0)  # the files are seconds old here
    first = run_ingest(paths, show_progress=False)
    assert first.files_loaded == 3
    reads.clear()
    write_bytes(paths.landing, "invoices/INV-3.xml", ubl_invoice("INV-3", 2).encode())

    second = run_ingest(paths, show_progress=False)

    assert reads == ["INV-3.xml"]
    assert (second.files_loaded, second.rows_loaded) == (1, 2)
    assert query(paths, "select count(distinct invoice_id) from raw_invoices") == [(3,)]


def test_a_file_rewritten_with_its_old_size_and_time_is_read_and_loaded_again(
    paths: DataPaths, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_stats, "RACY_SECONDS", 0)
    run_ingest(paths, show_progress=False)
    hr_file = next(paths.landing.glob("hr/*.csv"))
    before = hr_file.stat()
    text = hr_file.read_text()
    changed = text.replace("Jansen", "Jansma")  # same length
    assert changed != text and len(changed) == len(text)
    hr_file.write_text(changed)
    os.utime(hr_file, ns=(before.st_atime_ns, before.st_mtime_ns))  # only ctime tells
    assert (hr_file.stat().st_size, hr_file.stat().st_mtime_ns) == (
        before.st_size,
        before.st_mtime_ns,
    )
    reads.clear()

    second = run_ingest(paths, show_progress=False)

    assert reads == [hr_file.name]
    assert second.files_loaded == 1
    assert query(paths, "select count(*) from raw_hr where last_name = 'Jansma'") == [(3,)]


def test_files_changed_shortly_before_they_were_read_are_read_again(
    paths: DataPaths, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed within the margin before it was hashed cannot be trusted: a write
    in the same clock tick as the read would not have changed its status. (An hour
    here, so that a slow machine cannot make the files old enough.)"""
    monkeypatch.setattr(file_stats, "RACY_SECONDS", 3600)
    run_ingest(paths, show_progress=False)
    reads.clear()

    second = run_ingest(paths, show_progress=False)

    assert sorted(reads) == sorted(
        ["INV-1.xml", "INV-2.xml", next(paths.landing.glob("hr/*")).name]
    )
    assert second.files_loaded == 0
    assert _hr_rows(paths) == 3


def test_a_copied_data_directory_reads_its_files_again_and_loads_nothing_twice(
    paths: DataPaths, reads: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    monkeypatch.setattr(file_stats, "RACY_SECONDS", 0)
    run_ingest(paths, show_progress=False)
    copy = DataPaths.of(tmp_path / "copy")
    shutil.copytree(paths.root, copy.root)  # new inodes, new times
    reads.clear()

    again = run_ingest(copy, show_progress=False)

    assert len(reads) == 3
    assert again.files_loaded == 0
    assert _hr_rows(copy) == 3
