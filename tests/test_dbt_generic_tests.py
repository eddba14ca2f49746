"""The local generic test `unique_combination_of_columns` (dbt_project/macros/).

Keys of several columns used to be tested with `unique` on `a || '|' || b`, which skips
every row where a part is NULL (the concatenation is NULL). The generic test groups by
the columns themselves, so two rows with the same key and a NULL part are a duplicate.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from leerdata.builder.dbt_runner import run_dbt
from leerdata.builder.periods import write_changed_years
from leerdata.config import REPO_ROOT, DataPaths

GENERIC_TEST = "unique_combination_of_columns"


def _model_tests() -> dict[str, list[Any]]:
    """Model-level data tests per yml file under models/."""
    tests: dict[str, list[Any]] = {}
    for path in sorted((REPO_ROOT / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []):
            tests.setdefault(str(path.relative_to(REPO_ROOT)), []).extend(
                model.get("data_tests") or []
            )
    return tests


def _copy_of(
    warehouse: DataPaths, root: Path, reuse_parse: Callable[[DataPaths], None]
) -> tuple[DataPaths, Path]:
    """The warehouse's two databases copied under `root`, to run dbt tests on: the data
    dir's paths and the reporting copy (and the session's dbt parse)."""
    paths = DataPaths(root)
    reuse_parse(paths)
    paths.restricted_db.parent.mkdir(parents=True)
    shutil.copy(warehouse.restricted_db, paths.restricted_db)
    # where a build writes it: the profile names that path, so the parse is reused
    reporting = paths.reporting_build_db
    shutil.copy(warehouse.reporting_db, reporting)
    return paths, reporting


def test_no_uniqueness_test_concatenates_columns() -> None:
    concatenating = {
        file
        for file, tests in _model_tests().items()
        for test in tests
        if isinstance(test, dict) and "unique" in test and "||" in json.dumps(test)
    }
    assert concatenating == set()


def test_the_generic_test_passes_on_built_data_and_catches_a_null_part_duplicate(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    paths, reporting = _copy_of(tiny_warehouse, tmp_path, reuse_parse)
    with duckdb.connect(str(paths.restricted_db)) as con:
        # Twice the same person with an unknown snapshot date: `person_key || '|' ||
        # snapshot_date` is NULL for both, so the old test let them through.
        for _ in range(2):
            con.execute(
                "insert into stg_hr__employee_snapshots "
                "select * replace (null as snapshot_date) from stg_hr__employee_snapshots "
                "order by person_key limit 1"
            )

    outcome = run_dbt("test", paths, reporting, ["--select", f"test_name:{GENERIC_TEST}"])

    defined = [
        node["name"]
        for node in json.loads((paths.dbt_target / "manifest.json").read_text())["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == GENERIC_TEST
    ]
    assert len(defined) >= 18
    assert len([n for n in outcome.timings if n.startswith("test.")]) == len(defined)
    assert [f.split(":")[0] for f in outcome.failures] == [
        f"{GENERIC_TEST}_stg_hr__employee_snapshots_person_key__snapshot_date"
    ], outcome.failures


NOT_NULL_TEST = "not_null_columns"


def _models_yaml() -> list[dict[str, Any]]:
    models: list[dict[str, Any]] = []
    for path in sorted((REPO_ROOT / "models").rglob("*.yml")):
        models.extend((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []))
    return models


def _enforced(model: dict[str, Any]) -> bool:
    return bool(((model.get("config") or {}).get("contract") or {}).get("enforced"))


def test_not_null_is_declared_once_per_model_not_per_column() -> None:
    """A plain per-column `not_null` test is one dbt node each (~40 ms of dbt's own cost
    per build); models declare their non-null columns in one `not_null_columns` test,
    or as contract constraints, which DuckDB checks while writing."""
    per_column = [
        f"{model['name']}.{column['name']}"
        for model in _models_yaml()
        for column in model.get("columns") or []
        if "not_null" in (column.get("data_tests") or [])
    ]
    assert per_column == []
    in_contract_models = [
        model["name"]
        for model in _models_yaml()
        if _enforced(model)
        and any(isinstance(t, dict) and NOT_NULL_TEST in t for t in model.get("data_tests") or [])
    ]
    assert in_contract_models == []


def test_contract_not_null_constraints_are_in_the_published_tables(
    tiny_warehouse: DataPaths,
) -> None:
    declared = {
        (model["name"], column["name"])
        for model in _models_yaml()
        if _enforced(model)
        for column in model.get("columns") or []
        if {"type": "not_null"} in (column.get("constraints") or [])
    }
    assert len(declared) >= 50
    with duckdb.connect(str(tiny_warehouse.reporting_db), read_only=True) as con:
        not_nullable = set(
            con.execute(
                "select table_name, column_name from duckdb_columns() where not is_nullable"
            ).fetchall()
        )
    assert declared - not_nullable == set()


def test_not_null_columns_passes_on_built_data_and_names_the_column_with_a_null(
    tiny_warehouse: DataPaths,
    tmp_path: Path,
    reuse_parse: Callable[[DataPaths], None],
    capfd: pytest.CaptureFixture[str],
) -> None:
    paths, reporting = _copy_of(tiny_warehouse, tmp_path, reuse_parse)
    select = ["--select", f"test_name:{NOT_NULL_TEST}"]

    clean = run_dbt("test", paths, reporting, select)
    assert clean.success, clean.failures
    assert len([n for n in clean.timings if n.startswith("test.")]) >= 25
    # The console shows dbt's warnings and errors only (dbt_runner.SHOWN_LEVELS): a run
    # where all passes prints nothing; its info lines are in the file log.
    assert capfd.readouterr() == ("", "")
    assert " PASS " in (paths.dbt_logs / "dbt.log").read_text(encoding="utf-8")

    with duckdb.connect(str(paths.restricted_db)) as con:
        # two columns of one model, in one row: the test reports each column once
        con.execute(
            "insert into stg_lms__enrolments select * replace "
            "(null as person_key, null as updated_at) from stg_lms__enrolments limit 1"
        )
        failing_rows = con.execute(
            f"select * from ({_compiled_test_sql(paths, 'stg_lms__enrolments')})"
        ).fetchall()
    outcome = run_dbt("test", paths, reporting, select)

    shown = capfd.readouterr()
    assert shown.err == ""
    assert re.search(rf"FAIL 2 {NOT_NULL_TEST}_stg_lms__enrolments_", shown.out), shown.out
    assert " PASS " not in shown.out
    assert sorted(failing_rows) == [("person_key", 1), ("updated_at", 1)]
    assert [f.split(":")[0] for f in outcome.failures] == [
        name
        for name in _not_null_test_names(paths)
        if name.startswith(f"{NOT_NULL_TEST}_stg_lms__enrolments_")
    ], outcome.failures


def _not_null_test_names(paths: DataPaths) -> list[str]:
    return [
        node["name"]
        for node in json.loads((paths.dbt_target / "manifest.json").read_text())["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == NOT_NULL_TEST
    ]


def _compiled_test_sql(paths: DataPaths, model: str) -> str:
    """The SQL dbt compiled for `model`'s not_null_columns test in the last run."""
    for node in json.loads((paths.dbt_target / "run_results.json").read_text())["results"]:
        if node["unique_id"].startswith(f"test.leerdata.{NOT_NULL_TEST}_{model}_"):
            return str(node["compiled_code"])  # names the model as "restricted"."main"."…"
    raise AssertionError(f"no {NOT_NULL_TEST} test ran on {model}")


