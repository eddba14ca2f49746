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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboards.roles import Scope
from leerdata import catalog
from leerdata.config import DataPaths, load_settings
from leerdata.finance.statement import DETAIL_SQL

DATA_DIR_ENV = "LEERDATA_DATA_DIR"

# Published marts a dashboard may read: those the dashboard exposures of the dbt project
# depend on (one list: leerdata.catalog). Fact tables at person or enrolment grain
# (fct_cost_allocation carries enrolment_key) are in no exposure.
PUBLISHED_MARTS: frozenset[str] = catalog.exposed_models("dashboard")

# Columns that identify a person or an enrolment, even pseudonymously: the model columns
# tagged pseudonym and the raw columns tagged pii (free text aside: a column named
# `reason` on a page is a reason code's label, not an allowance's free text).
FORBIDDEN_COLUMNS: frozenset[str] = catalog.pseudonym_columns() | frozenset(
    c.column for c in catalog.pii_columns() if not c.free_text
)

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
    _create_scoped_views(con)
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


Params = Sequence[Any] | Mapping[str, Any]


def _bound(params: tuple[Any, ...] | tuple[tuple[str, Any], ...], named: bool) -> Any:
    """The parameters as DuckDB binds them: a dict for $names, a list for ?; a tuple
    value (hashable in the cache key) goes in as a list (an SQL list parameter)."""

    def value(v: Any) -> Any:
        return list(v) if isinstance(v, tuple) else v

    if named:
        return {name: value(v) for name, v in params}
    return [value(v) for v in params] or None


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_query(
    sql: str,
    params: tuple[Any, ...],
    stamp: int,
    scope: tuple[str, ...] | None,
    named: bool = False,
) -> pl.DataFrame:
    del stamp  # part of the cache key only: a new build invalidates every result
    check_query(sql)
    query_cursor = scoped_cursor(Scope(None if scope is None else frozenset(scope)))
    try:
        return query_cursor.sql(sql, params=_bound(params, named)).pl()
    finally:
        query_cursor.close()


def query(sql: str, params: Params = ()) -> pl.DataFrame:
    """Run one read-only query on the published marts, limited to the viewer's
    departments (see `current_scope`), and return a polars frame. Pages do not call
    this: they call the named queries in dashboards/queries.py."""
    return scoped_query(sql, params, current_scope())


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


def scoped_query(sql: str, params: Params, scope: Scope) -> pl.DataFrame:
    """`query` for an explicit department scope."""
    scope_key = None if scope.is_everything else tuple(scope.codes())
    if isinstance(params, Mapping):
        bound = tuple(sorted((name, _key(v)) for name, v in params.items()))
        frame = _cached_query(sql, bound, build_stamp(), scope_key, named=True)
    else:
        frame = _cached_query(sql, tuple(_key(v) for v in params), build_stamp(), scope_key)
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


# --- department scoping (row-level) ----------------------------------------------------
#
# A finance officer of OCW sees the settlements where OCW is creditor or debtor, OCW's
# statements and the invoice checks of courses OCW owns; a manager sees their own
# departments' participation. That is enforced here, below every page: each query runs
# in the in-memory catalog, where every published mart is a view over the attached
# file, and the department-bound marts are views filtered by two session variables
# (`leerdata_every_department`, `leerdata_departments`) that `scoped_cursor` binds as
# parameters. A cursor that never set them sees no department-bound row (fail closed).
# check_query admits no catalog-qualified name, so a query cannot reach the file around
# the views.

SCOPE_STATE_KEY = "_leerdata_department_scope"
QUERY_CATALOG = "memory"

_EVERY = "coalesce(getvariable('leerdata_every_department'), false)"


def _in_scope(column: str) -> str:
    return f"coalesce(list_contains(getvariable('leerdata_departments'), {column}), false)"


def _course_in_scope(column: str) -> str:
    return (
        f"{column} in (select owned.course_id from {READING_CATALOG}.main.dim_courses as owned "
        f"where {_in_scope('owned.owner_department_code')})"
    )


def _invoice_has_owned_line(alias: str, match_line: bool = False) -> str:
    """An invoice (or, with match_line, its line) with a line of a course in scope."""
    line = (
        f" and ({alias}.line_id is null or lines.line_id = {alias}.line_id)" if match_line else ""
    )
    return (
        f"exists (select 1 from {READING_CATALOG}.main.fct_invoice_line_checks as lines "
        f"where lines.invoice_id = {alias}.invoice_id "
        f"and lines.supplier_id is not distinct from {alias}.supplier_id{line} "
        f"and ({_course_in_scope('lines.course_id')} "
        f"or {_course_in_scope('lines.matched_course_id')}))"
    )


