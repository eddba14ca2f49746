"""dbt documentation: every column of every built model described, shared wording written
once as a doc block, and a data test on every model."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import duckdb
import yaml

from leerdata.config import REPO_ROOT, DataPaths

DOC_REF = re.compile(r"""\{\{\s*doc\(\s*["'](\w+)["']\s*\)\s*\}\}""")
DOC_BLOCK = re.compile(r"\{%\s*docs\s+(\w+)\s*%\}")


def _models() -> dict[str, dict[str, Any]]:
    models: dict[str, dict[str, Any]] = {}
    for path in sorted((REPO_ROOT / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            models[model["name"]] = model
    return models


def _built_columns(*databases: DataPaths | Any) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for db in databases:
        with duckdb.connect(str(db), read_only=True) as con:
            for table, column in con.execute(
                "select table_name, column_name from duckdb_columns() "
                "where schema_name = 'main' and not internal"
            ).fetchall():
                columns.setdefault(table, []).append(column)
    return columns


def test_every_built_column_of_every_model_is_described(tiny_warehouse: DataPaths) -> None:
    built = _built_columns(tiny_warehouse.restricted_db, tiny_warehouse.reporting_db)
    models = _models()
    assert set(models) <= set(built), "a model in the YAML was not built"
    undescribed = {
        f"{name}.{column}"
        for name, model in models.items()
        for column in built[name]
        if column not in {c["name"] for c in model.get("columns") or [] if c.get("description")}
    }
    assert undescribed == set()


def test_every_model_has_a_data_test(tiny_warehouse: DataPaths) -> None:
    """A generic test in its YAML or a singular test that reads it (dbt_project/tests),
    as dbt's manifest of the tiny build lists them; unit tests do not count."""
    manifest = json.loads((tiny_warehouse.dbt_target / "manifest.json").read_text())
    nodes = manifest["nodes"].values()
    tested = {
        parent
        for node in nodes
        if node["resource_type"] == "test"
        for parent in node["depends_on"]["nodes"]
    }
    models = {node["unique_id"] for node in nodes if node["resource_type"] == "model"}
    assert len(models) == len(_models())
    assert models - tested == set()


def test_shared_wording_is_a_doc_block_and_every_block_exists() -> None:
    blocks = set(
        DOC_BLOCK.findall(
            "".join(p.read_text(encoding="utf-8") for p in (REPO_ROOT / "models").rglob("*.md"))
        )
    )
    plain: Counter[tuple[str, str]] = Counter()
    used: set[str] = set()
    for model in _models().values():
        for column in model.get("columns") or []:
            description = " ".join(str(column.get("description") or "").split())
            used.update(DOC_REF.findall(description))
            if description and not DOC_REF.search(description):
                plain[(column["name"], description)] += 1
    assert used - blocks == set(), "doc() of a block that does not exist"
    assert {key for key, count in plain.items() if count > 1} == set(), "copy: make a doc block"
    quarters = {block for block in used if block == "quarter" or block.startswith("quarter__")}
    assert quarters == {"quarter", "quarter__cell"}


def test_every_protected_mart_says_its_counts_are_perturbed() -> None:
    """A reader of the docs takes a count for exact unless told: every published mart
    with a `suppressed` column (the protected tables) names the cell key method, and
    none the cell suppression it replaced."""
    protected = {
        name: " ".join(str(model.get("description", "")).split())
        for name, model in _models().items()
        if name.startswith("mart_")
        and any(column["name"] == "suppressed" for column in model.get("columns") or [])
    }
    assert len(protected) >= 8, sorted(protected)
    for name, description in protected.items():
        assert "cell suppression" not in description, name
        assert "cell key method" in description and "perturbed" in description, name
