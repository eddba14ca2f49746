"""Ingest reads only regular files inside landing/, within size limits, and a file
quarantined for its name loads once the steward renames it.

Before: a symlink to /etc/passwd was read and its lines stored in quarantine; a 500 MB
field loaded (3.8 GB peak); `hr_VWS_20261101 (1).csv`, quarantined as UNKNOWN_FILE,
never loaded after renaming, as its content hash counted as "loaded before".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import run_ingest
from tests.ingest_cases.builders import FILE_NAMES, valid_rows, write_bytes, write_csv
from tests.ingest_cases.queries import assert_conserved, dicts, query

SECRET_LINE = "root:x:0:0:secret-of-the-host:/root:/bin/bash"


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    paths = DataPaths.of(tmp_path / "data")
    paths.landing.mkdir(parents=True)
    return paths


def _limits(paths: DataPaths, **values: int) -> None:
    body = "".join(f"{name} = {value}\n" for name, value in values.items())
    (paths.root / "leerdata.toml").write_text("[ingest]\n" + body)


def _quarantine(paths: DataPaths) -> list[tuple]:
    return query(
        paths,
        "select file_name, reason_code, raw_value, raw_record from quarantine order by all",
    )


def _everything_stored(paths: DataPaths) -> str:
    rows = query(paths, "select * from quarantine") + query(paths, "select * from load_manifest")
    return repr(rows)


def test_a_file_quarantined_for_its_name_loads_after_renaming(paths: DataPaths) -> None:
    wrong = write_csv(paths.landing, "hr", valid_rows("hr", 3), name="hr/hr_VWS_20261101 (1).csv")
    run_ingest(paths, show_progress=False)
    assert [r[:2] for r in _quarantine(paths)] == [("hr/hr_VWS_20261101 (1).csv", "UNKNOWN_FILE")]
    again = run_ingest(paths, show_progress=False)
    assert again.files_skipped == 1 and len(_quarantine(paths)) == 1, "quarantined once"

    wrong.rename(wrong.with_name("hr_VWS_20261101.csv"))
    renamed = run_ingest(paths, show_progress=False)
    assert (renamed.files_loaded, renamed.rows_loaded) == (1, 3)
    assert query(paths, "select count(*) from raw_hr") == [(3,)]
    assert run_ingest(paths, show_progress=False).files_skipped == 1


def test_a_symlink_out_of_landing_is_quarantined_unread(paths: DataPaths, tmp_path: Path) -> None:
    outside = tmp_path / "passwd"
    outside.write_text("employee_id\n" + SECRET_LINE + "\n")
    (paths.landing / "hr").mkdir()
    (paths.landing / "hr" / "hr_VWS_20240301.csv").symlink_to(outside)
    (paths.landing / "lms").symlink_to(tmp_path, target_is_directory=True)
    write_csv(paths.landing, "sessions", valid_rows("sessions", 2))

    summary = run_ingest(paths, show_progress=False)
    assert summary.rows_loaded == 2, "the regular file still loads"
    assert [r[:3] for r in _quarantine(paths)] == [
        ("hr/hr_VWS_20240301.csv", "NOT_A_REGULAR_FILE", "symbolic link"),
        ("lms", "NOT_A_REGULAR_FILE", "symbolic link"),
    ]
    assert "secret-of-the-host" not in _everything_stored(paths)
    assert query(paths, "select count(*) from raw_hr") == [(0,)]
    assert run_ingest(paths, show_progress=False).files_loaded == 0, "quarantined once"
    assert len(_quarantine(paths)) == 2


def test_a_named_pipe_is_quarantined_without_blocking(paths: DataPaths) -> None:
    (paths.landing / "lms").mkdir()
    os.mkfifo(paths.landing / "lms" / "attendance_20240301.csv")
    run_ingest(paths, show_progress=False)  # would block forever on open/read
    assert [r[1:3] for r in _quarantine(paths)] == [("NOT_A_REGULAR_FILE", "named pipe")]


def test_a_file_over_the_size_limit_is_quarantined_and_loads_when_allowed(
    paths: DataPaths,
) -> None:
    path = write_csv(paths.landing, "hr", valid_rows("hr", 5))
    size = path.stat().st_size
    _limits(paths, max_file_bytes=size - 1)
    run_ingest(paths, show_progress=False)
    assert [r[:3] for r in _quarantine(paths)] == [
        (FILE_NAMES["hr"], "FILE_TOO_LARGE", f"{size} bytes, limit {size - 1}")
    ]
    assert query(paths, "select count(*) from raw_hr") == [(0,)]

    _limits(paths, max_file_bytes=size)
    assert run_ingest(paths, show_progress=False).rows_loaded == 5
    assert query(paths, "select count(*) from raw_hr") == [(5,)]


def test_an_oversized_field_quarantines_its_row_cut_short(paths: DataPaths) -> None:
    _limits(paths, max_field_bytes=300)
    rows = valid_rows("hr", 3)
    rows[1]["first_names"] = "Jan" * 400  # 1,200 bytes
    header = [*rows[0].keys(), "extra"]
    rows[2]["extra"] = "x" * 1000  # outside the contract: the row still goes
    write_csv(paths.landing, "hr", rows, header=header)

    summary = run_ingest(paths, show_progress=False)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (3, 1, 2)
    found = dicts(
        paths, "select line_number, column_name, raw_value, reason_code, raw_record "
        "from quarantine order by line_number"
    )  # fmt: skip
    assert [(r["line_number"], r["column_name"], r["reason_code"]) for r in found] == [
        (3, "first_names", "FIELD_TOO_LARGE"),
        (4, None, "FIELD_TOO_LARGE"),
    ]
    assert found[0]["raw_value"].endswith("… (1200 bytes)") and len(found[0]["raw_value"]) < 250
    assert all(len(r["raw_record"]) < 2000 for r in found)
    for entry in dicts(paths, "select * from load_manifest"):
        assert_conserved(entry)


def test_a_line_too_long_for_a_malformed_row_is_stored_cut_short(paths: DataPaths) -> None:
    _limits(paths, max_field_bytes=300)
    header = ";".join(valid_rows("hr", 1)[0].keys())
    write_bytes(paths.landing, FILE_NAMES["hr"], f"{header}\n{'y' * 5000}\n".encode())
    run_ingest(paths, show_progress=False)
    (record,) = [r[3] for r in _quarantine(paths)]
    assert "(5000 bytes)" in record and len(record) < 1000
