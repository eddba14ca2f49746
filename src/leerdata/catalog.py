"""What the dbt project's YAML says about the data: the one list of identifier columns,
pseudonyms and published marts, which retention, erasure, subject access, the leak test
and the dashboards' allow-list all read.

- A raw source column with `config: {meta: {pii: true}}` identifies a person (name,
  e-mail, personnel number, birth date or place); with `free_text: true` as well it is
  free text that may name someone (an evaluation comment, an invoice item name); with
  `common_values: true` its values alone are common words (a city, a prefix, a title),
  which the leak test's value scan cannot tell from a course location or a label.
- A model column with `config: {meta: {pseudonym: true}}` is a keyed pseudonym of a
  person or an enrolment: allowed in the reporting zone, never shown on a page.
- The dashboard exposures' `depends_on: ref(...)` name every mart a page may read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from leerdata.config import PROJECT_DIR

MODELS_DIR = PROJECT_DIR / "models"
REF = re.compile(r"ref\(\s*['\"](?P<name>\w+)['\"]\s*\)")


@dataclass(frozen=True)
class PiiColumn:
    table: str  # raw table of the restricted zone
    column: str
    free_text: bool
    common_values: bool = False


@cache
def _documents(models_dir: Path = MODELS_DIR) -> tuple[dict[str, Any], ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built
    return tuple(
        yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        for path in sorted(models_dir.rglob("*.yml"))
    )


def _meta(column: dict[str, Any]) -> dict[str, Any]:
    return dict((column.get("config") or {}).get("meta") or {})


def _source_columns(models_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for document in _documents(models_dir):
        for source in document.get("sources") or []:
            for table in source.get("tables") or []:
                for column in table.get("columns") or []:
                    yield table["name"], column


@cache
def pii_columns(models_dir: Path = MODELS_DIR) -> tuple[PiiColumn, ...]:
    """Every raw column tagged pii, in the order the YAML declares them."""
    return tuple(
        PiiColumn(
            table,
            column["name"],
            free_text=bool(_meta(column).get("free_text")),
            common_values=bool(_meta(column).get("common_values")),
        )
        for table, column in _source_columns(models_dir)
        if _meta(column).get("pii") is True
    )


def identifier_columns(table: str) -> tuple[str, ...]:
    """The columns of one raw table that identify a person (free text not included)."""
    return tuple(c.column for c in pii_columns() if c.table == table and not c.free_text)


def free_text_columns() -> tuple[tuple[str, str], ...]:
    """(raw table, column) of every free text that may name a person."""
    return tuple((c.table, c.column) for c in pii_columns() if c.free_text)


def pii_column_names() -> frozenset[str]:
    return frozenset(c.column for c in pii_columns())


@cache
def pseudonym_columns(models_dir: Path = MODELS_DIR) -> frozenset[str]:
    return frozenset(
        column["name"]
        for document in _documents(models_dir)
        for model in document.get("models") or []
        for column in model.get("columns") or []
        if _meta(column).get("pseudonym") is True
    )


@cache
def exposed_models(
    exposure_type: str = "dashboard", models_dir: Path = MODELS_DIR
) -> frozenset[str]:
    """Every model an exposure of this type depends on (the dashboards' published marts)."""
    return frozenset(
        match["name"]
        for document in _documents(models_dir)
        for exposure in document.get("exposures") or []
        if exposure.get("type") == exposure_type
        for dependency in exposure.get("depends_on") or []
        if (match := REF.fullmatch(dependency.strip()))
    )
