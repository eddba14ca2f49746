"""The restricted database as ingest sees it: manifest, quarantine and row counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from leerdata.config import duckdb_memory_limit
from leerdata.contract import MANIFEST_TABLE, QUARANTINE_REASONS, QUARANTINE_TABLE
from leerdata.ingest.schema import MANIFEST_COLUMNS, QUARANTINE_COLUMNS, create_raw_tables


@dataclass(frozen=True)
class FileContext:
    """What every row written for one landing file carries."""

    batch_id: int
    source: str | None
    file_name: str
    file_date: date | None
    started_at: datetime


@dataclass(frozen=True)
class QuarantineRow:
    line_number: int
    column_name: str | None
    raw_value: str | None
    reason_code: str
    raw_record: dict[str, object] | None

    def __post_init__(self) -> None:
        if self.reason_code not in QUARANTINE_REASONS:
            raise ValueError(f"unknown quarantine reason {self.reason_code}")


@dataclass(frozen=True)
class ManifestEntry:
    context: FileContext
    content_sha256: str
    file_bytes: int
    encoding: str | None
    delimiter: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    status: str
    seconds: float
    notes: str | None

    @property
    def is_conserved(self) -> bool:
        # A rolled-back load conserved nothing, whatever its (zero) counts say.
        if self.status == "failed":
            return False
        return self.rows_read == self.rows_loaded + self.rows_quarantined


# Ingest commits a group of files at a time. At DuckDB's default threshold (16 MiB of
# write-ahead log) nearly every group commit also checkpointed. The 560 rijk HR exports
# (5.5M rows) loaded in 64.3 s at the default and 48.7 s at 256 MiB, peak RSS 0.63 and
# 0.78 GB (one run each, load ~4-5); 1 GiB gave 49.2 s at 1.46 GB. A kill loses nothing
# either way: committed groups are in the log and replayed on the next open.
INGEST_CHECKPOINT_THRESHOLD = "256MiB"


def open_restricted(db_path: Path) -> duckdb.DuckDBPyConnection:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path))
    con.execute(f"set checkpoint_threshold = '{INGEST_CHECKPOINT_THRESHOLD}'")
    # DuckDB's default is 80% of RAM. The blocks a large group writes as it goes stay
    # cached up to the limit: a rijk ingest peaked at 3.6 GB without one and 3.0 GB with
    # 2GB, the ingest's limit (a build's is larger: leerdata.config).
    con.execute("set memory_limit = ?", [duckdb_memory_limit("ingest")])
    create_raw_tables(con)
    return con


def known_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Content hashes already ingested; a failed load is not 'loaded before', and neither
    is a file rejected for its name, type or size (no source): renamed or replaced, its
    content must still load."""
    rows = con.execute(
        f"select distinct content_sha256 from {MANIFEST_TABLE} "
        "where status <> 'failed' and source is not null"
    ).fetchall()
    return {row[0] for row in rows}


