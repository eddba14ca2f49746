"""dashboards/data.py: the allow-list, read-only access, and picking up a rebuild."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dashboards import data

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "sql",
    [
        "select * from fct_cost_allocation",  # carries enrolment_key
        "select * from stg_lms__enrolments",
        "select * from restricted.main.raw_hr",
        "select * from main.mart_participation join raw_hr on true",
        "select * from read_csv('/etc/passwd')",
        "select * from read_parquet('x.parquet') join mart_participation on true",
        "select 1",
        "delete from mart_participation",
        "attach 'restricted.duckdb' as r",
        "select * from mart_participation; drop table mart_participation",
        "with x as (select * from dim_departments) select * from x, raw_enrolments",
    ],
)
def test_anything_but_a_select_on_published_marts_is_refused(sql: str) -> None:
    with pytest.raises(data.DisallowedQueryError):
        data.check_query(sql)


def test_selects_on_published_marts_pass_with_ctes_and_joins() -> None:
    sql = (
        "with pairs as (select * from mart_settlement_matrix where quarter = ?) "
        "select * from pairs join main.dim_departments using (department_code) "
        "where department_code in (select department_code from mart_department_statements)"
    )
    assert data.check_query(sql) == {
        "mart_settlement_matrix",
        "dim_departments",
        "mart_department_statements",
    }


def test_no_person_level_mart_is_on_the_allow_list() -> None:
    assert "fct_cost_allocation" not in data.PUBLISHED_MARTS
    assert not any(name.startswith(("stg_", "int_", "raw_")) for name in data.PUBLISHED_MARTS)


def _publish(warehouse: Path, label: str) -> None:
    """Build a tiny reporting file beside and swap it in, as `leerdata build` does."""
    building = warehouse / "reporting.building.duckdb"
    with duckdb.connect(str(building)) as con:
        con.execute("create table dim_departments (department_code varchar, label varchar)")
        con.execute("insert into dim_departments values ('VWS', ?)", [label])
        con.execute("create table fct_cost_allocation (enrolment_key varchar)")
    os.replace(building, warehouse / "reporting.duckdb")


@pytest.fixture
def fake_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    data.close_connections()
    yield warehouse
    data.close_connections()


def test_a_rebuild_is_picked_up_without_restart(fake_data_dir: Path) -> None:
    _publish(fake_data_dir, "first build")
    first = data.query("select label from dim_departments")
    assert first["label"].to_list() == ["first build"]
    held = data.cursor()  # a session still reading the old file is not disturbed

    _publish(fake_data_dir, "second build")
    # Give the new file a later mtime even on coarse file-system clocks.
    stat = (fake_data_dir / "reporting.duckdb").stat()
    os.utime(fake_data_dir / "reporting.duckdb", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    second = data.query("select label from dim_departments")
    assert second["label"].to_list() == ["second build"]
    assert held.execute("select label from dim_departments").fetchall() == [("first build",)]
    held.close()


def test_the_connection_is_read_only_and_cannot_reach_files(fake_data_dir: Path) -> None:
    _publish(fake_data_dir, "x")
    cursor = data.cursor()
    with pytest.raises(duckdb.Error):
        cursor.execute("create table sneaky (a int)")
    with pytest.raises(duckdb.Error):
        cursor.execute(f"select * from read_csv('{REPO_ROOT / 'seeds' / 'departments.csv'}')")
    cursor.close()


def test_a_frame_with_a_pseudonym_column_is_refused(fake_data_dir: Path) -> None:
    _publish(fake_data_dir, "x")
    with pytest.raises(data.DisallowedQueryError):
        data.query("select 'k' as person_key from dim_departments")
    with pytest.raises(data.DisallowedQueryError):
        data.query("select * from fct_cost_allocation")


def test_observers_see_every_frame(fake_data_dir: Path) -> None:
    _publish(fake_data_dir, "x")
    seen: list[str] = []
    with data.observe(lambda sql, frame: seen.append(frame["label"][0])):
        data.query("select label from dim_departments")
        data.query("select label from dim_departments")  # a cache hit is observed too
    data.query("select label from dim_departments")
    assert seen == ["x", "x"]


def test_a_missing_warehouse_is_reported(fake_data_dir: Path) -> None:
    with pytest.raises(data.WarehouseMissingError):
        data.query("select * from dim_departments")