# Department-bound marts and the rows of a department: the view's where clause over
# the mart as `rows`. Every other published mart is department-free (dimensions, course
# quality, data-quality counts) and passes through unfiltered.
SCOPED_MARTS: dict[str, str] = {
    "mart_settlement_matrix": (
        f"{_in_scope('rows.creditor_department_code')} "
        f"or {_in_scope('rows.debtor_department_code')}"
    ),
    "mart_department_statements": _in_scope("rows.department_code"),
    "mart_participation": _in_scope("rows.department_code"),
    "mart_participation_yearly": _in_scope("rows.department_code"),
    "fct_invoice_line_checks": (
        f"{_course_in_scope('rows.course_id')} or {_course_in_scope('rows.matched_course_id')}"
    ),
    "fct_invoice_checks": _invoice_has_owned_line("rows"),
    "mart_invoice_disputes": _invoice_has_owned_line("rows", match_line=True),
}


def _create_scoped_views(con: duckdb.DuckDBPyConnection) -> None:
    """A view per published mart of the attached file, in the in-memory catalog."""
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = ? and table_schema = 'main'",
            [READING_CATALOG],
        ).fetchall()
    }
    for name in sorted(PUBLISHED_MARTS & present):
        source = f"{READING_CATALOG}.main.{name}"
        where = f" where {_EVERY} or ({SCOPED_MARTS[name]})" if name in SCOPED_MARTS else ""
        con.execute(
            f"create or replace view {QUERY_CATALOG}.main.{name} as "
            f"select rows.* from {source} as rows{where}"
        )


def scoped_cursor(scope: Scope) -> duckdb.DuckDBPyConnection:
    """A cursor that sees the published marts through the department views, with the
    scope bound as parameters (never spliced into SQL)."""
    new_cursor = connection().cursor()
    new_cursor.execute(f"use {QUERY_CATALOG}")
    new_cursor.execute("set variable leerdata_every_department = ?", [scope.is_everything])
    new_cursor.execute("set variable leerdata_departments = ?::varchar[]", [scope.codes()])
    return new_cursor


def set_scope(scope: Scope) -> None:
    """The signed-in viewer's departments, for every query of this session."""
    st.session_state[SCOPE_STATE_KEY] = scope


def current_scope() -> Scope:
    """The viewer's departments. In a Streamlit session without a scope set (nobody
    signed in): none. Outside a session (CLI, tests, benchmarks) there is no viewer,
    and the steward's tools see every department."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return Scope.everything()
    scope = st.session_state.get(SCOPE_STATE_KEY)
    return scope if isinstance(scope, Scope) else Scope.nothing()


# --- Named queries on fct_cost_allocation --------------------------------------------------
# The allocation fact carries enrolment_key and is not on the allow-list. These fixed,
# parameterised queries aggregate the key away (count only), so a page can ask for a
# settlement's courses and cost types and for nothing else.

ALLOCATION_DRILLDOWN_SQL = """
select allocations.course_id, any_value(courses.course_title) as course_title,
       allocations.cost_type, count(*) as allocations, sum(allocations.amount_eur) as amount_eur
from fct_cost_allocation as allocations
left join dim_courses as courses on allocations.course_id = courses.course_id
where allocations.quarter = $quarter and allocations.debtor_department_code = $debtor
  and allocations.creditor_department_code = $creditor
group by allocations.course_id, allocations.cost_type
order by amount_eur desc, allocations.course_id, allocations.cost_type
"""


NAMED_QUERIES: frozenset[str] = frozenset({ALLOCATION_DRILLDOWN_SQL, DETAIL_SQL})


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_named(sql: str, params: tuple[tuple[str, Any], ...], stamp: int) -> pl.DataFrame:
    del stamp  # part of the cache key only
    named_cursor = cursor()
    try:
        return named_cursor.sql(sql, params=dict(params)).pl()
    finally:
        named_cursor.close()


def _named(sql: str, **params: Any) -> pl.DataFrame:
    frame = _cached_named(sql, tuple(sorted(params.items())), build_stamp())
    _check_frame(frame)
    with _observers_lock:
        observers = list(_observers)
    for observer in observers:
        observer(sql, frame)
    return frame


def _in_viewer_scope(*departments: str) -> bool:
    """The named queries bypass the scoped views: they check the viewer's departments
    themselves (a settlement is visible to its creditor and its debtor)."""
    scope = current_scope()
    return scope.is_everything or bool(set(departments) & set(scope.codes()))


def allocation_drilldown(quarter: str, debtor: str, creditor: str) -> pl.DataFrame:
    """What one settlement-matrix cell is made of: amount and allocations per course and
    cost type (no enrolment, no person). Empty outside the viewer's departments."""
    if not _in_viewer_scope(debtor, creditor):
        return pl.DataFrame()
    return _named(ALLOCATION_DRILLDOWN_SQL, quarter=quarter, debtor=debtor, creditor=creditor)


def statement_details(quarter: str, department: str) -> pl.DataFrame:
    """The specification of a department's statement, as `leerdata statement` writes it.
    Empty outside the viewer's departments."""
    if not _in_viewer_scope(department):
        return pl.DataFrame()
    return _named(DETAIL_SQL, quarter=quarter, dept=department)
