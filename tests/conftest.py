"""Shared fixtures.

Every test session gets its own key file outside any data dir, so no test reads or
writes the user's real key. Built warehouses are cached per (scale, seed) under the
session's base temp dir and shared between xdist workers with a file lock, so the
expensive generate → ingest → build runs once per test session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from leerdata.config import DataPaths

TINY_SEED = 7
SMALL_SEED = 42


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # With xdist the base temp is per worker; its parent is shared by all workers.
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    shared = _shared_root(tmp_path_factory)
    path = shared / "keys" / "pseudonym.key"
    previous = os.environ.get("LEERDATA_KEY_FILE")
    os.environ["LEERDATA_KEY_FILE"] = str(path)
    with FileLock(str(shared / "keys.lock")):
        from leerdata.privacy.keys import load_or_create_key

        load_or_create_key(path)
    yield path
    if previous is None:
        os.environ.pop("LEERDATA_KEY_FILE", None)
    else:
        os.environ["LEERDATA_KEY_FILE"] = previous


def build_once(tmp_path_factory: pytest.TempPathFactory, scale: str, seed: int) -> DataPaths:
    """generate → ingest → build once per test session; later callers reuse the result."""
    shared = _shared_root(tmp_path_factory)
    root = shared / f"warehouse-{scale}-{seed}"
    done = root / ".built"
    with FileLock(str(shared / f"warehouse-{scale}-{seed}.lock")):
        if not done.exists():
            from leerdata.builder.warehouse import build_warehouse
            from leerdata.generate import run_generate
            from leerdata.ingest import run_ingest

            paths = DataPaths.of(root)
            run_generate(scale, seed, paths, show_progress=False)
            run_ingest(paths, show_progress=False)
            _copy_parse(parse_once(tmp_path_factory), paths)
            build_warehouse(paths, show_progress=False)
            done.touch()
    return DataPaths.of(root)


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> DataPaths:
    """A built warehouse on tiny data. Treat as read-only: copy it before changing it."""
    return build_once(tmp_path_factory, "tiny", TINY_SEED)


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> DataPaths:
    """A built warehouse on small data (minutes): for accuracy tests marked slow."""
    return build_once(tmp_path_factory, "small", SMALL_SEED)


def parse_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dbt's partial-parse state of the project (`dbt parse` in an empty data dir), made
    once per test session and shared between workers."""
    shared = _shared_root(tmp_path_factory)
    paths = DataPaths.of(shared / "dbt-parse")
    state = paths.dbt_target / "partial_parse.msgpack"
    with FileLock(str(shared / "dbt-parse.lock")):
        if not state.exists():
            from leerdata.builder.dbt_runner import run_dbt

            outcome = run_dbt("parse", paths, paths.reporting_build_db)
            assert outcome.success and state.exists(), outcome.failures
    return state


@pytest.fixture(scope="session")
def reuse_parse(
    tmp_path_factory: pytest.TempPathFactory, key_file: Path
) -> Callable[[DataPaths], None]:
    """Give a new data dir the session's dbt parse, as a copied data dir keeps its own:
    its first build then skips dbt's full parse of the project ("Nothing changed,
    skipping partial parsing"; dbt checks every file's checksum, the profile and the
    vars, and parses again whatever differs). For tests that build hand-made data dirs
    or run dbt on copied databases; the tiny and small warehouses start from it too."""
    state = parse_once(tmp_path_factory)

    def reuse(paths: DataPaths) -> None:
        _copy_parse(state, paths)

    return reuse


def _copy_parse(state: Path, paths: DataPaths) -> None:
    paths.dbt_target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(state, paths.dbt_target / state.name)


# The units `--dist loadgroup` hands out (an xdist group, or an ungrouped test of these
# modules) that take longest, longest first: xdist gives the next unit in collection
# order to whichever worker is free, so a long unit near the end leaves the other worker
# idle. pyproject.toml turns off xdist's own reorder (by number of tests per unit). The
# second needs no warehouse and runs while the first worker builds the tiny one.
# Seconds of setup + calls measured with --durations on two workers (README, Tests).
LONGEST_FIRST = (
    "incremental_build",
    "finance_document_chains",
    "browser_login",
    "erase_resume",
    "browser_questions",
    "test_browser_bench.py",
    "test_disclosure_attack.py",
    "browser_dashboard",
    "publish",
    "research_release",
    "subject_access",
    "retention",
    "test_write_lock.py",
    "evaluation_marts",
    "erase_mentions",
    "sdc_stability",
)


def work_unit(item: pytest.Item) -> str:
    """The item's xdist group, or else its module's file name."""
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return str(mark.args[0] if mark.args else mark.kwargs["name"])
    return item.path.name


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(work_unit(item), len(rank)))
