"""Staging: declared against the contract, the only reader of raw tables, identifier-free.

The first tests read the dbt project files (fast, no build): the sources declare every raw
table and column that ingest creates, accepted values are the contract's, and source()
appears only in staging. The rest inspect a warehouse built on generated tiny data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from leerdata import contract
from leerdata.builder.watermarks import WATERMARK_COLUMNS, WATERMARK_TABLE
from leerdata.config import REPO_ROOT, DataPaths
from leerdata.duckdb_rows import one_row
from leerdata.ingest.deliveries import UNCHANGED_DELIVERIES_TABLE, UNCHANGED_DELIVERY_COLUMNS
from leerdata.ingest.schema import MANIFEST_COLUMNS, QUARANTINE_COLUMNS, raw_table_columns
from leerdata.privacy.keys import load_or_create_key
from leerdata.privacy.pseudonyms import REPORTING_DOMAIN, Pseudonymiser
from leerdata.retention.tables import (
    RETAINED_ENROLMENT_COLUMNS,
    RETAINED_ENROLMENTS,
    RUN_COLUMNS,
    RUNS,
)
from tests.leak_checker import column_name_leaks, sensitive_value_counts, value_leaks

STAGING = REPO_ROOT / "models" / "staging"
# Staging and the people models (other intermediate views may read the reporting file,
# which only dbt attaches).
STAGING_AND_PEOPLE = r"stg_.+|int_employees_.+"


def _yaml_files(pattern: str) -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text()) for p in sorted(STAGING.glob(f"*/{pattern}"))]


def _staging_models() -> dict[str, dict[str, Any]]:
    return {m["name"]: m for doc in _yaml_files("_*__models.yml") for m in doc.get("models", [])}


def _accepted_values(model: str, column: str) -> list[Any]:
    for declared in _staging_models()[model]["columns"]:
        if declared["name"] != column:
            continue
        for test in declared.get("data_tests", []):
            if isinstance(test, dict) and "accepted_values" in test:
                return test["accepted_values"]["arguments"]["values"]
    raise AssertionError(f"{model}.{column} has no accepted_values test")


def test_sources_declare_every_raw_table_and_column_ingest_creates() -> None:
    declared: dict[str, list[str]] = {}
    for doc in _yaml_files("_*__sources.yml"):
        for source in doc["sources"]:
            for table in source["tables"]:
                declared[table["name"]] = [c["name"] for c in table.get("columns", [])]
    expected = {t: [c for c, _ in cols] for t, cols in raw_table_columns().items()}
    expected[contract.QUARANTINE_TABLE] = [c for c, _ in QUARANTINE_COLUMNS]
    expected[contract.MANIFEST_TABLE] = [c for c, _ in MANIFEST_COLUMNS]
    expected[RETAINED_ENROLMENTS] = [c for c, _ in RETAINED_ENROLMENT_COLUMNS]
    expected[RUNS] = [c for c, _ in RUN_COLUMNS]
    expected[UNCHANGED_DELIVERIES_TABLE] = [c for c, _ in UNCHANGED_DELIVERY_COLUMNS]
    expected[WATERMARK_TABLE] = [c for c, _ in WATERMARK_COLUMNS]
    assert declared == expected


def test_one_source_per_landing_system_plus_the_steward() -> None:
    names = {s["name"] for doc in _yaml_files("_*__sources.yml") for s in doc["sources"]}
    assert names == {"hr", "catalogue", "lms", "invoices", "steward", "retention"}


@pytest.mark.parametrize(
    ("model", "column", "allowed"),
    [
        ("stg_lms__enrolments", "enrolment_status", contract.ENROLMENT_STATUSES),
        ("stg_catalogue__sessions", "session_status", contract.SESSION_STATUSES),
        ("stg_catalogue__courses", "delivery_mode", contract.DELIVERY_MODES),
        ("stg_catalogue__courses", "pricing_model", contract.PRICING_MODELS),
        ("stg_hr__employee_snapshots", "gender", contract.GENDERS),
    ],
)
def test_accepted_values_are_the_contracts(model: str, column: str, allowed: tuple) -> None:
    assert sorted(_accepted_values(model, column)) == sorted(allowed)


def test_landing_sources_are_read_only_in_staging() -> None:
    """Raw tables hold identifiers: no model or test outside staging may read them."""
    landing = {s["name"] for doc in _yaml_files("_*__sources.yml") for s in doc["sources"]}
    calls = re.compile(r"""\bsource\s*\(\s*['"](\w+)['"]""")
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for folder in ("models", "dbt_project")
        for path in (REPO_ROOT / folder).rglob("*.sql")
        if not path.is_relative_to(STAGING) and landing & set(calls.findall(path.read_text()))
    ]
    assert offenders == []


