"""The day-build selection knows every landing source, and names only real dbt sources."""

from __future__ import annotations

from pathlib import Path

import yaml

from leerdata.builder.selection import SOURCE_TABLES
from leerdata.contract import CSV_SOURCES, INVOICE_FOLDER

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
