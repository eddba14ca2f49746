"""Ingest of the generator's `tiny` landing zone: clean data must load without quarantine."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.generate import run_generate
from leerdata.ingest import run_ingest
from tests.ingest_cases.builders import SOURCES
from tests.ingest_cases.queries import dicts, query

# All on one worker, so the module fixtures (generate, ingest) are built once per run.
pytestmark = pytest.mark.xdist_group("ingest_generated")

TINY_SEED = 7


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[DataPaths, object, object]:
    paths = DataPaths.of(tmp_path_factory.mktemp("ingest-tiny"))
    run_generate("tiny", TINY_SEED, paths, show_progress=False)
    first = run_ingest(paths, show_progress=False)
    again = run_ingest(paths, show_progress=False)
    return paths, first, again


def test_tiny_generated_data_loads_without_quarantine(tiny: tuple) -> None:
    paths, first, _ = tiny
    bad = query(
        paths,
        "select file_name, line_number, column_name, reason_code from quarantine "
        "order by 1, 2 limit 20",
    )
    assert bad == []  # a failure here names the generated rows ingest rejected
    assert first.rows_quarantined == 0 and first.files_failed == 0
    assert first.rows_read == first.rows_loaded > 0
    for entry in dicts(paths, "select * from load_manifest"):
        assert (entry["status"], entry["is_conserved"]) == ("loaded", True), entry["file_name"]


def _data_rows_of_duplicate_files(landing: Path) -> Counter[str]:
    """Per folder/source prefix: data rows in files whose bytes an earlier file already had."""
    seen: set[str] = set()
    skipped: Counter[str] = Counter()
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
            skipped[path.name.rsplit("_", 1)[0].split("_")[0]] += len(rows) - 1
        seen.add(digest)
    return skipped


def test_tiny_row_counts_match_the_generator_truth(tiny: tuple) -> None:
    paths, _, _ = tiny
    truth = json.loads((paths.truth / "manifest.json").read_text())["rows_by_source"]
    skipped = _data_rows_of_duplicate_files(paths.landing)
    for name, source in SOURCES.items():
        [(loaded,)] = query(paths, f"select count(*) from {source.table}")
        assert loaded == truth[name] - skipped.get(name.split("_")[0], 0), name
    assert query(paths, "select count(*) from raw_invoices") == [(truth["invoices"],)]
    assert query(paths, "select count(*) from raw_invoice_lines") == [(truth["invoice_lines"],)]


def test_tiny_reingest_is_a_no_op(tiny: tuple) -> None:
    _, first, again = tiny
    assert again.files_loaded == 0
    assert again.files_skipped == len(first.files)
    assert again.rows_read == 0
