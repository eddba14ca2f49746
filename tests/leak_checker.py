"""Does a built database hold anything that identifies a person directly?

Three checks, each callable on any DuckDB file (reporting.duckdb, a copy of it, or the
restricted file's staging models):

- column names that look like a direct identifier (the columns the dbt sources tag pii,
  leerdata.catalog, and obvious variants), except descriptive names such as
  department_name_nl;
- values equal to a raw value of any pii-tagged column of the restricted zone (personnel
  number, names, e-mail, birth date as ISO text, birth place, free text), and e-mail
  addresses embedded in longer text;
- files (dbt target, logs, databases) holding the pseudonymisation key.

A finding never carries the offending value itself: test output is a log too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from leerdata import catalog
from leerdata.config import DataPaths
from leerdata.duckdb_rows import scalar
from leerdata.privacy.scan import files_containing

# Raw columns whose values must never appear downstream: (kind, raw table, column). Every
# column the dbt sources tag pii (leerdata.catalog), so a newly tagged one is checked too,
# except those whose values alone are common words (a birth place is also a session's city).
SENSITIVE_VALUES: tuple[tuple[str, str, str], ...] = tuple(
    (c.column, c.table, c.column) for c in catalog.pii_columns() if not c.common_values
)


# Column names that say "this is a person's identifier", beyond the contract's own list.
IDENTIFIER_NAME_PATTERNS: tuple[str, ...] = (
    r"employee_?id",
    r"personnel",
    r"e_?mail",
    r"name",
    r"initials?",
    r"salutation",
    r"title_(before|after)",
    r"birth_?(date|day|place)",
    r"date_of_birth",
    r"(^|_)dob($|_)",
    r"comment",
    r"free_?text",
    r"partner",
    r"phone",
    r"address",
    r"(^|_)bsn($|_)",
)

# Anything shaped like an e-mail address inside a longer text.
EMAIL_TOKEN = r"""[^\s,;:<>()\[\]'"]+@[^\s,;:<>()\[\]'"]+"""

# Names that match a pattern above but describe no person: descriptive names, and flags
# or counts about an identifier (has_comment), which hold no identifier themselves.
ALLOWED_NAME_PATTERN = re.compile(
    r"(department|counterparty|creditor|debtor|payer|owner|supplier|category|course"
    r"|directorate|unit|team|location|reason|source"
    r"|file|column|model|table|scale_band)_name(_(nl|en))?"
    r"|(is|has)_\w+|\w+_count"
)


@dataclass(frozen=True)
class Leak:
    kind: str  # "column_name" | "value" | "embedded_email" | "key" | "unreadable"
    where: str  # "table.column" or a file path
    detail: str  # which identifier kind; never the value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_identifier_like(column: str) -> bool:
    name = column.lower()
    if name in catalog.pii_column_names():
        return True
    if ALLOWED_NAME_PATTERN.fullmatch(name):
        return False
    return any(re.search(pattern, name) for pattern in IDENTIFIER_NAME_PATTERNS)


def _relations(
    con: duckdb.DuckDBPyConnection, alias: str, name_pattern: str | None
) -> list[tuple[str, str, str]]:
    """(table, column, data type) of every table and view in the attached database."""
    rows = con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where database_name = ? and not internal order by table_name, column_index",
        [alias],
    ).fetchall()
    if name_pattern is None:
        return rows
    return [row for row in rows if re.fullmatch(name_pattern, row[0])]


def column_name_leaks(db_file: Path, table_pattern: str | None = None) -> list[Leak]:
    with duckdb.connect(str(db_file), read_only=True) as con:
        alias = scalar(con, "select current_database()")
        columns = _relations(con, alias, table_pattern)
    return [
        Leak("column_name", f"{table}.{column}", "identifier-like column name")
        for table, column, _ in columns
        if is_identifier_like(column)
    ]


def _load_sensitive_values(con: duckdb.DuckDBPyConnection, restricted_alias: str) -> None:
    selects = [
        f"select '{kind}' as kind, cast({expr} as varchar) as value "
        f"from {restricted_alias}.main.{table}"
        for kind, table, expr in SENSITIVE_VALUES
    ]
    # An invoice item name is often just the course title: that one identifies nobody.
    con.execute(
        "create or replace temp table sensitive_values as "
        "select distinct kind, value from (" + " union all ".join(selects) + ") "
        "where value is not null and trim(value) <> '' and not (kind = 'item_name' and "
        f"value in (select title from {restricted_alias}.main.raw_courses))"
    )


def sensitive_value_counts(restricted_db: Path) -> dict[str, int]:
    """How many distinct raw values of each kind the checks compare against."""
    with duckdb.connect() as con:
        con.execute(f"attach '{restricted_db}' as restricted_src (read_only)")
        _load_sensitive_values(con, "restricted_src")
        return dict(
            con.execute("select kind, count(*) from sensitive_values group by kind").fetchall()
        )


def value_leaks(db_file: Path, restricted_db: Path, table_pattern: str | None = None) -> list[Leak]:
    """Columns of `db_file` holding a raw identifier value of `restricted_db`."""
    leaks: list[Leak] = []
    same_file = db_file.resolve() == restricted_db.resolve()
    with duckdb.connect() as con:
        con.execute(f"attach '{restricted_db}' as restricted_src (read_only)")
        target = "restricted_src"
        if not same_file:
            con.execute(f"attach '{db_file}' as scanned (read_only)")
            target = "scanned"
        _load_sensitive_values(con, "restricted_src")
        for table, column, data_type in _relations(con, target, table_pattern):
            relation = f"{target}.main.{_quote(table)}"
            text = f"cast({_quote(column)} as varchar)"
            try:
                kinds = con.execute(
                    f"select distinct sensitive_values.kind from {relation} "
                    f"inner join sensitive_values on {text} = sensitive_values.value"
                ).fetchall()
                embedded = []
                if data_type == "VARCHAR":
                    embedded = con.execute(
                        f"select 1 from (select unnest(regexp_extract_all({text}, ?)) "
                        f"as found from {relation}) as tokens "
                        "inner join sensitive_values on sensitive_values.kind = 'email' "
                        "and lower(tokens.found) = lower(sensitive_values.value) limit 1",
                        [EMAIL_TOKEN],
                    ).fetchall()
            except duckdb.Error as exc:
                leaks.append(Leak("unreadable", f"{table}.{column}", type(exc).__name__))
                continue
            leaks.extend(Leak("value", f"{table}.{column}", kind) for (kind,) in kinds)
            if embedded:
                leaks.append(Leak("embedded_email", f"{table}.{column}", "email"))
    return leaks


def key_leaks(key: bytes, roots: Iterable[Path]) -> list[Leak]:
    """Files under `roots` holding the key as bytes or as hex (either case)."""
    needles = [key, key.hex().encode(), key.hex().upper().encode()]
    return [
        Leak("key", hit.where, "pseudonymisation key") for hit in files_containing(roots, needles)
    ]


def reporting_leaks(paths: DataPaths, key: bytes, reporting_db: Path | None = None) -> list[Leak]:
    """Every finding for one built data dir; `reporting_db` overrides the file scanned."""
    reporting = reporting_db or paths.reporting_db
    return [
        *column_name_leaks(reporting),
        *value_leaks(reporting, paths.restricted_db),
        *key_leaks(key, [paths.dbt_target, paths.dbt_logs, paths.logs, reporting]),
    ]