def test_tests_of_a_year_incremental_model_read_the_recomputed_years(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    """A day build's data tests read only the years it recomputed of a year-incremental
    model; a full build (a NULL row) reads every year. The singular tests that guard
    money read everything either way."""
    paths, reporting = _copy_of(tiny_warehouse, tmp_path, reuse_parse)
    with duckdb.connect(str(paths.restricted_db)) as con:
        ((year,),) = con.execute("select min(year) from int_enrolments_outcomes").fetchall()
        con.execute(  # a duplicate enrolment in the oldest year
            "insert into int_enrolments_outcomes select * from int_enrolments_outcomes "
            "where year = ? limit 1",
            [year],
        )
    select = ["--select", "test_name:unique,int_enrolments_outcomes"]

    def failures_with_changed_years(years: list[int] | None) -> list[str]:
        with duckdb.connect(str(paths.restricted_db)) as con:
            write_changed_years(con, years)
        outcome = run_dbt("test", paths, reporting, select)
        return [f.split(":")[0] for f in outcome.failures]

    duplicate = ["unique_int_enrolments_outcomes_enrolment_key"]
    assert failures_with_changed_years(None) == duplicate  # every year
    assert failures_with_changed_years([year]) == duplicate
    assert failures_with_changed_years([year + 1]) == []  # the oldest year was not rebuilt


def test_tests_of_a_view_on_year_incremental_models_read_the_recomputed_years(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    """The view int_enrolments_spend (meta tested_on_recomputed_years) is tested on the
    recomputed years like the models it reads; a row without a year is read always."""
    paths, reporting = _copy_of(tiny_warehouse, tmp_path, reuse_parse)
    with duckdb.connect(str(paths.restricted_db)) as con:
        ((key, quarter),) = con.execute(
            "select enrolment_key, quarter from int_costs_allocated "
            "where enrolment_key is not null order by quarter, enrolment_key limit 1"
        ).fetchall()
        year = int(quarter[:4])
        # the enrolment again, a year earlier, and without a quarter (the sentinel year:
        # the view gives it no year)
        for moved_to, moved_year in ((f"{year - 1}-Q4", year - 1), (None, 0)):
            con.execute(
                "insert into int_costs_allocated select * replace (? as quarter, ? as year) "
                "from int_costs_allocated where enrolment_key = ? limit 1",
                [moved_to, moved_year, key],
            )
    select = ["--select", "int_enrolments_spend"]

    def failures_with_changed_years(years: list[int] | None) -> list[str]:
        with duckdb.connect(str(paths.restricted_db)) as con:
            write_changed_years(con, years)
        outcome = run_dbt("test", paths, reporting, select)
        return sorted(f.split(":")[0].split("_int_enrolments_spend")[0] for f in outcome.failures)

    both = [NOT_NULL_TEST, "unique"]
    assert failures_with_changed_years(None) == both
    assert failures_with_changed_years([year]) == both
    assert failures_with_changed_years([year - 1]) == both
    # neither year of the duplicate recomputed: only the row without a year is read
    assert failures_with_changed_years([year + 5]) == [NOT_NULL_TEST]


def test_tests_of_an_incremental_staging_model_read_the_keys_it_recomputed(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    """A test of an incremental staging model alone reads the rows of the keys recomputed
    since the last published build (leerdata_build_recomputed_keys; a NULL key: every
    key); a relationships test, which reads another model too, reads every row (they
    warn rather than fail: run_results gives both)."""
    paths, reporting = _copy_of(tiny_warehouse, tmp_path, reuse_parse)
    with duckdb.connect(str(paths.restricted_db)) as con:
        ((recorded,),) = con.execute(
            "select list(distinct model_name order by model_name) from "
            "leerdata_build_recomputed_keys where key is null and published"
        ).fetchall()
        # the fixture's full build recorded every key of every incremental staging model
        assert recorded == sorted(
            ["stg_hr__employee_snapshots", "stg_lms__attendance", "stg_lms__enrolments",
             "stg_lms__evaluations", "stg_lms__exam_results"]
        )  # fmt: skip
        ((bad, good),) = con.execute(
            "select min(enrolment_id), max(enrolment_id) from stg_lms__enrolments"
        ).fetchall()
        # one enrolment twice, the copy without a person, and an attendance day of an
        # enrolment that does not exist
        con.execute(
            "insert into stg_lms__enrolments select * replace (null as person_key) "
            "from stg_lms__enrolments where enrolment_id = ?",
            [bad],
        )
        con.execute(
            "insert into stg_lms__attendance select * replace ('no-such-enrolment' as "
            "enrolment_id) from stg_lms__attendance limit 1"
        )
    select = ["--select", "stg_lms__enrolments", "stg_lms__attendance"]

    def failures_with_recomputed(keys: dict[str, list[str | None]]) -> list[str]:
        with duckdb.connect(str(paths.restricted_db)) as con:
            con.execute("delete from leerdata_build_recomputed_keys")
            for model, model_keys in keys.items():
                for key in model_keys:
                    con.execute(
                        "insert into leerdata_build_recomputed_keys (model_name, key) "
                        "values (?, ?)",
                        [model, key],
                    )
        run_dbt("test", paths, reporting, select)
        # the relationships tests warn (severity warn) where the others fail
        results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
        return sorted(
            result["unique_id"].split(".")[2].split("_stg_lms__")[0]
            for result in results
            if result["status"] in {"fail", "warn", "error"}
        )

    every = ["not_null_columns", "relationships", "unique", "unique"]
    assert (
        failures_with_recomputed({"stg_lms__enrolments": [None], "stg_lms__attendance": [None]})
        == every
    )
    assert (
        failures_with_recomputed(
            {"stg_lms__enrolments": [good, bad], "stg_lms__attendance": [good]}
        )
        == every
    )
    # the bad enrolment was not recomputed: only the relationships test reads it
    assert failures_with_recomputed(
        {"stg_lms__enrolments": [good], "stg_lms__attendance": [good]}
    ) == ["relationships"]
    # nothing recomputed since the last published build: nothing to read
    assert failures_with_recomputed({}) == ["relationships"]
