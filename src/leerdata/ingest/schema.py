"""DDL of the restricted zone's raw tables, quarantine and load manifest.

Derived from leerdata.contract, so the dbt sources, ingest and generator agree.
`create_raw_tables` is idempotent: an empty warehouse has every table, which dbt needs
(sources must exist even before the first file arrives).
"""

from __future__ import annotations

import duckdb

from leerdata.contract import (
    ALLOWANCE_CHARGE_COLUMNS,
    CSV_SOURCES,
    INVOICE_COLUMNS,
    INVOICE_LINE_COLUMNS,
    LINEAGE_COLUMNS,
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    RAW_ALLOWANCE_CHARGES_TABLE,
    RAW_INVOICE_LINES_TABLE,
    RAW_INVOICES_TABLE,
    RAW_TAX_SUBTOTALS_TABLE,
    TAX_SUBTOTAL_COLUMNS,
)
from leerdata.ingest.deliveries import create_unchanged_deliveries

MANIFEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "BIGINT PRIMARY KEY"),
    ("source", "VARCHAR"),  # contract source name, 'invoices', or NULL for unknown files
    ("file_name", "VARCHAR"),  # relative to landing/
    ("content_sha256", "VARCHAR"),
    ("file_bytes", "BIGINT"),
    ("encoding", "VARCHAR"),
    ("delimiter", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("is_conserved", "BOOLEAN"),  # rows_read = rows_loaded + rows_quarantined
    ("status", "VARCHAR"),  # loaded | partially_quarantined | quarantined | empty | failed
    ("loaded_at", "TIMESTAMP"),
    ("seconds", "DOUBLE"),
    ("notes", "VARCHAR"),  # header remarks (ignored extra columns), never row values
)

QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "BIGINT"),
    ("source", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("line_number", "BIGINT"),  # 0 for a whole-file reason
    ("column_name", "VARCHAR"),
    ("raw_value", "VARCHAR"),
    ("reason_code", "VARCHAR"),
    ("raw_record", "VARCHAR"),  # the rejected row as JSON (restricted zone only)
    ("quarantined_at", "TIMESTAMP"),
)


def _ddl(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    body = ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
    return f"create table if not exists {table} (\n    {body}\n)"


def raw_table_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every raw table with its (column, DuckDB type) pairs, lineage columns last."""
    tables: dict[str, tuple[tuple[str, str], ...]] = {}
    for source in CSV_SOURCES:
        tables[source.table] = (
            tuple((c.name, c.duckdb_type) for c in source.columns) + LINEAGE_COLUMNS
        )
    tables[RAW_INVOICES_TABLE] = INVOICE_COLUMNS + LINEAGE_COLUMNS
    tables[RAW_INVOICE_LINES_TABLE] = INVOICE_LINE_COLUMNS + LINEAGE_COLUMNS
    tables[RAW_ALLOWANCE_CHARGES_TABLE] = ALLOWANCE_CHARGE_COLUMNS + LINEAGE_COLUMNS
    tables[RAW_TAX_SUBTOTALS_TABLE] = TAX_SUBTOTAL_COLUMNS + LINEAGE_COLUMNS
    return tables


def _existing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The columns of every table in the database's main schema, by table."""
    rows = con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main'"
    ).fetchall()
    existing: dict[str, set[str]] = {}
    for table, column in rows:
        existing.setdefault(table, set()).add(column)
    return existing


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    # One look at the catalogue, then only the statements that change something. A
    # statement per table and column (~270) cost 0.04 s alone, but 0.5-1.0 s at the
    # start of a build, where each waited for the GIL held by dbt's import beside it.
    existing = _existing_columns(con)
    for table, columns in raw_table_columns().items():
        if table not in existing:
            con.execute(_ddl(table, columns))
            continue
        # A warehouse created before a column was added gets it (NULL in older rows).
        for name, sql_type in columns:
            if name not in existing[table]:
                con.execute(f'alter table {table} add column "{name}" {sql_type}')
    con.execute(_ddl(QUARANTINE_TABLE, QUARANTINE_COLUMNS))
    con.execute(_ddl(MANIFEST_TABLE, MANIFEST_COLUMNS))
    create_unchanged_deliveries(con)
