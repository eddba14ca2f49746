"""Search databases and files for values that must not be there (a key, an erased e-mail).

Used by the privacy tests and the steward: a leak check must look at every value of every
table and at the raw bytes of every file, since a value can survive in a free block of a
database file or in a log line that no query shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Hit:
    where: str  # file path, or "db.table.column"
    needle_index: int  # which needle (by position): never the needle itself, it may be secret


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables_containing(db_file: Path, needles: Sequence[str]) -> list[Hit]:
    """Base-table columns of `db_file` whose text form contains a needle (case-insensitive)."""
    hits: list[Hit] = []
    lowered = [n.lower() for n in needles]
    with duckdb.connect(str(db_file), read_only=True) as con:
        columns = con.execute(
            "select database_name, schema_name, table_name, column_name "
            "from duckdb_columns() where not internal "
            "and database_name = current_database() "
            "and table_name in (select table_name from duckdb_tables() "
            "                   where database_name = current_database())"
        ).fetchall()
        for database, schema, table, column in columns:
            relation = f"{_quote(database)}.{_quote(schema)}.{_quote(table)}"
            for index, needle in enumerate(lowered):
                found = con.execute(
                    f"select 1 from {relation} "
                    f"where contains(lower(cast({_quote(column)} as varchar)), ?) limit 1",
                    [needle],
                ).fetchone()
                if found:
                    hits.append(Hit(f"{db_file.name}.{table}.{column}", index))
    return hits


def files_containing(roots: Iterable[Path], needles: Sequence[bytes]) -> list[Hit]:
    """Files under `roots` (files or folders) whose bytes contain a needle."""
    hits: list[Hit] = []
    for root in roots:
        if not root.exists():
            continue
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            data = path.read_bytes()
            hits.extend(Hit(str(path), i) for i, needle in enumerate(needles) if needle in data)
    return hits
