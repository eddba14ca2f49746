"""Ingest: landing files → restricted.duckdb (raw tables, quarantine, load manifest)."""

from leerdata.ingest.runner import FileResult, IngestSummary, run_ingest

__all__ = ["FileResult", "IngestSummary", "run_ingest"]
