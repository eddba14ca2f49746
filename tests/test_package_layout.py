"""The installed package holds product code only, and nothing depends on a checkout's depth.

- benchmarks and test helpers live outside src/leerdata (benchmarks/leerdata_bench,
  tests/), and the harness's `python -m leerdata_bench.x` children still find them;
- `dashboards` imports without sys.path edits (it ships as a package);
- the project directory (dbt project, seeds, config) is found, or named by
  LEERDATA_PROJECT_DIR, instead of being a fixed number of parents above a module.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from leerdata_bench import harness

from leerdata import config

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = REPO_ROOT / "src" / "leerdata"


def _env_without_pythonpath() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def test_the_product_package_holds_no_benchmark_or_test_code() -> None:
    assert importlib.util.find_spec("leerdata.bench") is None
    assert not (PACKAGE / "bench").exists()
    assert not (PACKAGE / "finance" / "accuracy.py").exists()


def test_no_module_of_the_package_counts_parents_up_to_a_checkout() -> None:
    counted = [
        str(path.relative_to(REPO_ROOT))
        for path in PACKAGE.rglob("*.py")
        if re.search(r"parents\[\d+\]", path.read_text(encoding="utf-8"))
    ]
    assert counted == []


def test_no_sys_path_edits_to_reach_dashboards() -> None:
    edits = [
        str(path.relative_to(REPO_ROOT))
        for folder in ("src", "dashboards", "benchmarks", "tests")
        for path in (REPO_ROOT / folder).rglob("*.py")
        if path != Path(__file__).resolve()
        and "sys.path.insert" in path.read_text(encoding="utf-8")
    ]
    assert edits == []


def test_dashboards_import_from_any_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import dashboards.roles, dashboards.data"],
        cwd=tmp_path,
        env=_env_without_pythonpath(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_the_harness_children_find_the_bench_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)  # only what the harness itself sets
    plan = harness.Plan(harness.parse_args(["--scale", "tiny", "--work-dir", str(tmp_path)]))
    child_env = plan.env(tmp_path / "run1")
    done = subprocess.run(
        [sys.executable, "-m", "leerdata_bench.facts", "no-such-fact", str(tmp_path)],
        cwd=tmp_path,
        env=child_env,
        capture_output=True,
        text=True,
    )
    # The module ran (and refused the made-up fact), so it was found from elsewhere.
    assert "unknown fact 'no-such-fact'" in done.stderr, done.stderr


def test_the_project_dir_is_the_checkout_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.PROJECT_DIR_ENV, raising=False)
    assert config.find_project_dir() == REPO_ROOT
    assert (config.PROJECT_DIR / "dbt_project.yml").is_file()


def test_the_project_dir_can_be_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.PROJECT_DIR_ENV, str(tmp_path))
    assert config.find_project_dir() == tmp_path.resolve()
