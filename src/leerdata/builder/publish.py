"""Atomic publish of the reporting database.

dbt writes the marts into a fresh file (a day build: into a copy of the published one);
only a complete, checkpointed file is moved over reporting.duckdb with os.replace. A
dashboard holding the old file read-only keeps its (now unlinked) inode and is never
blocked; a new connection sees the new build.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from leerdata.atomic_file import fsync_path


def discard(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def start_from_published(reporting_file: Path, build_file: Path) -> None:
    """A day build writes into a copy of the published file: a mart it does not select
    keeps its table, its year-incremental marts (year_incremental_config) keep the years
    the day does not recompute, and every other mart is replaced whole. (Without a
    published file leerdata.builder.selection chooses a full build.)"""
    # a published file is checkpointed (publish refuses one with a WAL)
    shutil.copyfile(reporting_file, build_file)


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so the single file we move is complete."""
    if not path.is_file():
        # duckdb.connect would create an empty database here, and we would publish it.
        raise RuntimeError(f"{path} vanished before publishing; reporting.duckdb left unchanged")
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after checkpoint; refusing to publish")


def publish(build_file: Path, reporting_file: Path) -> None:
    checkpoint(build_file)
    os.replace(build_file, reporting_file)
    fsync_path(reporting_file.parent)  # the rename survives a crash
