"""The restricted zone's tables (leerdata.ingest.schema): created when missing, and an
older warehouse gets the columns added since, without losing a row."""

from __future__ import annotations

import duckdb

from leerdata.contract import QUARANTINE_TABLE
from leerdata.ingest.schema import create_raw_tables, raw_table_columns


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every table's columns in order, read by DuckDB's table_info (not as the code
    under test reads the catalogue)."""
    tables = [name for (name,) in con.execute("show tables").fetchall()]
    return {
        table: [row[1] for row in con.execute(f"pragma table_info('{table}')").fetchall()]
        for table in tables
    }


def test_an_empty_database_gets_every_table_with_every_column() -> None:
    with duckdb.connect() as con:
        create_raw_tables(con)
        found = _columns(con)
    for table, columns in raw_table_columns().items():
        assert found[table] == [name for name, _ in columns], table
    assert QUARANTINE_TABLE in found


def test_an_older_warehouse_gets_the_columns_added_since_and_keeps_its_rows() -> None:
    hr_columns = raw_table_columns()["raw_hr"]
    last_name, first_name = hr_columns[-1][0], hr_columns[0][0]
    with duckdb.connect() as con:
        # raw_hr as an earlier release made it: one column short, one row in it
        older = [(name, sql_type) for name, sql_type in hr_columns[:-1]]
        body = ", ".join(f'"{name}" {sql_type}' for name, sql_type in older)
        con.execute(f"create table raw_hr ({body})")
        con.execute(f'insert into raw_hr ("{first_name}") values (?)', ["E0001"])
        create_raw_tables(con)
        create_raw_tables(con)  # and again: nothing left to change
        found = _columns(con)
        rows = con.execute(f'select "{first_name}", "{last_name}" from raw_hr').fetchall()
    assert found["raw_hr"] == [name for name, _ in hr_columns]
    assert rows == [("E0001", None)]
    assert set(raw_table_columns()) <= set(found)
