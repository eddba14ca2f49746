"""Invoices parsed ahead while the files before them load (leerdata.ingest.invoice_prefetch).

The executor here runs the parse in this process but records when each result is
taken, so the tests can see the order of events; the real process pool is covered by
tests/test_ingest_ubl.py::test_invoices_parsed_in_a_process_pool_load_the_same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pytest

from leerdata.config import DataPaths
from leerdata.ingest import invoice_prefetch, run_ingest
from leerdata.ingest import runner as ingest_runner
from leerdata.ingest.discovery import discover
from leerdata.ingest.invoice_prefetch import InvoicePrefetch
from leerdata.ingest.ubl import parse_invoice
from tests.ingest_cases.builders import ubl_invoice, valid_rows, write_bytes, write_csv
from tests.ingest_cases.queries import query

EVENTS: list[tuple[str, str]] = []


class LoggingExecutor(Executor):
    """Parses lazily, in order, when the caller asks for the next result."""

    def __init__(self, *_: Any, **__: Any) -> None:
        EVENTS.append(("pool", "started"))

    def map(  # type: ignore[override]
        self, fn: Callable[[Path], Any], items: Iterable[Path], chunksize: int = 1
    ) -> Iterator[Any]:
        def results() -> Iterator[Any]:
            for item in items:
                EVENTS.append(("parsed", item.name))
                yield fn(item)

        return results()


class RewritingExecutor(LoggingExecutor):
    """Parses every invoice at once, then the supplier overwrites INV-2 with three lines."""

    def map(  # type: ignore[override]
        self, fn: Callable[[Path], Any], items: Iterable[Path], chunksize: int = 1
    ) -> Iterator[Any]:
        paths = list(items)
        done = [fn(path) for path in paths]
        for path in paths:
            if path.name == "INV-2.xml":
                path.write_text(ubl_invoice("INV-2", 3))
        return iter(done)


class BreakingExecutor(LoggingExecutor):
    """Its second result raises, as a worker that died would."""

    def map(  # type: ignore[override]
        self, fn: Callable[[Path], Any], items: Iterable[Path], chunksize: int = 1
    ) -> Iterator[Any]:
        def results() -> Iterator[Any]:
            for index, item in enumerate(items):
                if index == 1:
                    raise RuntimeError("worker died")
                yield fn(item)

        return results()


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataPaths:
    monkeypatch.setattr(invoice_prefetch, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(invoice_prefetch, "POOL_MIN_CPUS", 1)
    EVENTS.clear()
    paths = DataPaths.of(tmp_path / "data")
    paths.landing.mkdir(parents=True)
    for i in range(1, 5):
        write_bytes(paths.landing, f"invoices/INV-{i}.xml", ubl_invoice(f"INV-{i}", 2).encode())
    return paths


def _lines_per_invoice(paths: DataPaths) -> list[tuple]:
    return query(paths, "select invoice_id, count(*) from raw_invoice_lines group by 1 order by 1")


def test_the_hr_export_listed_before_the_invoices_loads_while_they_are_parsed(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(paths.landing, "hr", valid_rows("hr", 3))
    monkeypatch.setattr(invoice_prefetch, "ProcessPoolExecutor", LoggingExecutor)
    real_read = ingest_runner.read_csv_file

    def logging_read(*args: Any, **kwargs: Any) -> Any:
        EVENTS.append(("csv", "loaded"))
        return real_read(*args, **kwargs)

    monkeypatch.setattr(ingest_runner, "read_csv_file", logging_read)
    summary = run_ingest(paths, show_progress=False)

    assert summary.rows_loaded == 3 + 4 * 2
    assert _lines_per_invoice(paths) == [(f"INV-{i}", 2) for i in range(1, 5)]
    # the pool starts first; the CSV loads before the first invoice is waited for
    assert EVENTS[:2] == [("pool", "started"), ("csv", "loaded")]
    assert sorted(name for kind, name in EVENTS if kind == "parsed") == [
        f"INV-{i}.xml" for i in range(1, 5)
    ]


def test_an_invoice_rewritten_after_the_worker_read_it_loads_as_the_main_process_read_it(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invoice_prefetch, "ProcessPoolExecutor", RewritingExecutor)
    summary = run_ingest(paths, show_progress=False)

    assert summary.rows_loaded == 2 + 3 + 2 + 2
    assert _lines_per_invoice(paths) == [("INV-1", 2), ("INV-2", 3), ("INV-3", 2), ("INV-4", 2)]
    new_sha = hashlib.sha256((paths.landing / "invoices/INV-2.xml").read_bytes()).hexdigest()
    assert query(
        paths, "select content_sha256 from load_manifest where file_name = 'invoices/INV-2.xml'"
    ) == [(new_sha,)]


def test_a_broken_pool_leaves_the_invoices_to_the_main_process(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invoice_prefetch, "ProcessPoolExecutor", BreakingExecutor)
    summary = run_ingest(paths, show_progress=False)

    assert (summary.files_loaded, summary.rows_loaded) == (4, 8)
    assert _lines_per_invoice(paths) == [(f"INV-{i}", 2) for i in range(1, 5)]


def test_taken_in_any_order_each_invoice_comes_once_and_only_for_its_own_bytes(
    paths: DataPaths,
) -> None:
    files = discover(paths.landing)
    raw = {f.path.name: f.path.read_bytes() for f in files}
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in raw.items()}
    with InvoicePrefetch(files, set(), executor=LoggingExecutor) as prefetch:
        third = prefetch.take(paths.landing / "invoices/INV-3.xml", sha["INV-3.xml"])
        assert third == parse_invoice(raw["INV-3.xml"])
        # INV-1 and INV-2 were parsed on the way to INV-3 and are handed out from there
        assert prefetch.take(paths.landing / "invoices/INV-1.xml", sha["INV-1.xml"]) == (
            parse_invoice(raw["INV-1.xml"])
        )
        assert prefetch.take(paths.landing / "invoices/INV-1.xml", sha["INV-1.xml"]) is None
        assert prefetch.take(paths.landing / "invoices/INV-2.xml", "0" * 64) is None
        assert prefetch.take(paths.landing / "invoices/INV-4.xml", sha["INV-4.xml"]) == (
            parse_invoice(raw["INV-4.xml"])
        )
    assert [name for kind, name in EVENTS if kind == "parsed"] == [
        f"INV-{i}.xml" for i in range(1, 5)
    ]


def test_invoices_already_loaded_are_not_parsed_again(paths: DataPaths) -> None:
    files = discover(paths.landing)
    seen = {hashlib.sha256(f.path.read_bytes()).hexdigest() for f in files[:3]}
    # one new invoice is below the threshold of two: no pool at all
    with InvoicePrefetch(files, seen, executor=LoggingExecutor) as prefetch:
        assert prefetch.take(files[3].path, next(iter(seen))) is None
    assert EVENTS == []


def test_into_an_empty_warehouse_no_invoice_is_read_before_the_pool_starts(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing loaded yet, so every invoice is new: the main process does not read and
    hash them all before the workers start (the workers read them anyway)."""
    hashed: list[Path] = []
    real_sha_of = invoice_prefetch._sha_of

    def counting_sha_of(path: Path) -> str | None:
        hashed.append(path)
        return real_sha_of(path)

    monkeypatch.setattr(invoice_prefetch, "_sha_of", counting_sha_of)
    files = discover(paths.landing)
    with InvoicePrefetch(files, set(), executor=LoggingExecutor) as prefetch:
        first = paths.landing / "invoices/INV-1.xml"
        assert prefetch.take(first, hashlib.sha256(first.read_bytes()).hexdigest()) == (
            parse_invoice(first.read_bytes())
        )
    assert hashed == []
    # with something loaded before, each invoice is hashed to find the new ones
    seen = {"0" * 64}
    with InvoicePrefetch(files, seen, executor=LoggingExecutor):
        pass
    assert sorted(hashed) == sorted(f.path for f in files if f.is_invoice)
