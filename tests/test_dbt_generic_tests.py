"""The local generic tests (dbt_project/macros/): `unique_combination_of_columns`,
`not_null_columns` and `primary_key`, and what a build's data tests read.

Keys of several columns used to be tested with `unique` on `a || '|' || b`, which skips
every row where a part is NULL (the concatenation is NULL). The generic tests group by
the columns themselves, so two rows with the same key and a NULL part are a duplicate.
`primary_key` checks a model's key and its other required columns in one dbt node.
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

from leerdata.builder.dbt_runner import BuildHints, run_dbt
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
        # Twice the same session with an unknown payer: `session_id || '|' ||
        # payer_department_code` is NULL for both, so the old test let them through.
        for _ in range(2):
            con.execute(
                "insert into int_session_payers_counted "
                "select * replace (null as payer_department_code) "
                "from int_session_payers_counted order by session_id limit 1"
            )

    outcome = run_dbt("test", paths, reporting, ["--select", f"test_name:{GENERIC_TEST}"])

    defined = _test_names(paths, GENERIC_TEST)
    assert len(defined) >= 10
    assert len([n for n in outcome.timings if n.startswith("test.")]) == len(defined)
    assert [f.split(":")[0] for f in outcome.failures] == [
        f"{GENERIC_TEST}_int_session_payers_counted_session_id__payer_department_code"
    ], outcome.failures


def _test_names(paths: DataPaths, generic_test: str, model: str = "") -> list[str]:
    """The names of the `generic_test` tests of the last parse (of `model`'s only)."""
    return sorted(
        node["name"]
        for node in json.loads((paths.dbt_target / "manifest.json").read_text())["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == generic_test
        and (node.get("attached_node") or "").endswith(f".{model}" if model else "")
    )


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


def test_contracts_are_checked_in_every_build_but_a_day_build(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    """dbt checks an enforced contract with DESCRIBE queries of the model's SELECT and of
    its declared columns; a day build, whose project is the last published build's,
    skips that repeat (macros/contracts_checked_in_full_builds.sql). The table is built
    from the contract's DDL either way."""
    paths, reporting = _copy_of(tiny_warehouse, tmp_path, reuse_parse)
    mart = "mart_settlement_matrix"  # a table mart with not_null constraints
    log = paths.dbt_logs / "dbt.log"

    def describes(hints: BuildHints | None) -> int:
        before = log.read_text(encoding="utf-8") if log.exists() else ""
        outcome = run_dbt(
            "run", paths, reporting, ["--select", mart, "--log-level-file", "debug"], hints=hints
        )
        assert outcome.success, outcome.failures
        written = log.read_text(encoding="utf-8")[len(before) :]
        return len(re.findall(r"\bDESCRIBE \(select", written, flags=re.IGNORECASE))

    assert describes(None) == 2  # dbt run by hand, or a test
    assert describes(BuildHints(day_build=False, changed_years=None)) == 2  # a full build
    assert describes(BuildHints(day_build=True, changed_years=None)) == 0
    with duckdb.connect(str(reporting), read_only=True) as con:
        not_nullable = con.execute(
            "select count(*) from duckdb_columns() where table_name = ? and not is_nullable",
            [mart],
        ).fetchone()
    assert not_nullable is not None and not_nullable[0] > 0, "built without its contract"


def _check_constraints() -> dict[tuple[str, str], str]:
    """(model, column) -> the expression of its contract's check constraint."""
    return {
        (model["name"], column["name"]): constraint["expression"]
        for model in _models_yaml()
        if _enforced(model)
        for column in model.get("columns") or []
        for constraint in column.get("constraints") or []
        if constraint.get("type") == "check"
    }


def test_a_contract_model_lists_accepted_values_as_a_check_constraint() -> None:
    """An `accepted_values` test is a dbt node per column; a contract model declares the
    values as a check constraint, which DuckDB enforces as it writes the rows."""
    tested = [
        f"{model['name']}.{column['name']}"
        for model in _models_yaml()
        if _enforced(model)
        for column in model.get("columns") or []
        if any(
            isinstance(test, dict) and "accepted_values" in test
            for test in column.get("data_tests") or []
        )
    ]
    assert tested == []
    assert len(_check_constraints()) >= 6


def test_check_constraints_are_in_the_published_tables_and_refuse_other_values(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    published = tmp_path / "reporting.duckdb"
    shutil.copy(tiny_warehouse.reporting_db, published)
    declared = _check_constraints()
    with duckdb.connect(str(published)) as con:
        in_tables = {
            (table, columns[0]): expression
            for table, columns, expression in con.execute(
                "select table_name, constraint_column_names, expression "
                "from duckdb_constraints() where constraint_type = 'CHECK'"
            ).fetchall()
        }
        assert declared.keys() <= in_tables.keys()
        keys = _primary_keys()
        for table, column in declared:
            assert con.execute(f"select count(*) from {table}").fetchone() != (0,), table
            # a copied row with a new key (its key columns are text) and a value outside
            # the list is refused as the row is written, by the check
            new_key = [f"('check-test|' || {key}) as {key}" for key in keys.get(table, [])]
            replaced = ", ".join([f"'not-a-listed-value' as {column}", *new_key])
            with pytest.raises(duckdb.ConstraintException, match="CHECK constraint"):
                con.execute(
                    f"insert into {table} select * replace ({replaced}) from {table} limit 1"
                )


def _primary_keys() -> dict[str, list[str]]:
    """model -> the columns of its contract's primary key (a model-level constraint, or
    one column's)."""
    keys: dict[str, list[str]] = {}
    for model in _models_yaml():
        if not _enforced(model):
            continue
        for constraint in model.get("constraints") or []:
            if constraint.get("type") == "primary_key":
                keys[model["name"]] = constraint["columns"]
        for column in model.get("columns") or []:
            if any(c.get("type") == "primary_key" for c in column.get("constraints") or []):
                keys[model["name"]] = [column["name"]]
    return keys


def _key_tests(model: dict[str, Any]) -> list[Any]:
    """The model's uniqueness tests: on a combination of columns, or `unique` on one."""
    combination = [
        test
        for test in model.get("data_tests") or []
        if isinstance(test, dict) and "unique_combination_of_columns" in test
    ]
    single = [
        test
        for column in model.get("columns") or []
        for test in column.get("data_tests") or []
        if test == "unique" or (isinstance(test, dict) and "unique" in test)
    ]
    return combination + single


def test_a_primary_key_replaces_the_key_test_and_is_enforced_as_rows_are_written(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    """A contract mart may declare its key as a primary key (DuckDB refuses a second row
    with the same key as it writes the table) instead of a uniqueness test node; the
    key is then on the published table, and the mart has no key test as well."""
    declared = _primary_keys()
    assert len(declared) >= 13
    doubly_checked = [
        model["name"] for model in _models_yaml() if model["name"] in declared and _key_tests(model)
    ]
    assert doubly_checked == []
    published = tmp_path / "reporting.duckdb"
    shutil.copy(tiny_warehouse.reporting_db, published)
    with duckdb.connect(str(published)) as con:
        in_tables = {
            table: list(columns)
            for table, columns in con.execute(
                "select table_name, constraint_column_names from duckdb_constraints() "
                "where constraint_type = 'PRIMARY KEY'"
            ).fetchall()
        }
        assert {name: in_tables.get(name) for name in declared} == declared
        for table in declared:
            assert con.execute(f"select count(*) from {table}").fetchone() != (0,), table
            # a copy of a row (the same key) is refused as it is written
            with pytest.raises(duckdb.ConstraintException, match=r"[Dd]uplicate key"):
                con.execute(f"insert into {table} select * from {table} limit 1")


@pytest.fixture
def warehouse_copy(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> tuple[DataPaths, Path]:
    """The built tiny warehouse copied to run dbt tests on (_copy_of)."""
    return _copy_of(tiny_warehouse, tmp_path, reuse_parse)


def _passes_quietly(
    paths: DataPaths,
    reporting: Path,
    select: list[str],
    capfd: pytest.CaptureFixture[str],
    at_least: int,
) -> None:
    """The selected tests pass on the built data, at least `at_least` of them ran, and
    the console showed nothing: it shows dbt's warnings and errors only
    (dbt_runner.SHOWN_LEVELS); the info lines are in the file log."""
    clean = run_dbt("test", paths, reporting, select)
    assert clean.success, clean.failures
    assert len([n for n in clean.timings if n.startswith("test.")]) >= at_least
    assert capfd.readouterr() == ("", "")


def test_not_null_columns_passes_on_built_data_and_names_the_column_with_a_null(
    warehouse_copy: tuple[DataPaths, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    paths, reporting = warehouse_copy
    select = ["--select", f"test_name:{NOT_NULL_TEST}"]

    _passes_quietly(paths, reporting, select, capfd, at_least=5)
    assert " PASS " in (paths.dbt_logs / "dbt.log").read_text(encoding="utf-8")

    model = "int_document_adjustments_split"
    with duckdb.connect(str(paths.restricted_db)) as con:
        # two columns of one model, in one row: the test reports each column once
        con.execute(
            f"insert into {model} select * replace "
            f"(null as document_key, null as share_eur) from {model} limit 1"
        )
        failing_rows = con.execute(
            f"select * from ({_compiled_test_sql(paths, NOT_NULL_TEST, model)})"
        ).fetchall()
    outcome = run_dbt("test", paths, reporting, select)

    shown = capfd.readouterr()
    assert shown.err == ""
    assert re.search(rf"FAIL 2 {NOT_NULL_TEST}_{model}_", shown.out), shown.out
    assert " PASS " not in shown.out
    assert sorted(failing_rows) == [("document_key", 1), ("share_eur", 1)]
    assert [f.split(":")[0] for f in outcome.failures] == _test_names(
        paths, NOT_NULL_TEST, model
    ), outcome.failures


PRIMARY_KEY_TEST = "primary_key"


def test_primary_key_passes_on_built_data_and_reports_each_null_column_and_shared_key(
    warehouse_copy: tuple[DataPaths, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    paths, reporting = warehouse_copy
    select = ["--select", f"test_name:{PRIMARY_KEY_TEST}"]

    _passes_quietly(paths, reporting, select, capfd, at_least=20)

    with duckdb.connect(str(paths.restricted_db)) as con:
        ((key,),) = con.execute("select min(enrolment_key) from stg_lms__enrolments").fetchall()
        # a second row of an enrolment, without a person and a time: the key is shared,
        # and an also_not_null column holds a NULL
        con.execute(
            "insert into stg_lms__enrolments select * replace "
            "(null as person_key, null as updated_at) "
            "from stg_lms__enrolments where enrolment_key = ?",
            [key],
        )
        ((person,),) = con.execute(
            "select min(person_key) from stg_hr__employee_snapshots"
        ).fetchall()
        # a person twice with an unknown snapshot date: a key column NULL, and the key
        # (person, NULL) held by two rows
        for _ in range(2):
            con.execute(
                "insert into stg_hr__employee_snapshots select * replace "
                "(null as snapshot_date) from stg_hr__employee_snapshots "
                "where person_key = ? limit 1",
                [person],
            )
        # a seed: a department twice, and one without a code
        ((code,),) = con.execute("select min(department_code) from departments").fetchall()
        twice = "insert into departments select * from departments where department_code = ?"
        con.execute(twice, [code])
        con.execute(
            "insert into departments select * replace (null as department_code) "
            "from departments where department_code = ? limit 1",
            [code],
        )
        failing = {
            model: sorted(
                con.execute(
                    f"select * from ({_compiled_test_sql(paths, PRIMARY_KEY_TEST, model)})"
                ).fetchall()
            )
            for model in ("stg_lms__enrolments", "stg_hr__employee_snapshots", "departments")
        }
    outcome = run_dbt("test", paths, reporting, select)

    shown = capfd.readouterr()
    assert shown.err == ""
    assert re.search(rf"FAIL 3 {PRIMARY_KEY_TEST}_stg_lms__enrolments_", shown.out), shown.out
    assert re.search(rf"FAIL 2 {PRIMARY_KEY_TEST}_stg_hr__employee_snapshots_", shown.out)
    assert re.search(rf"FAIL 2 {PRIMARY_KEY_TEST}_departments_", shown.out), shown.out
    assert failing["stg_lms__enrolments"] == [
        ("null", "person_key", 1),
        ("null", "updated_at", 1),
        ("shared key", f"({key},)", 2),  # DuckDB writes a one-column row as (x,)
    ]
    assert failing["stg_hr__employee_snapshots"] == [
        ("null", "snapshot_date", 2),
        ("shared key", f"({person}, NULL)", 2),
    ]
    assert failing["departments"] == [
        ("null", "department_code", 1),
        ("shared key", f"({code},)", 2),
    ]
    assert sorted(f.split(":")[0] for f in outcome.failures) == sorted(
        _test_names(paths, PRIMARY_KEY_TEST, "stg_lms__enrolments")
        + _test_names(paths, PRIMARY_KEY_TEST, "stg_hr__employee_snapshots")
        + _test_names(paths, PRIMARY_KEY_TEST, "departments")
    ), outcome.failures


def test_no_model_tests_its_key_apart_from_its_required_columns() -> None:
    """A model with a not-null check and a uniqueness test on its key has them in one
    `primary_key` test: one dbt node, where two each paid dbt's per-node cost."""

    def has(model: dict[str, Any], generic_test: str) -> bool:
        return any(
            isinstance(test, dict) and generic_test in test
            for test in model.get("data_tests") or []
        )

    # a seed's key: `primary_key`, not a `unique` and a `not_null` on the column
    seeds = yaml.safe_load((REPO_ROOT / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    split = [
        seed["name"]
        for seed in seeds["seeds"]
        for column in seed.get("columns") or []
        if {"unique", "not_null"} <= set(column.get("data_tests") or [])
    ]
    split += [
        model["name"]
        for model in _models_yaml()
        if has(model, NOT_NULL_TEST)
        and (
            has(model, GENERIC_TEST)
            or any("unique" in (c.get("data_tests") or []) for c in model.get("columns") or [])
        )
    ]
    assert split == []


def _compiled_test_sql(paths: DataPaths, generic_test: str, model: str) -> str:
    """The SQL dbt compiled for `model`'s `generic_test` test in the last run."""
    for node in json.loads((paths.dbt_target / "run_results.json").read_text())["results"]:
        if node["unique_id"].startswith(f"test.leerdata.{generic_test}_{model}_"):
            return str(node["compiled_code"])  # names the model as "restricted"."main"."…"
    raise AssertionError(f"no {generic_test} test ran on {model}")


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
    select = ["--select", f"test_name:{PRIMARY_KEY_TEST},int_enrolments_outcomes"]

    def failures_with_changed_years(years: list[int] | None) -> list[str]:
        with duckdb.connect(str(paths.restricted_db)) as con:
            write_changed_years(con, years)
        outcome = run_dbt("test", paths, reporting, select)
        return [f.split(":")[0] for f in outcome.failures]

    every_year = failures_with_changed_years(None)
    duplicate = _test_names(paths, PRIMARY_KEY_TEST, "int_enrolments_outcomes")
    assert len(duplicate) == 1
    assert every_year == duplicate
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

    def failing_rows_with_changed_years(years: list[int] | None) -> dict[str, int]:
        """Per failing test, how many failing rows it found (run_results' `failures`)."""
        with duckdb.connect(str(paths.restricted_db)) as con:
            write_changed_years(con, years)
        run_dbt("test", paths, reporting, select)
        results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
        return {
            result["unique_id"].split(".")[2].split("_int_enrolments_spend")[0]: result["failures"]
            for result in results
            if result["status"] == "fail"
        }

    # the row without a year (a NULL) and the key held by the rows read
    both = {PRIMARY_KEY_TEST: 2}
    assert failing_rows_with_changed_years(None) == both
    assert failing_rows_with_changed_years([year]) == both
    assert failing_rows_with_changed_years([year - 1]) == both
    # neither year of the duplicate recomputed: only the row without a year is read
    assert failing_rows_with_changed_years([year + 5]) == {PRIMARY_KEY_TEST: 1}


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

    every = [PRIMARY_KEY_TEST, "relationships", "unique"]
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
