"""Read-only looks into a restricted.duckdb after an ingest."""

from __future__ import annotations

import duckdb

from leerdata.config import DataPaths


def query(paths: DataPaths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def dicts(paths: DataPaths, sql: str, params: list | None = None) -> list[dict]:
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def manifest(paths: DataPaths, file_name: str) -> dict:
    rows = dicts(
        paths, "select * from load_manifest where file_name = ? order by batch_id", [file_name]
    )
    assert rows, f"no manifest row for {file_name}"
    return rows[-1]


def quarantine(paths: DataPaths, file_name: str) -> list[dict]:
    return dicts(
        paths,
        "select * from quarantine where file_name = ? order by line_number, column_name",
        [file_name],
    )


def assert_conserved(entry: dict) -> None:
    assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_quarantined"]
    assert entry["is_conserved"] is True
