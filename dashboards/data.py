"""The dashboards' one door to the data.

Every page reads through `query`. It attaches `<data-dir>/warehouse/reporting.duckdb`
read-only (data dir from LEERDATA_DATA_DIR, else ./data) to a private in-memory
database, switches external file access off, and refuses any statement that is not a
select on tables in PUBLISHED_MARTS (checked on DuckDB's own parse tree):
the dashboards show published aggregates and supplier-level finance facts, never a
table with pseudonyms. A frame that still carries a person or enrolment key is refused.

The connection is cached per (file, mtime): `leerdata build` swaps in a new file with
os.replace, so the next rerun after a build opens the new file without a restart, while
a session still reading the old (unlinked) file is not disturbed.

Tests register an observer (`observe`) to see every frame the app is handed.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from leerdata.config import DataPaths, load_settings

DATA_DIR_ENV = "LEERDATA_DATA_DIR"

# Published marts a dashboard may read. Fact tables at person or enrolment grain
# (fct_cost_allocation carries enrolment_key) are deliberately absent.
PUBLISHED_MARTS: frozenset[str] = frozenset(
    {
        # shared dimensions
        "dim_departments",
        "dim_courses",
        "dim_suppliers",
        # management
        "mart_participation",
        "mart_participation_yearly",
        # evaluation
        "mart_course_evaluation",
        "mart_supplier_evaluation",
        "mart_category_evaluation",
        "mart_course_evaluation_yearly",
        "mart_supplier_evaluation_yearly",
        "mart_category_evaluation_yearly",
        # finance (supplier references and department totals, no person data)
        "mart_settlement_matrix",
        "mart_department_statements",
        "fct_invoice_checks",
        "fct_invoice_line_checks",
        "mart_invoice_disputes",
        # data quality (counts only)
        "mart_quality_loads",
        "mart_quality_quarantine",
        "mart_quality_freshness",
        "mart_quality_build",
        "mart_quality_retention_runs",
    }
)

# Columns that identify a person or an enrolment, even pseudonymously.
FORBIDDEN_COLUMNS: frozenset[str] = frozenset({"person_key", "enrolment_key", "employee_id"})

Observer = Callable[[str, pl.DataFrame], None]


class DisallowedQueryError(ValueError):
    """A query reads something outside the published-mart allow-list."""


class WarehouseMissingError(FileNotFoundError):
    """There is no reporting.duckdb yet: run `leerdata build` first."""


def data_paths() -> DataPaths:
    return DataPaths.of(os.environ.get(DATA_DIR_ENV) or None)


def reporting_db_path() -> Path:
    return data_paths().reporting_db


def min_cell_size() -> int:
    """The threshold the shown build was protected with (else today's setting)."""
    if table_exists("mart_quality_build"):
        frame = query("select min_cell_size from mart_quality_build")
        if frame.height and frame["min_cell_size"][0] is not None:
            return int(frame["min_cell_size"][0])
    return load_settings(data_paths().root).disclosure.min_cell_size


_opened: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
_observers: list[Observer] = []
_observers_lock = threading.Lock()


READING_CATALOG = "reporting"


@st.cache_resource(show_spinner=False, max_entries=4)
def _connect(path: str, mtime_ns: int, inode: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published file; mtime and inode make the cache key.

    The file is ATTACHed to a private in-memory database rather than opened with
    duckdb.connect(path): DuckDB caches open databases by path, so a second connect
    after a rebuild would hand back the old, replaced file while any session still
    held it.
    """
    del mtime_ns, inode  # only part of the cache key
    con = duckdb.connect(":memory:")
    con.execute(f"attach ? as {READING_CATALOG} (read_only)", [path])
    con.execute(f"use {READING_CATALOG}")
    # Only the marts in this file from here on: no read_csv('/…'), no further ATTACH.
    con.execute("set enable_external_access = false")
    _opened.add(con)
    return con


def _file_stamp() -> tuple[str, int, int]:
    path = reporting_db_path()
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise WarehouseMissingError(str(path)) from exc
    return str(path), stat.st_mtime_ns, stat.st_ino


def connection() -> duckdb.DuckDBPyConnection:
    return _connect(*_file_stamp())


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the published file; one per query, as the connection is shared by
    Streamlit's threads. (USE is per cursor, so every cursor says it again.)"""
    new_cursor = connection().cursor()
    new_cursor.execute(f"use {READING_CATALOG}")
    return new_cursor


def build_stamp() -> int:
    """Changes with every published build; part of every cached query's key."""
    return _file_stamp()[1]


_parser_lock = threading.Lock()
_parser_connection: list[duckdb.DuckDBPyConnection] = []


def _parser() -> duckdb.DuckDBPyConnection:
    """A cursor on one long-lived in-memory database, for parsing only. Opening a fresh
    database per query cost 15-27 ms, most of a page's cold render time at rijk."""
    with _parser_lock:
        if not _parser_connection:
            _parser_connection.append(duckdb.connect(":memory:"))
        return _parser_connection[0].cursor()


def _parse_tree(sql: str) -> dict[str, Any]:
    """DuckDB's own parse of `sql` (parse only, nothing is bound or run)."""
    with _parser() as parser:
        row = parser.execute("select json_serialize_sql(?)", [sql]).fetchone()
    tree = json.loads(row[0]) if row else {"error": True}
    if tree.get("error"):
        raise DisallowedQueryError(f"not a single select statement: {tree.get('error_message')}")
    return tree


# Table references a dashboard never needs and the allow-list cannot see into.
REFUSED_REFERENCES: dict[str, str] = {
    "TABLE_FUNCTION": "table functions are not allowed in dashboard queries",
    "SHOW_REF": "SHOW, DESCRIBE and SUMMARIZE are not allowed in dashboard queries",
    "PIVOT": "PIVOT is not allowed in dashboard queries",
    "COLUMN_DATA": "inline data is not allowed in dashboard queries",
    "DELIM_GET": "this table reference is not allowed in dashboard queries",
    "BOUND_TABLE_REF": "this table reference is not allowed in dashboard queries",
    "CTE": "this table reference is not allowed in dashboard queries",
    "INVALID": "this table reference is not allowed in dashboard queries",
}


def _scoped_nodes(
    node: Any, ctes: frozenset[str] = frozenset()
) -> Iterator[tuple[dict[str, Any], frozenset[str]]]:
    """Every node of the tree with the CTE names in scope where it stands.

    A WITH clause binds its names only inside the query it belongs to, and a CTE's own
    body sees only the CTEs defined before it: so a CTE named like a restricted table in
    one subquery does not hide that table anywhere else. Names are compared in lower
    case, as DuckDB resolves them.
    """
    if isinstance(node, list):
        for value in node:
            yield from _scoped_nodes(value, ctes)
        return
    if not isinstance(node, dict):
        return
    scope = ctes
    cte_map = node.get("cte_map")
    if isinstance(cte_map, dict):
        visible = set(ctes)
        for entry in cte_map.get("map", []):
            yield from _scoped_nodes(entry.get("value"), frozenset(visible))
            visible.add(str(entry["key"]).lower())
        scope = frozenset(visible)
    yield node, scope
    for key, value in node.items():
        if key != "cte_map":
            yield from _scoped_nodes(value, scope)


def check_query(sql: str) -> set[str]:
    """The marts `sql` reads, if it is a select on published marts only.

    Refuses table functions (read_csv, …), SHOW/SUMMARIZE, other schemas or catalogs,
    and any table outside PUBLISHED_MARTS. A name counts as a common table expression
    only where its WITH clause is in scope; everywhere else it is the table.
    """
    tables: set[str] = set()
    for node, ctes in _scoped_nodes(_parse_tree(sql)):
        kind = node.get("type")
        if kind in REFUSED_REFERENCES and "class" not in node:  # a table reference
            raise DisallowedQueryError(REFUSED_REFERENCES[kind])
        if kind != "BASE_TABLE":
            continue
        catalog, schema, name = (
            node.get("catalog_name") or "",
            node.get("schema_name") or "",
            str(node["table_name"]).lower(),
        )
        if catalog or schema.lower() not in ("", "main"):
            raise DisallowedQueryError(f"only the reporting file's main schema: {schema}.{name}")
        if not schema and name in ctes:
            continue
        tables.add(name)
    refused = tables - PUBLISHED_MARTS
    if refused:
        raise DisallowedQueryError(f"not a published mart: {', '.join(sorted(refused))}")
    if not tables:
        raise DisallowedQueryError("a dashboard query must read a published mart")
    return tables


def _check_frame(frame: pl.DataFrame) -> None:
    leaked = FORBIDDEN_COLUMNS & set(frame.columns)
    if leaked:
        raise DisallowedQueryError(f"query returned person-level columns: {sorted(leaked)}")


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_query(sql: str, params: tuple[Any, ...], stamp: int) -> pl.DataFrame:
    del stamp  # part of the cache key only: a new build invalidates every result
    check_query(sql)
    query_cursor = cursor()
    try:
        return query_cursor.sql(sql, params=list(params) or None).pl()
    finally:
        query_cursor.close()


def query(sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
    """Run one read-only query on the published marts and return a polars frame."""
    frame = _cached_query(sql, tuple(params), build_stamp())
    _check_frame(frame)
    with _observers_lock:
        observers = list(_observers)
    for observer in observers:
        observer(sql, frame)
    return frame


def table_exists(name: str) -> bool:
    """Whether a published mart is present in this build (pages degrade gracefully)."""
    if name not in PUBLISHED_MARTS:
        raise DisallowedQueryError(f"not a published mart: {name}")
    frame = _cached_tables(build_stamp())
    return name in frame


@st.cache_data(show_spinner=False, max_entries=4)
def _cached_tables(stamp: int) -> list[str]:
    del stamp
    tables_cursor = cursor()
    try:
        rows = tables_cursor.execute(
            "select table_name from information_schema.tables "
            f"where table_catalog = '{READING_CATALOG}' and table_schema = 'main'"
        ).fetchall()
    finally:
        tables_cursor.close()
    return [row[0] for row in rows]


@contextmanager
def observe(observer: Observer) -> Iterator[None]:
    """Call `observer(sql, frame)` for every frame `query` returns (for tests)."""
    with _observers_lock:
        _observers.append(observer)
    try:
        yield
    finally:
        with _observers_lock:
            _observers.remove(observer)


def close_connections() -> None:
    """Drop the caches and close every connection this module opened."""
    st.cache_data.clear()
    st.cache_resource.clear()
    for con in list(_opened):
        con.close()
