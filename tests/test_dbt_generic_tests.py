"""The local generic test `unique_combination_of_columns` (dbt_project/macros/).

Keys of several columns used to be tested with `unique` on `a || '|' || b`, which skips
every row where a part is NULL (the concatenation is NULL). The generic test groups by
the columns themselves, so two rows with the same key and a NULL part are a duplicate.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import yaml

from leerdata.builder.dbt_runner import run_dbt
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


def test_no_uniqueness_test_concatenates_columns() -> None:
    concatenating = {
        file
        for file, tests in _model_tests().items()
        for test in tests
        if isinstance(test, dict) and "unique" in test and "||" in json.dumps(test)
    }
    assert concatenating == set()


def test_the_generic_test_passes_on_built_data_and_catches_a_null_part_duplicate(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    paths = DataPaths(tmp_path)
    paths.restricted_db.parent.mkdir(parents=True)
    shutil.copy(tiny_warehouse.restricted_db, paths.restricted_db)
    reporting = tmp_path / "reporting.copy.duckdb"
    shutil.copy(tiny_warehouse.reporting_db, reporting)
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
