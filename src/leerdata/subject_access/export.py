"""Collect every row about one person and write it as JSON with 0600 permissions.

Raw rows come from restricted.duckdb (by personnel number, then by the person's
enrolment ids); derived rows from reporting.duckdb, found by the person's pseudonyms.
This export is the only place identifiers may leave the restricted zone.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from leerdata.atomic_file import write_atomically
from leerdata.config import DataPaths
from leerdata.errors import LeerdataError
from leerdata.privacy.keys import load_existing_key
from leerdata.privacy.mentions import (
    WORD_SPLIT_PY,
    free_text,
    last_names,
    may_name,
    person_names,
    rows_naming_sql,
)
from leerdata.privacy.pseudonyms import REPORTING_DOMAIN, Pseudonymiser


class SubjectAccessError(LeerdataError):
    pass


# (raw table, SQL condition on the parameters $id and $enrolments)
RAW_SOURCES: tuple[tuple[str, str], ...] = (
    ("raw_hr", "employee_id = $id"),
    ("raw_enrolments", "employee_id = $id"),
    ("raw_attendance", "list_contains($enrolments, enrolment_id)"),
    ("raw_exam_results", "list_contains($enrolments, enrolment_id)"),
    ("raw_evaluations", "list_contains($enrolments, enrolment_id)"),
    ("raw_invoice_lines", "list_contains($enrolments, order_line_ref)"),
    (
        "quarantine",
        "raw_value = $id or contains(raw_record, '\"' || $id || '\"')",
    ),
)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _raw(paths: DataPaths, employee_id: str) -> tuple[dict[str, list], list[str]]:
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        enrolment_ids = [
            r[0]
            for r in con.execute(
                "select distinct enrolment_id from main.raw_enrolments "
                "where employee_id = ? order by 1",
                [employee_id],
            ).fetchall()
        ]
        params = {"id": employee_id, "enrolments": enrolment_ids}
        found = {}
        for table, condition in RAW_SOURCES:
            used = {k: v for k, v in params.items() if f"${k}" in condition}
            found[table] = _rows(con, f"select * from main.{table} where {condition}", used)
    return found, enrolment_ids


def _mentions(
    con: duckdb.DuckDBPyConnection, employee_id: str, enrolment_ids: list[str]
) -> dict[str, list]:
    """Other people's free text that may name the person, without those people's own
    identifiers: the rows erasure blanks, less those that name someone else of the same
    last name (leerdata.privacy.mentions.may_name)."""
    names = last_names(con, "select $id", {"id": employee_id})
    if not names:
        return {}
    persons = person_names(con, employee_id)
    # The column tying a row to its enrolment: the subject's own rows are exported as
    # theirs already. Invoice-level text (allowance reasons) belongs to no enrolment.
    own = {"raw_evaluations": "enrolment_id", "raw_invoice_lines": "order_line_ref"}
    found: dict[str, list] = {}
    for table, column, shown in free_text():
        link = own.get(table)
        not_own = f"and not list_contains($enrolments, coalesce({link}, ''))" if link else ""
        for name in names:
            # Texts that name the person contain the longest word of the name.
            needle = max(re.split(WORD_SPLIT_PY, name.lower()), key=len)
            params: dict[str, Any] = {"names": [name], "needle": needle}
            if link:
                params["enrolments"] = enrolment_ids
            rows = _rows(
                con,
                f"select {', '.join(shown)} from main.{table} "
                f"where rowid in ({rows_naming_sql(table, column, prefilter=True)}) "
                f"{not_own} order by all",
                params,
            )
            theirs = [r for r in rows if any(may_name(r[column], p) for p in persons)]
            found.setdefault(table, []).extend(r for r in theirs if r not in found[table])
    return {table: rows for table, rows in found.items() if rows}


def _mentioned(paths: DataPaths, employee_id: str, enrolment_ids: list[str]) -> dict[str, list]:
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        return _mentions(con, employee_id, enrolment_ids)


def _reporting(paths: DataPaths, person_key: str, enrolment_keys: list[str]) -> dict[str, list]:
    if not paths.reporting_db.exists():
        return {}
    found: dict[str, list] = {}
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        columns = con.execute(
            "select table_name, list(column_name) from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main' "
            "and column_name in ('person_key', 'enrolment_key') group by table_name "
            "order by table_name"
        ).fetchall()
        for table, keys in columns:
            conditions = []
            if "person_key" in keys:
                conditions.append("person_key = $person")
            if "enrolment_key" in keys:
                conditions.append("list_contains($enrolments, enrolment_key)")
            params = {"person": person_key, "enrolments": enrolment_keys}
            used = {k: v for k, v in params.items() if any(f"${k}" in c for c in conditions)}
            rows = _rows(con, f'select * from main."{table}" where {" or ".join(conditions)}', used)
            if rows:
                found[table] = rows
    return found


def collect(paths: DataPaths, employee_id: str) -> dict[str, Any]:
    if not paths.restricted_db.exists():
        raise SubjectAccessError(f"no restricted database at {paths.restricted_db}")
    # The same key checks as a build, and never a new key: a fresh key would find none
    # of the person's reporting rows and would be left behind for later builds.
    secret = load_existing_key(paths.root)
    raw, enrolment_ids = _raw(paths, employee_id)
    if not raw["raw_hr"] and not raw["raw_enrolments"]:
        # The id is not echoed: error lines can end up in terminal logs.
        raise SubjectAccessError("no data about this employee id in the restricted zone")
    worker = Pseudonymiser(secret, REPORTING_DOMAIN)
    person_key = worker.one(employee_id)
    enrolment_keys = [k for k in worker.many(enrolment_ids) if k is not None]
    return {
        "subject": {"employee_id": employee_id},
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "pseudonyms": {"person_key": person_key, "enrolment_keys": enrolment_keys},
        "restricted": raw,
        # Other people's comments and item names that name the person (erasure blanks
        # them): their text, never whose row it is.
        "named_in_free_text_of_others": _mentioned(paths, employee_id, enrolment_ids),
        "reporting": _reporting(paths, person_key or "", enrolment_keys),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot export {type(value).__name__}")


def write_export(document: dict[str, Any], out: Path) -> Path:
    """Write atomically with mode 0600: it names a person."""
    out = out.expanduser().resolve()
    text = json.dumps(document, default=_json_default, ensure_ascii=False, indent=2) + "\n"
    return write_atomically(out, text.encode("utf-8"), mode=0o600)
