"""No direct identifier reaches reporting.duckdb, dbt's artifacts or logs.

After a build on generated data, every value of every column of the reporting database is
compared with the raw identifiers of the restricted zone, every column name with the
identifier names, and dbt's target and log folders are searched for the key. The second
half plants leaks in copies to prove the checker reports each kind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from leerdata.config import DataPaths
from leerdata.privacy.keys import load_or_create_key
from tests.leak_checker import (
    Leak,
    is_identifier_like,
    key_leaks,
    reporting_leaks,
    sensitive_value_counts,
    value_leaks,
)


def test_reporting_database_holds_no_identifier(tiny_warehouse: DataPaths, key_file: Path) -> None:
    counts = sensitive_value_counts(tiny_warehouse.restricted_db)
    for kind in ("employee_id", "email", "first_names", "last_name", "birth_date", "comment"):
        assert counts.get(kind, 0) > 0, f"no raw {kind} values: the scan would prove nothing"
    with duckdb.connect(str(tiny_warehouse.reporting_db), read_only=True) as con:
        tables = con.execute("select table_name, estimated_size from duckdb_tables()").fetchall()
    assert any(size > 0 for _, size in tables), "reporting is empty: the scan would prove nothing"
    assert (tiny_warehouse.dbt_target / "manifest.json").exists()
    assert reporting_leaks(tiny_warehouse, load_or_create_key(key_file)) == []


# --- the checker can fail ---------------------------------------------------------------


def _one_raw_value(restricted_db: Path, query: str) -> object:
    with duckdb.connect(str(restricted_db), read_only=True) as con:
        row = con.execute(query).fetchone()
    assert row is not None and row[0] is not None, query
    return row[0]


@pytest.fixture
def reporting_copy(tiny_warehouse: DataPaths, tmp_path: Path) -> Path:
    copy = tmp_path / "reporting.duckdb"
    shutil.copyfile(tiny_warehouse.reporting_db, copy)
    return copy


PLANTED = [
    ("email", "select email from raw_hr where email is not null limit 1", "varchar"),
    ("employee_id", "select employee_id from raw_enrolments limit 1", "varchar"),
    ("employee_id", "select cast(employee_id as bigint) from raw_hr limit 1", "bigint"),
    ("first_names", "select first_names from raw_hr where first_names <> '' limit 1", "varchar"),
    ("last_name", "select last_name from raw_hr where last_name <> '' limit 1", "varchar"),
    ("birth_date", "select birth_date from raw_hr where birth_date is not null limit 1", "date"),
    ("birth_date", "select birth_date from raw_hr where birth_date is not null limit 1", "varchar"),
    ("comment", "select comment from raw_evaluations where comment <> '' limit 1", "varchar"),
    (
        "item_name",
        "select item_name from raw_invoice_lines where item_name <> '' limit 1",
        "varchar",
    ),
]


@pytest.mark.parametrize(("kind", "query", "sql_type"), PLANTED)
def test_checker_finds_a_planted_raw_value_under_an_innocent_name(
    tiny_warehouse: DataPaths, reporting_copy: Path, kind: str, query: str, sql_type: str
) -> None:
    value = _one_raw_value(tiny_warehouse.restricted_db, query)
    with duckdb.connect(str(reporting_copy)) as con:
        con.execute(f"create table mart_innocent as select cast(? as {sql_type}) as code", [value])
    found = value_leaks(reporting_copy, tiny_warehouse.restricted_db, "mart_innocent")
    assert Leak("value", "mart_innocent.code", kind) in found


def test_checker_finds_an_email_column_passed_through_and_an_embedded_address(
    tiny_warehouse: DataPaths, key_file: Path, reporting_copy: Path
) -> None:
    email = _one_raw_value(tiny_warehouse.restricted_db, "select email from raw_hr limit 1")
    with duckdb.connect(str(reporting_copy)) as con:
        con.execute(
            "create table fct_enrolments_leaky as select "
            "'ENR-1' as enrolment_id, ? as email, 'mail ' || ? || ', thanks' as note",
            [email, email],
        )
    found = reporting_leaks(tiny_warehouse, load_or_create_key(key_file), reporting_copy)
    assert Leak("column_name", "fct_enrolments_leaky.email", "identifier-like column name") in found
    assert Leak("value", "fct_enrolments_leaky.email", "email") in found
    assert Leak("embedded_email", "fct_enrolments_leaky.note", "email") in found
    assert all(str(email) not in repr(leak) for leak in found), "findings must not echo values"


def test_checker_finds_the_key_in_dbt_artifacts_and_logs(
    tiny_warehouse: DataPaths, key_file: Path, tmp_path: Path
) -> None:
    key = load_or_create_key(key_file)
    copy = DataPaths.of(tmp_path / "data")
    shutil.copytree(tiny_warehouse.dbt_target, copy.dbt_target)
    copy.dbt_logs.mkdir(parents=True)
    (copy.dbt_target / "compiled" / "planted.sql").parent.mkdir(parents=True, exist_ok=True)
    (copy.dbt_target / "compiled" / "planted.sql").write_text(f"select '{key.hex()}'")
    (copy.dbt_logs / "dbt.log").write_bytes(b"key=" + key.hex().upper().encode())
    found = {leak.where for leak in key_leaks(key, [copy.dbt_target, copy.dbt_logs])}
    assert found == {
        str(copy.dbt_target / "compiled" / "planted.sql"),
        str(copy.dbt_logs / "dbt.log"),
    }


@pytest.mark.parametrize(
    "column",
    ["email", "business_email", "EMailAddress", "employee_id", "first_names", "last_name",
     "full_name", "birth_date", "birthdate", "birth_place", "comment", "evaluation_comment",
     "item_name", "initials", "partner_last_name", "title_before"],
)  # fmt: skip
def test_identifier_like_column_names(column: str) -> None:
    assert is_identifier_like(column)


@pytest.mark.parametrize(
    "column",
    ["department_name_nl", "department_name_en", "supplier_name", "category_name_nl",
     "course_title", "person_key", "enrolment_key", "enrolment_id", "birth_year", "job_title",
     "file_name", "reason_code", "has_comment", "comment_count",
     "counterparty_name_nl"],
)  # fmt: skip
def test_descriptive_column_names_are_allowed(column: str) -> None:
    assert not is_identifier_like(column)
