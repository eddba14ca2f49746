"""Rewrite a DuckDB file so that erased values do not survive in its free blocks.

DuckDB reuses freed blocks but does not wipe them; a copy into a new file holds only
live data. The copy is swapped in with os.replace, so a crash leaves the old file whole.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from leerdata.atomic_file import fsync_path
from leerdata.duckdb_rows import scalar


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compact(db_file: Path) -> None:
    fresh = db_file.with_name(db_file.stem + ".compacting.duckdb")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(db_file)) as con:
            source = scalar(con, "select current_database()")
            con.execute("attach ? as compacted", [str(fresh)])
            con.execute(f"copy from database {_quote(source)} to compacted")
            con.execute("detach compacted")
        if fresh.with_name(fresh.name + ".wal").exists():
            raise RuntimeError(f"{fresh} was not checkpointed; not swapping it in")
        os.replace(fresh, db_file)
    finally:
        fresh.unlink(missing_ok=True)
    fsync_path(db_file.parent)  # the rename survives a crash
