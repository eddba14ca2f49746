"""A group of small CSV files is validated in one pass per shape (csv_loader.
validate_and_insert), and stores exactly what loading the files one by one stores:
the same typed rows with the same lineage, the same quarantine rows, the same manifest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import csv_loader, run_ingest
from leerdata.ingest import runner as ingest_runner
from tests.ingest_cases.builders import SOURCES, valid_rows, write_bytes, write_csv
from tests.ingest_cases.queries import assert_conserved, dicts, query

HR_COLUMNS = list(SOURCES["hr"].column_names)


def _hr_rows(day: int, n: int) -> list[dict[str, str]]:
    rows = valid_rows("hr", n)
    for row in rows:
        row["employee_id"] += f"-{day}"
    return rows


def _landing(root: Path) -> DataPaths:
    """Files of two sources, two header orders and two delimiters, with bad rows of
    every kind the validation finds, and files that never reach it."""
    paths = DataPaths.of(root)
    paths.landing.mkdir(parents=True)
    sessions = valid_rows("sessions", 4)
    sessions[1]["status"] = "onbekend"  # UNKNOWN_VALUE
    write_csv(paths.landing, "sessions", sessions, name="catalogue/sessions_20240301.csv")
    more_sessions = valid_rows("sessions", 2)
    write_csv(paths.landing, "sessions", more_sessions, name="catalogue/sessions_20240302.csv")

    first = _hr_rows(1, 5)
    first[0]["birth_date"] = "1980-13-01"  # INVALID_DATE
    first[3]["department_code"] = ""  # REQUIRED_MISSING
    write_csv(paths.landing, "hr", first, name="hr/hr_VWS_20240301.csv")
    second = _hr_rows(2, 4)
    second[2]["salary_scale"] = "elf"  # INVALID_TYPE
    second[1]["job_title"] = "x" * 300  # FIELD_TOO_LARGE (limit set below)
    write_csv(paths.landing, "hr", second, name="hr/hr_VWS_20240302.csv")
    # Another header order: another shape, validated in a pass of its own.
    third = _hr_rows(3, 3)
    third[1]["gender"] = "?"
    write_csv(paths.landing, "hr", third, name="hr/hr_VWS_20240303.csv", header=HR_COLUMNS[::-1])
    # Commas: parsed to the same columns, so the same shape as the first two.
    write_csv(paths.landing, "hr", _hr_rows(4, 2), name="hr/hr_VWS_20240304.csv", delimiter=",")
    # A record with a field too many (quarantined when read) among good ones.
    fifth = "\n".join(
        [";".join(HR_COLUMNS)]
        + [";".join(r[c] for c in HR_COLUMNS) for r in _hr_rows(5, 2)]
        + [";".join(r[c] for c in HR_COLUMNS) + ";extra" for r in _hr_rows(6, 1)]
    )
    write_bytes(paths.landing, "hr/hr_VWS_20240305.csv", (fifth + "\n").encode())
    write_bytes(paths.landing, "hr/hr_VWS_20240306.csv", b"")  # EMPTY_FILE
    missing = ";".join(HR_COLUMNS[1:]) + "\n" + ";".join("x" for _ in HR_COLUMNS[1:]) + "\n"
    write_bytes(paths.landing, "hr/hr_VWS_20240307.csv", missing.encode())  # MISSING_COLUMN
    (root / "leerdata.toml").write_text("[ingest]\nmax_field_bytes = 200\n")
    return paths


def _stored(paths: DataPaths) -> dict[str, list]:
    return {
        "raw_hr": query(paths, "select * from raw_hr order by all"),
        "raw_sessions": query(paths, "select * from raw_sessions order by all"),
        "quarantine": query(
            paths, "select * exclude (quarantined_at) from quarantine order by all"
        ),
        "manifest": query(
            paths,
            "select * exclude (seconds, loaded_at) from load_manifest order by all",
        ),
    }


def test_a_group_stores_exactly_what_files_loaded_one_by_one_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one = _landing(tmp_path / "one-by-one")
    monkeypatch.setattr(ingest_runner, "CSV_GROUP_BYTES", 0)
    alone = ingest_runner._groups(ingest_runner.discover(one_by_one.landing))
    assert {len(g) for g in alone} == {1}
    run_ingest(one_by_one, show_progress=False)

    grouped = _landing(tmp_path / "grouped")
    monkeypatch.setattr(ingest_runner, "CSV_GROUP_BYTES", 1 << 20)
    groups = list(ingest_runner._groups(ingest_runner.discover(grouped.landing)))
    assert [len(g) for g in groups] == [9]  # every file in one transaction
    passes: list[tuple[str, int]] = []
    real_pass = csv_loader._validate_and_insert

    def counting_pass(con, source, header, positions, rows, max_field_bytes):
        passes.append((source.name, rows.height))
        return real_pass(con, source, header, positions, rows, max_field_bytes)

    monkeypatch.setattr(csv_loader, "_validate_and_insert", counting_pass)
    summary = run_ingest(grouped, show_progress=False)

    # One pass per shape: sessions; HR in the contract's column order (semicolons and
    # commas alike); HR in the reversed order.
    assert passes == [("sessions", 6), ("hr", 5 + 4 + 2 + 2), ("hr", 3)]
    assert summary.files_failed == 0
    stored = _stored(grouped)
    assert stored == _stored(one_by_one)
    reasons = {reason for *_, reason, _ in query(grouped, _REASONS)}
    assert {"UNKNOWN_VALUE", "INVALID_DATE", "INVALID_TYPE", "REQUIRED_MISSING"} <= reasons
    assert "FIELD_TOO_LARGE" in reasons
    assert {"MALFORMED_ROW", "EMPTY_FILE", "MISSING_COLUMN"} <= reasons
    for entry in dicts(grouped, "select * from load_manifest"):
        assert_conserved(entry)
    # Each row carries its own file's lineage, as the manifest records the file: the
    # comparison above cannot see that (both runs validate through the same code).
    for table, batch, name, day in _LINEAGE:
        wrong = (
            f"select t.{batch}, t.{name} from {table} t left join load_manifest m "
            f"on m.batch_id = t.{batch} where m.file_name is distinct from t.{name}"
        )
        if day:  # the date in the file's name
            named = f"strptime(regexp_extract(t.{name}, '_(\\d{{8}})', 1), '%Y%m%d')"
            wrong += f" or t.{day} is distinct from {named}"
        assert query(grouped, wrong) == [], table
    assert query(grouped, "select count(distinct _file_name) from raw_hr") == [(5,)]


_LINEAGE = [
    ("raw_hr", "_batch_id", "_file_name", "_file_date"),
    ("raw_sessions", "_batch_id", "_file_name", "_file_date"),
    ("quarantine", "batch_id", "file_name", None),
]


_REASONS = "select file_name, line_number, column_name, reason_code, 1 from quarantine"
