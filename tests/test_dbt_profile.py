"""The DuckDB options of dbt's profile reach the connections dbt runs the models on.

The profile gives them to DuckDB once, when dbt opens the database (`config_options`),
not per connection; a node's connection must still see every one of them: without the
memory limit a rijk build can take most of the machine's memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import yaml
from dbt.artifacts.schemas.run import RunExecutionResult
from dbt.cli.main import dbtRunner

from leerdata.builder.dbt_runner import (
    PROFILES_DIR,
    dbt_args,
    dbt_argv,
    dbt_environment,
    release_duckdb,
)
from leerdata.config import DataPaths, duckdb_memory_limit

OPTIONS = ("memory_limit", "checkpoint_threshold", "preserve_insertion_order")


def _profile_options() -> dict[str, object]:
    profile = yaml.safe_load((PROFILES_DIR / "profiles.yml").read_text())
    options = profile["leerdata"]["outputs"]["warehouse"]["config_options"]
    assert set(options) == set(OPTIONS)
    # the one templated value, as dbt renders it in a build
    return {**options, "memory_limit": duckdb_memory_limit("build")}


def _as_duckdb_shows(options: dict[str, object]) -> dict[str, str]:
    """How DuckDB itself reports these values (it normalises sizes: 2GB is 1.8 GiB)."""
    con = duckdb.connect(config={key: str(value) for key, value in options.items()})
    shown = {}
    for key in OPTIONS:
        (value,) = con.execute(f"select current_setting('{key}')::varchar").fetchone() or (None,)
        shown[key] = str(value)
    return shown


def _settings_on_a_dbt_node(paths: DataPaths) -> dict[str, str]:
    columns = ", ".join(f"current_setting('{key}')::varchar as {key}" for key in OPTIONS)
    args = dbt_args("show", paths, ["--inline", f"select {columns}"])
    with dbt_environment(paths, paths.reporting_build_db), dbt_argv(args):
        try:
            result = dbtRunner().invoke(args)
        finally:
            release_duckdb()
    assert result.success, result.exception
    assert isinstance(result.result, RunExecutionResult)
    table = result.result.results[0].agate_table
    assert table is not None
    return {key: str(table.rows[0][key]) for key in OPTIONS}


def test_a_dbt_node_sees_the_profiles_duckdb_options(
    tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    paths = DataPaths(tmp_path)
    reuse_parse(paths)
    paths.warehouse.mkdir(parents=True)
    expected = _as_duckdb_shows(_profile_options())
    # not DuckDB's defaults, or this test could not tell
    assert expected != _as_duckdb_shows({})

    assert _settings_on_a_dbt_node(paths) == expected
