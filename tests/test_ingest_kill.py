"""`ingest` killed with kill -9 mid-transaction loses nothing and loads nothing twice.

README, "What a crash or a mistake does": each file (or group of files) is one
transaction; files committed before the kill are loaded and in the manifest, the one in
flight is rolled back by DuckDB on the next open, and running `ingest` again loads the
rest. Checked here for the paths that commit many files at once (a group of small CSV
files) or write one file in many statements (a CSV loaded in chunks): the process kills
itself with SIGKILL right after rows of the file in flight were written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import run_ingest
from tests.ingest_cases.builders import valid_rows, write_csv
from tests.ingest_cases.queries import query

LEERDATA = str(Path(sys.executable).with_name("leerdata"))
SMALL = [f"hr/hr_VWS_2024030{day}.csv" for day in (1, 2, 3, 4)]
LARGE = "hr/hr_VWS_20240309.csv"

# Kills the ingest on the n-th call of the CSV validation (one per group of small files,
# one per chunk of a large one), after that call's rows were inserted. Groups of two
# small files.
DRIVER = """
import os, signal, sys
from pathlib import Path
from leerdata.config import DataPaths
from leerdata.ingest import csv_loader, runner

kill_at = int(sys.argv[2])
runner.CSV_GROUP_BYTES = int(sys.argv[3])
real = csv_loader._validate_and_insert
calls = 0

def validate_then_die(*args):
    global calls
    real(*args)
    calls += 1
    if calls == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

csv_loader._validate_and_insert = validate_then_die
runner.run_ingest(DataPaths.of(Path(sys.argv[1])), show_progress=False)
"""


def _landing(root: Path) -> DataPaths:
    paths = DataPaths.of(root)
    paths.landing.mkdir(parents=True)
    for day, name in enumerate(SMALL, start=1):
        rows = valid_rows("hr", 3)
        for row in rows:
            row["employee_id"] += f"-{day}"
        rows[1]["gender"] = "?"  # quarantined: both tables are in the transaction
        write_csv(paths.landing, "hr", rows, name=name)
    rows = valid_rows("hr", 60)
    rows[30]["birth_date"] = "1980-13-01"
    write_csv(paths.landing, "hr", rows, name=LARGE)
    (root / "leerdata.toml").write_text("[ingest]\ncsv_chunk_bytes = 2000\n")
    return paths


def _state(paths: DataPaths) -> dict[str, list]:
    return {
        "raw": query(paths, "select * exclude (_batch_id) from raw_hr order by all"),
        "quarantine": query(
            paths,
            "select * exclude (batch_id, quarantined_at) from quarantine order by all",
        ),
        "manifest": query(
            paths,
            "select file_name, content_sha256, rows_read, rows_loaded, rows_quarantined, "
            "status from load_manifest order by all",
        ),
    }


@pytest.mark.parametrize(
    ("kill_at", "committed_before"),
    [
        pytest.param(2, SMALL[:2], id="second group in flight"),
        pytest.param(4, SMALL, id="second chunk of a large file in flight"),
    ],
)
def test_ingest_killed_mid_transaction_then_run_again_loads_everything_once(
    tmp_path: Path, kill_at: int, committed_before: list[str]
) -> None:
    expected = _state(_ingest_cleanly(_landing(tmp_path / "clean")))
    paths = _landing(tmp_path / "killed")
    group_bytes = 2 * (paths.landing / SMALL[0]).stat().st_size
    killed = subprocess.run(
        [sys.executable, "-c", DRIVER, str(paths.root), str(kill_at), str(group_bytes)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # What committed before the kill is there; nothing of the file in flight is.
    files = "select distinct file_name from load_manifest order by 1"
    assert [name for (name,) in query(paths, files)] == committed_before
    loaded = "select distinct _file_name from raw_hr order by 1"
    assert [name for (name,) in query(paths, loaded)] == committed_before

    again = subprocess.run(
        [LEERDATA, "ingest", "--data-dir", str(paths.root)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert _state(paths) == expected


def _ingest_cleanly(paths: DataPaths) -> DataPaths:
    run_ingest(paths, show_progress=False)
    return paths
