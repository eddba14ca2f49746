"""Ingest: landing files → restricted.duckdb (raw tables, quarantine, load manifest).

The runner (and polars with it) is imported when one of its names is first used, not
with the package: `leerdata build` imports `leerdata.ingest.schema` for the tables'
DDL only, and paid ~0.3 s for the runner it never called.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leerdata.ingest.runner import FileResult, IngestSummary, run_ingest

__all__ = ["FileResult", "IngestSummary", "run_ingest"]


def __getattr__(name: str) -> Any:  # PEP 562: the runner's names, on first use
    if name in __all__:
        return getattr(import_module("leerdata.ingest.runner"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
