"""The ingest's connection bounds DuckDB's memory as builds do (leerdata.ingest.store).

Large CSV groups are written to the database file as they are inserted, and DuckDB keeps
those blocks cached up to its memory limit: at its default (80% of RAM) a rijk ingest
peaked at 3.6 GB.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

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
