"""How a table model replaces its table (macros/tables_replaced_in_one_transaction.sql):
the new table is created under a temporary name while the old one is still readable,
then one statement in the same transaction drops the old and renames the new; a failure
leaves the old table as it was."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from leerdata.builder.dbt_runner import run_dbt
from leerdata.config import DataPaths

MART = "mart_settlement_matrix"  # a table mart with a contract and a primary key


def _copy_of(
    warehouse: DataPaths, root: Path, reuse_parse: Callable[[DataPaths], None]
) -> tuple[DataPaths, Path]:
    paths = DataPaths(root)
    reuse_parse(paths)
    paths.restricted_db.parent.mkdir(parents=True)
    shutil.copy(warehouse.restricted_db, paths.restricted_db)
    reporting = paths.reporting_build_db  # where the profile attaches it
    shutil.copy(warehouse.reporting_db, reporting)
    return paths, reporting


def _statements(log: str, model: str) -> list[str]:
    """The SQL dbt ran for the model, in order, comments and whitespace folded."""
    lines = re.split(r"\n(?=\x1b\[0m\d\d:\d\d:\d\d)", log)
    marker = f"On model.leerdata.{model}:"
    found = []
    for line in lines:
        if marker in line and "Using duckdb connection" not in line:
            body = re.sub(r"/\*.*?\*/", "", line.split(marker, 1)[1], flags=re.S)
            found.append(" ".join(body.split()))
    return found


def _rows(reporting: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(reporting), read_only=True) as con:
        return sorted(con.execute(f"select * from {table}").fetchall(), key=repr)


def _tables(reporting: Path) -> set[str]:
    with duckdb.connect(str(reporting), read_only=True) as con:
        names = con.execute("select table_name from duckdb_tables()").fetchall()
    return {name for (name,) in names}


def test_an_existing_table_is_replaced_in_one_transaction(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    paths, reporting = _copy_of(tiny_warehouse, tmp_path, reuse_parse)
    before = _rows(reporting, MART)
    log = paths.dbt_logs / "dbt.log"
    outcome = run_dbt("run", paths, reporting, ["--select", MART, "--log-level-file", "debug"])
    assert outcome.success, outcome.failures

    ran = _statements(log.read_text(encoding="utf-8"), MART)
    begin = ran.index("BEGIN")
    create = next(i for i, s in enumerate(ran) if s.startswith("create table"))
    replace = next(i for i, s in enumerate(ran) if s.startswith("drop table if exists"))
    commit = ran.index("COMMIT")
    assert begin < create < replace < commit, ran
    assert f'"{MART}__dbt_tmp"' in ran[create]
    assert ran[replace] == (
        f'drop table if exists "reporting"."main"."{MART}" cascade; '
        f'alter table "reporting"."main"."{MART}__dbt_tmp" rename to "{MART}"'
    )
    # dbt-duckdb's own path asked for indexes and renamed the old table to a backup
    assert not any("duckdb_indexes()" in s or "__dbt_backup" in s for s in ran), ran
    assert _rows(reporting, MART) == before
    assert not any(name.endswith(("__dbt_tmp", "__dbt_backup")) for name in _tables(reporting))


def test_a_failing_rebuild_leaves_the_old_table(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    paths, reporting = _copy_of(tiny_warehouse, tmp_path, reuse_parse)
    before = _rows(reporting, MART)
    with duckdb.connect(str(reporting)) as con:
        con.execute("drop table fct_cost_allocation")  # what the mart reads
    outcome = run_dbt("run", paths, reporting, ["--select", MART])
    assert not outcome.success
    assert any(MART in failure for failure in outcome.failures), outcome.failures
    assert _rows(reporting, MART) == before
    assert not any(name.endswith("__dbt_tmp") for name in _tables(reporting))
