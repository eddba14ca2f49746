"""Atomic publish: readers of reporting.duckdb never block a build nor see half of one.

The builds here run the real CLI (`leerdata.cli:main` in a subprocess) on a minimal copy
of the dbt project (the repo's dbt_project.yml, profiles, macros and seeds, with one
mart), so the test exercises build + publish without depending on models that other
areas are still writing. A seed value is changed between builds to tell the two apart.
Every test starts from the same first build, made once (`first_build`) and copied.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from leerdata.config import REPO_ROOT, DataPaths
from leerdata.ingest.schema import create_raw_tables

PROBE_DEPARTMENT = "VWS"

# The first build is a module fixture: its tests run on one worker.
pytestmark = pytest.mark.xdist_group("publish")

# Runs `leerdata <args>` with dbt pointed at a copied project.
CLI_WRAPPER = """
import sys
from pathlib import Path
import leerdata.builder.dbt_runner as runner
project = Path(sys.argv.pop(1))
runner.REPO_ROOT = project
runner.PROFILES_DIR = project / "dbt_project"
from leerdata.cli import main
sys.argv[0] = "leerdata"
main()
"""

# Reads reporting.duckdb in a loop until told to stop; one JSON line per query.
# mode "hold": one read-only connection for the whole run (a dashboard's cached handle).
# mode "fresh": a new read-only connection per query (a dashboard after the file changed).
READER = """
import json, sys, time
from pathlib import Path
import duckdb
db, mode, stop, dept = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
query = "select department_name_en, (select count(*) from dim_departments) from dim_departments " \\
        "where department_code = ?"
held = duckdb.connect(db, read_only=True) if mode == "hold" else None
while not stop.exists():
    try:
        con = held or duckdb.connect(db, read_only=True)
        row = con.execute(query, [dept]).fetchone()
        if held is None:
            con.close()
        print(json.dumps({"t": time.time(), "name": row[0] if row else None,
                          "rows": row[1] if row else 0}), flush=True)
    except Exception as exc:
        print(json.dumps({"t": time.time(), "error": f"{type(exc).__name__}: {exc}"}),
              flush=True)
    time.sleep(0.005)
"""


def _minimal_project(root: Path) -> Path:
    """A minimal copy of the dbt project: config, macros, seeds and one mart."""
    root.mkdir()
    shutil.copy(REPO_ROOT / "dbt_project.yml", root)
    shutil.copytree(REPO_ROOT / "seeds", root / "seeds")
    shutil.copytree(
        REPO_ROOT / "dbt_project",
        root / "dbt_project",
        ignore=shutil.ignore_patterns("tests", "snapshots", "analyses"),
    )
    for folder in ("tests", "snapshots", "analyses"):
        (root / "dbt_project" / folder).mkdir()
    mart = root / "models" / "marts" / "shared"
    mart.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "models" / "marts" / "shared" / "dim_departments.sql", mart)
    return root


@dataclass(frozen=True)
class FirstBuild:
    project: Path
    paths: DataPaths
    stdout: str  # what `leerdata build` printed


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> FirstBuild:
    """The minimal project, the probe department named "Old Name", built and published
    by the CLI into an empty data dir: once, as every test starts so; each test works on
    its own copy of the project and of the data dir."""
    root = tmp_path_factory.mktemp("first-build")
    project = _minimal_project(root / "project")
    paths = DataPaths.of(root / "data")
    _create_empty_data_dir(paths)
    _set_department_name(project, PROBE_DEPARTMENT, "Old Name")
    first = _build(project, paths)
    assert first.returncode == 0, first.stderr
    assert _published_name(paths) == "Old Name"
    return FirstBuild(project, paths, first.stdout)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A new minimal project (test_write_lock builds it in a new data dir)."""
    return _minimal_project(tmp_path / "project")


@pytest.fixture
def data_dir(tmp_path: Path) -> DataPaths:
    """An empty data dir: raw tables, nothing built (test_write_lock)."""
    paths = DataPaths.of(tmp_path / "data")
    _create_empty_data_dir(paths)
    return paths


@pytest.fixture
def built_project(first_build: FirstBuild, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(first_build.project, root)
    return root


@pytest.fixture
def built_data_dir(first_build: FirstBuild, tmp_path: Path) -> DataPaths:
    root = tmp_path / "data"
    shutil.copytree(first_build.paths.root, root, ignore=shutil.ignore_patterns("*.lock"))
    return DataPaths.of(root)


def _create_empty_data_dir(paths: DataPaths) -> None:
    paths.warehouse.mkdir(parents=True)
    with duckdb.connect(str(paths.restricted_db)) as con:
        create_raw_tables(con)


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI_WRAPPER, str(project), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LEERDATA_DBT_THREADS": "1"},
    )


def _build(project: Path, paths: DataPaths) -> subprocess.CompletedProcess[str]:
    return _cli(project, "build", "--data-dir", str(paths.root))


