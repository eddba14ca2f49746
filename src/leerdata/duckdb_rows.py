"""The one value or row of a query that always returns one (count(*), current_database()).

DuckDB types fetchone() as "a row or None"; these say once that None is a bug here.
"""

from __future__ import annotations

from typing import Any

import duckdb


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple[Any, ...]:
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise LookupError(f"no row from a query that always returns one: {sql[:80]}")
    return row


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    return one_row(con, sql, params)[0]