def test_every_staging_model_file_is_documented() -> None:
    files = {p.stem for p in STAGING.rglob("stg_*.sql")}
    documented = _staging_models()
    assert files == set(documented)
    for name, model in documented.items():
        assert model.get("description"), name
        assert all(c.get("description") for c in model["columns"]), name


# --- on a built warehouse -------------------------------------------------------------


def _columns(db: Path, pattern: str) -> dict[str, dict[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where database_name = current_database()"
        ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        if re.fullmatch(pattern, table):
            out.setdefault(table, {})[column] = data_type
    return out


def test_built_staging_columns_are_the_documented_ones(tiny_warehouse: DataPaths) -> None:
    built = _columns(tiny_warehouse.restricted_db, r"stg_.+")
    documented = _staging_models()
    assert set(built) == set(documented)
    for name, columns in built.items():
        assert list(columns) == [c["name"] for c in documented[name]["columns"]], name


def test_staging_and_people_models_hold_no_identifier_column_or_value(
    tiny_warehouse: DataPaths,
) -> None:
    restricted = tiny_warehouse.restricted_db
    counts = sensitive_value_counts(restricted)
    for kind in ("employee_id", "email", "first_names", "last_name", "birth_date", "comment"):
        assert counts.get(kind, 0) > 0, f"no raw {kind} values: the scan would prove nothing"
    assert column_name_leaks(restricted, STAGING_AND_PEOPLE) == []
    assert value_leaks(restricted, restricted, STAGING_AND_PEOPLE) == []


def test_money_is_decimal_18_2(tiny_warehouse: DataPaths) -> None:
    built = _columns(tiny_warehouse.restricted_db, r"stg_.+")
    money = {
        (t, c): ty for t, cols in built.items() for c, ty in cols.items() if c.endswith("_eur")
    }
    assert money, "no money columns found"
    assert {ty for ty in money.values()} == {"DECIMAL(18,2)"}, money


def test_person_keys_are_the_reporting_pseudonyms_of_the_raw_personnel_numbers(
    tiny_warehouse: DataPaths, key_file: Path
) -> None:
    pseudonymiser = Pseudonymiser(load_or_create_key(key_file), REPORTING_DOMAIN)
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        pairs = {
            table: con.execute(query).fetchall()
            for table, query in {
                "hr": "select distinct employee_id from raw_hr",
                "staged_hr": "select distinct person_key from stg_hr__employee_snapshots",
                "enrolments": "select enrolment_id, employee_id from raw_enrolments",
                "staged_enrolments": (
                    "select enrolment_id, enrolment_key, person_key from stg_lms__enrolments"
                ),
            }.items()
        }
    assert {(pseudonymiser.one(e),) for (e,) in pairs["hr"]} == set(pairs["staged_hr"])
    for model in ("stg_lms__attendance", "stg_lms__exam_results", "stg_lms__evaluations"):
        with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
            rows = con.execute(f"select enrolment_id, enrolment_key from {model}").fetchall()
        assert rows, model
        assert all(key == pseudonymiser.one(e) for e, key in rows), model
    raw_person_of = dict(pairs["enrolments"])
    for enrolment_id, enrolment_key, person_key in pairs["staged_enrolments"]:
        assert enrolment_key == pseudonymiser.one(enrolment_id)
        assert person_key == pseudonymiser.one(raw_person_of[enrolment_id])


def test_upserts_keep_one_row_per_key_and_lose_no_key(tiny_warehouse: DataPaths) -> None:
    checks = {
        "stg_catalogue__suppliers": ("raw_suppliers", "supplier_id"),
        "stg_catalogue__courses": ("raw_courses", "course_id || '|' || valid_from"),
        "stg_catalogue__sessions": ("raw_sessions", "session_id"),
        "stg_lms__enrolments": ("raw_enrolments", "enrolment_id"),
        "stg_lms__exam_results": ("raw_exam_results", "exam_result_id"),
        "stg_lms__evaluations": ("raw_evaluations", "evaluation_id"),
    }
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        for model, (raw, key) in checks.items():
            staged, staged_keys = one_row(
                con, f"select count(*), count(distinct {key}) from {model}"
            )
            # A key that only lives in a superseded batch may vanish; any other may not.
            (raw_keys,) = one_row(
                con,
                f"select count(distinct {key}) from (select * from {raw} "
                "qualify _batch_id = max(_batch_id) over (partition by _file_name))",
            )
            assert staged == staged_keys, f"{model}: duplicate keys"
            assert staged_keys == raw_keys, f"{model}: {staged_keys} keys, raw has {raw_keys}"