def _set_department_name(project: Path, code: str, name_en: str) -> None:
    seed = project / "seeds" / "departments.csv"
    with seed.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    matching = [row for row in rows if row["department_code"] == code]
    assert len(matching) == 1, f"seed has no single row for {code}"
    matching[0]["name_en"] = name_en
    with seed.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _published_name(paths: DataPaths) -> str:
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        row = con.execute(
            "select department_name_en from dim_departments where department_code = ?",
            [PROBE_DEPARTMENT],
        ).fetchone()
    assert row is not None
    return row[0]


def _start_reader(paths: DataPaths, mode: str, stop: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", READER, str(paths.reporting_db), mode, str(stop), PROBE_DEPARTMENT],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _records(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _wait_for_queries(log: Path, at_least: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"reader made fewer than {at_least} queries: {log.read_text()}")


def test_build_publishes_while_readers_keep_querying(
    built_project: Path, built_data_dir: DataPaths, tmp_path: Path
) -> None:
    project, data_dir = built_project, built_data_dir
    # first_build published "Old Name" (the data dir's first build)
    assert _published_name(data_dir) == "Old Name"
    _set_department_name(project, PROBE_DEPARTMENT, "New Name")

    stop = tmp_path / "stop"
    logs = {mode: tmp_path / f"reader-{mode}.jsonl" for mode in ("hold", "fresh")}
    readers = {mode: _start_reader(data_dir, mode, stop, log) for mode, log in logs.items()}
    try:
        for log in logs.values():
            _wait_for_queries(log, 5)
        started = time.time()
        second = _build(project, data_dir)
        finished = time.time()
        for log in logs.values():  # let both readers query the published file too
            _wait_for_queries(log, len(log.read_text().splitlines()) + 5)
    finally:
        stop.touch()
        for reader in readers.values():
            reader.wait(timeout=30)

    assert second.returncode == 0, second.stderr
    assert _published_name(data_dir) == "New Name", "a new connection sees the new build"
    assert not data_dir.reporting_build_db.exists()

    for mode, log in logs.items():
        records = _records(log)
        errors = [r for r in records if "error" in r]
        assert errors == [], f"{mode} reader failed: {errors[:3]}"
        assert all(r["rows"] > 0 and r["name"] is not None for r in records), mode
        during = [r for r in records if started <= r["t"] <= finished]
        assert len(during) >= 10, f"{mode} reader hardly queried during the build"
    held_names = {r["name"] for r in _records(logs["hold"])}
    assert held_names == {"Old Name"}, "a held connection keeps reading its own snapshot"
    fresh_names = [r["name"] for r in _records(logs["fresh"])]
    assert fresh_names[0] == "Old Name" and fresh_names[-1] == "New Name"
    switch = fresh_names.index("New Name")
    assert set(fresh_names[switch:]) == {"New Name"}, "never back to the old file"


def _assert_failed_cleanly(
    run: subprocess.CompletedProcess[str], paths: DataPaths, before: bytes
) -> None:
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error:") and "reporting.duckdb left unchanged" in lines[0]
    assert paths.reporting_db.read_bytes() == before, "the published file must be untouched"
    assert not paths.reporting_build_db.exists(), "the half-built file must be discarded"
    assert _published_name(paths) == "Old Name"


def test_failing_model_leaves_previous_reporting_db(
    built_project: Path, built_data_dir: DataPaths
) -> None:
    project, data_dir = built_project, built_data_dir
    before = data_dir.reporting_db.read_bytes()
    _set_department_name(project, PROBE_DEPARTMENT, "New Name")
    broken = project / "models" / "marts" / "shared" / "zz_broken.sql"
    broken.write_text("select no_such_column from {{ ref('dim_departments') }}\n")
    run = _build(project, data_dir)
    _assert_failed_cleanly(run, data_dir, before)
    assert "zz_broken" in run.stderr


def test_failing_data_test_leaves_previous_reporting_db(
    built_project: Path, built_data_dir: DataPaths
) -> None:
    project, data_dir = built_project, built_data_dir
    before = data_dir.reporting_db.read_bytes()
    _set_department_name(project, PROBE_DEPARTMENT, "New Name")
    (project / "dbt_project" / "tests" / "assert_no_new_name.sql").write_text(
        "select * from {{ ref('dim_departments') }} where department_name_en = 'New Name'\n"
    )
    run = _build(project, data_dir)
    _assert_failed_cleanly(run, data_dir, before)
    assert "assert_no_new_name" in run.stderr


def test_the_first_build_counts_its_progress_out_of_the_nodes_dbt_runs(
    first_build: FirstBuild,
) -> None:
    """A data dir's first build has no manifest yet: the bar takes its total from dbt
    (the number of nodes it selected) and ends full, every node counted, an exposure too."""
    done = re.findall(r"dbt build .*?(\d+)/(\d+|\?)", first_build.stdout)
    assert done, first_build.stdout
    finished, total = done[-1]
    assert (finished, total) == (total, total), first_build.stdout
    assert int(total) > 1