def rejected_before(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(file name, hash) of files rejected for their name, type or size: the same file
    unchanged under the same name is not quarantined again on every run."""
    rows = con.execute(
        f"select distinct file_name, content_sha256 from {MANIFEST_TABLE} "
        "where status <> 'failed' and source is null"
    ).fetchall()
    return {(row[0], row[1]) for row in rows}


def next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()
    assert row is not None
    return int(row[0])


def _manifest_values(entry: ManifestEntry) -> dict[str, object]:
    ctx = entry.context
    return {
        "batch_id": ctx.batch_id,
        "source": ctx.source,
        "file_name": ctx.file_name,
        "content_sha256": entry.content_sha256,
        "file_bytes": entry.file_bytes,
        "encoding": entry.encoding,
        "delimiter": entry.delimiter,
        "rows_read": entry.rows_read,
        "rows_loaded": entry.rows_loaded,
        "rows_quarantined": entry.rows_quarantined,
        "is_conserved": entry.is_conserved,
        "status": entry.status,
        "loaded_at": ctx.started_at,
        "seconds": entry.seconds,
        "notes": entry.notes,
    }


def insert_manifest(con: duckdb.DuckDBPyConnection, entry: ManifestEntry) -> None:
    insert_manifests(con, [entry])


_POLARS_TYPES: dict[str, pl.DataType] = {
    "BIGINT": pl.Int64(),
    "VARCHAR": pl.String(),
    "BOOLEAN": pl.Boolean(),
    "TIMESTAMP": pl.Datetime("us"),
    "DOUBLE": pl.Float64(),
}
_MANIFEST_SCHEMA: dict[str, pl.DataType] = {
    name: _POLARS_TYPES[ddl.split()[0]] for name, ddl in MANIFEST_COLUMNS
}


def insert_manifests(con: duckdb.DuckDBPyConnection, entries: list[ManifestEntry]) -> None:
    """One insert for many entries (a group of small files commits together).

    From a frame: a VALUES list with a parameter per value took 113 ms for a group of
    300 invoices (DuckDB binds every parameter), the frame 6 ms.
    """
    rows = [_manifest_values(entry) for entry in entries]
    assert all(list(row) == list(_MANIFEST_SCHEMA) for row in rows)
    frame = pl.DataFrame(
        [tuple(row.values()) for row in rows], schema=_MANIFEST_SCHEMA, orient="row"
    )
    con.register("_ingest_manifest_rows", frame)
    try:
        con.execute(f"insert into {MANIFEST_TABLE} select * from _ingest_manifest_rows")
    finally:
        con.unregister("_ingest_manifest_rows")


def insert_quarantine(
    con: duckdb.DuckDBPyConnection, ctx: FileContext, rows: list[QuarantineRow]
) -> None:
    if not rows:
        return
    frame = pl.DataFrame(
        {
            "batch_id": [ctx.batch_id] * len(rows),
            "source": [ctx.source] * len(rows),
            "file_name": [ctx.file_name] * len(rows),
            "line_number": [r.line_number for r in rows],
            "column_name": [r.column_name for r in rows],
            "raw_value": [r.raw_value for r in rows],
            "reason_code": [r.reason_code for r in rows],
            "raw_record": [
                None if r.raw_record is None else json.dumps(r.raw_record, ensure_ascii=False)
                for r in rows
            ],
            "quarantined_at": [ctx.started_at] * len(rows),
        },
        schema={
            "batch_id": pl.Int64,
            "source": pl.String,
            "file_name": pl.String,
            "line_number": pl.Int64,
            "column_name": pl.String,
            "raw_value": pl.String,
            "reason_code": pl.String,
            "raw_record": pl.String,
            "quarantined_at": pl.Datetime("us"),
        },
    )
    assert frame.columns == [name for name, _ in QUARANTINE_COLUMNS]
    con.register("_ingest_quarantine_rows", frame)
    try:
        con.execute(f"insert into {QUARANTINE_TABLE} select * from _ingest_quarantine_rows")
    finally:
        con.unregister("_ingest_quarantine_rows")


def count_loaded(con: duckdb.DuckDBPyConnection, table: str, batch_id: int) -> int:
    # fetchall, not fetchone: a result left unfinished makes DuckDB refuse the next
    # register() on the connection (the next file of a group registers its rows).
    [(count,)] = con.execute(
        f"select count(*) from {table} where _batch_id = ?", [batch_id]
    ).fetchall()
    return int(count)


def count_quarantined_lines(con: duckdb.DuckDBPyConnection, batch_id: int) -> int:
    """Quarantined rows of a file: distinct lines, however many fields each had wrong."""
    [(count,)] = con.execute(
        f"select count(distinct line_number) from {QUARANTINE_TABLE} "
        "where batch_id = ? and line_number > 0",
        [batch_id],
    ).fetchall()
    return int(count)
