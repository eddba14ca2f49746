"""The ingest's connection bounds DuckDB's memory as builds do (leerdata.ingest.store).

Large CSV groups are written to the database file as they are inserted, and DuckDB keeps
those blocks cached up to its memory limit: at its default (80% of RAM) a rijk ingest
peaked at 3.6 GB. The ingest's limit is below a build's: its Python holds the parsed
frames of a group beside DuckDB (a rijk ingest peaked at 3.0 GB with 2GB).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from leerdata.builder.dbt_runner import dbt_environment
from leerdata.config import DataPaths
from leerdata.ingest.store import INGEST_CHECKPOINT_THRESHOLD, open_restricted


def _shown(con: duckdb.DuckDBPyConnection, setting: str) -> str:
    (value,) = con.execute(f"select current_setting('{setting}')::varchar").fetchone() or (None,)
    return str(value)


def _as_duckdb_shows(setting: str, value: str) -> str:
    """DuckDB normalises sizes (1GB is shown as 953.6 MiB)."""
    with duckdb.connect(config={setting: value}) as con:
        return _shown(con, setting)


@pytest.mark.parametrize("limit", ["1GB", "700MB"])
def test_the_ingest_connection_has_the_configured_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    monkeypatch.setenv("LEERDATA_DUCKDB_MEMORY_LIMIT", limit)
    expected = _as_duckdb_shows("memory_limit", limit)
    with duckdb.connect() as default:
        assert expected != _shown(default, "memory_limit")  # or the test could not tell
    con = open_restricted(tmp_path / "warehouse" / "restricted.duckdb")
    try:
        assert _shown(con, "memory_limit") == expected
        assert _shown(con, "checkpoint_threshold") == _as_duckdb_shows(
            "checkpoint_threshold", INGEST_CHECKPOINT_THRESHOLD
        )
    finally:
        con.close()


def _bytes(shown: str) -> float:
    number, unit = shown.split()
    return float(number) * {"MiB": 2**20, "GiB": 2**30}[unit]


def test_an_ingest_leaves_more_memory_to_python_than_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEERDATA_DUCKDB_MEMORY_LIMIT", raising=False)
    paths = DataPaths(tmp_path)
    con = open_restricted(paths.restricted_db)
    try:
        ingest = _shown(con, "memory_limit")
    finally:
        con.close()
    with dbt_environment(paths, paths.reporting_build_db):  # what profiles.yml reads
        build = _as_duckdb_shows("memory_limit", os.environ["LEERDATA_DUCKDB_MEMORY_LIMIT"])
    # both below the 4 GiB peak the benchmark's target allows
    assert _bytes(ingest) < _bytes(build) < 4 * 2**30, (ingest, build)
