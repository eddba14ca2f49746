"""Read-only access to the published reporting database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from leerdata.config import DataPaths
from leerdata.errors import LeerdataError


@contextmanager
def open_reporting(paths: DataPaths) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published reporting.duckdb, read-only, so a build can still swap it."""
    if not paths.reporting_db.exists():
        raise LeerdataError(
            f"no reporting database at {paths.reporting_db}; run `leerdata build` first"
        )
    con = duckdb.connect(str(paths.reporting_db), read_only=True)
    try:
        yield con
    finally:
        con.close()
