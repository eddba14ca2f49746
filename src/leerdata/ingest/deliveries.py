"""Deliveries that brought nothing new: a file under a new name whose content was loaded
before (the monthly supplier list that did not change). Ingest skips its rows, but the
delivery itself is how current a source is: without this record a source delivered
every month would look years old on the Datakwaliteit page.

One row per (file name, content); the load manifest keeps the files that were loaded.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

UNCHANGED_DELIVERIES_TABLE = "unchanged_deliveries"
UNCHANGED_DELIVERY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_name", "VARCHAR NOT NULL"),  # relative to landing/
    ("source", "VARCHAR NOT NULL"),  # contract source name or 'invoices'
    ("content_sha256", "VARCHAR NOT NULL"),  # equal to a loaded batch's hash
    ("file_date", "DATE"),  # from the file name; NULL for UBL invoices
    ("seen_at", "TIMESTAMP NOT NULL"),  # the ingest run that found it
)


def create_unchanged_deliveries(con: duckdb.DuckDBPyConnection) -> None:
    body = ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in UNCHANGED_DELIVERY_COLUMNS)
    con.execute(
        f"create table if not exists {UNCHANGED_DELIVERIES_TABLE} (\n    {body},\n"
        "    primary key (file_name, content_sha256)\n)"
    )


def delivered_before(con: duckdb.DuckDBPyConnection, manifest_table: str) -> set[tuple[str, str]]:
    """(file name, hash) of every delivery on record, loaded or unchanged."""
    rows = con.execute(
        f"select file_name, content_sha256 from {manifest_table} "
        f"union select file_name, content_sha256 from {UNCHANGED_DELIVERIES_TABLE}"
    ).fetchall()
    return {(row[0], row[1]) for row in rows}


def record_unchanged(
    con: duckdb.DuckDBPyConnection,
    file_name: str,
    source: str,
    content_sha256: str,
    file_date: object,
    seen_at: datetime,
) -> None:
    con.execute(
        f"insert into {UNCHANGED_DELIVERIES_TABLE} values (?, ?, ?, ?, ?) on conflict do nothing",
        [file_name, source, content_sha256, file_date, seen_at],
    )
