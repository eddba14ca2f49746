"""The day-build selection knows every landing source, names only real dbt sources, and
rebuilds everything from scratch when the project changed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from leerdata.builder.selection import (
    SOURCE_TABLES,
    DaySelection,
    choose,
    project_fingerprint,
    record_published,
)
from leerdata.builder.warehouse import DAY_BUILD_THREADS, day_build_threads
from leerdata.contract import CSV_SOURCES, INVOICE_FOLDER
from leerdata.ingest.schema import create_raw_tables

MODELS = Path(__file__).resolve().parents[1] / "models"


def _dbt_sources() -> set[str]:
    names = set()
    for path in MODELS.rglob("_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                names.add(f"{source['name']}.{table['name']}")
    return names


def test_every_landing_source_maps_to_its_raw_tables() -> None:
    manifest_sources = {source.name for source in CSV_SOURCES} | {INVOICE_FOLDER}
    assert set(SOURCE_TABLES) == manifest_sources


def test_the_mapped_tables_are_dbt_sources() -> None:
    mapped = {table for tables in SOURCE_TABLES.values() for table in tables}
    assert mapped <= _dbt_sources()
    raw_sources = {name for name in _dbt_sources() if name.split(".")[1].startswith("raw_")}
    assert raw_sources <= mapped, "a raw table no landing source maps to"


def _project(root: Path) -> Path:
    for part in ("models/staging", "dbt_project/macros", "seeds", "src/leerdata"):
        (root / part).mkdir(parents=True)
    (root / "models/staging/stg_a.sql").write_text("select 1 as a\n")
    (root / "dbt_project.yml").write_text("name: leerdata\n")
    return root


def test_the_fingerprint_follows_the_project_and_the_settings(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    first = project_fingerprint("min_cell_size=10", project)
    assert project_fingerprint("min_cell_size=10", project) == first
    assert project_fingerprint("min_cell_size=11", project) != first
    (project / "models/staging/stg_a.sql").write_text("select 2 as a\n")
    assert project_fingerprint("min_cell_size=10", project) != first
    (project / "models/staging/stg_a.sql").write_text("select 1 as a\n")
    (project / "seeds/new_seed.csv").write_text("a\n1\n")
    assert project_fingerprint("min_cell_size=10", project) != first


def _published_once(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(restricted database, warehouse dir, published reporting file) after one build."""
    database, warehouse = tmp_path / "restricted.duckdb", tmp_path / "warehouse"
    published = warehouse / "reporting.duckdb"
    with duckdb.connect(str(database)) as con:
        create_raw_tables(con)
        con.execute(
            "insert into load_manifest (batch_id, source, file_name, status) "
            "values (1, 'enrolments', 'enrolments_1.csv', 'loaded')"
        )
    assert choose(database, warehouse, "A", published).reason == "no published build recorded"
    record_published(database, warehouse, "A")
    duckdb.connect(str(published)).close()
    return database, warehouse, published


def test_a_changed_project_means_a_full_refresh(tmp_path: Path) -> None:
    database, warehouse, published = _published_once(tmp_path)
    day = choose(database, warehouse, "A", published)
    assert day.select is not None and not day.full_refresh and day.changed == ()
    changed = choose(database, warehouse, "B", published)
    assert changed.select is None and changed.full_refresh


def test_without_the_published_file_a_day_build_is_a_full_build(tmp_path: Path) -> None:
    """A day build keeps the marts nothing new reaches from the published file."""
    database, warehouse, published = _published_once(tmp_path)
    published.unlink()
    day = choose(database, warehouse, "A", published)
    assert day.select is None and day.reason == "no published reporting file"


def test_a_build_says_what_it_covered() -> None:
    day = DaySelection(
        ("x+",), ("enrolments", "invoices"), "sources with new batches", (2025, 2026)
    )
    assert day.describe() == (
        "day build: new batches of enrolments, invoices; years recomputed: 2025, 2026"
    )
    assert "every year" in DaySelection(("x+",), ("hr",), "r", None).describe()
    assert DaySelection(None, (), "the project changed", full_refresh=True).describe() == (
        "full refresh: the project changed"
    )


def test_a_day_build_takes_more_dbt_threads_unless_the_environment_sets_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LEERDATA_DBT_THREADS", raising=False)
    assert day_build_threads() == ["--threads", str(DAY_BUILD_THREADS)]
    monkeypatch.setenv("LEERDATA_DBT_THREADS", "1")
    assert day_build_threads() == []  # profiles.yml reads it
