"""`make demo` installs only what the demo runs; `make test`/`make lint` add the dev group.

Runs the Makefile's real install targets on a copy of the project (uv from this checkout's
tools venv, packages from uv's cache) and looks at what each venv holds.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
UV = REPO_ROOT / ".tools" / "bin" / "uv"
PROJECT_FILES = ("Makefile", "pyproject.toml", "uv.lock", "README.md")
PROJECT_DIRS = ("src", "dashboards")
DEV_ONLY = ("pytest", "ruff", "sqlfluff", "playwright", "mypy", "highspy", "scipy")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for name in PROJECT_FILES:
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    for name in PROJECT_DIRS:
        shutil.copytree(
            REPO_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def _make(project: Path, target: str) -> None:
    done = subprocess.run(
        # hardlinks from uv's cache, and no bytecode: the Makefile's copy mode and its
        # compiling of every package are what make a real install slow
        ["make", target, f"UV={UV}", "UV_LINK_MODE=hardlink", "UV_COMPILE_BYTECODE=0"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _installed(project: Path) -> set[str]:
    listed = subprocess.run(
        [str(UV), "pip", "list", "--python", str(project / ".venv" / "bin" / "python")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]  # after the header and its rule
    return {line.split()[0].lower() for line in listed}


def test_the_demo_install_has_the_runtime_only_and_test_adds_the_dev_group(
    project_copy: Path,
) -> None:
    _make(project_copy, "install-runtime")
    runtime = _installed(project_copy)
    assert {"leerdata", "dbt-duckdb", "streamlit", "polars"} <= runtime
    assert not runtime & set(DEV_ONLY)
    cli = subprocess.run(
        [str(project_copy / ".venv" / "bin" / "leerdata"), "--help"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr

    _make(project_copy, "install")
    assert {"pytest", "ruff", "sqlfluff"} <= _installed(project_copy)


def test_demo_needs_only_the_runtime_install() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "-p", "demo"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    demo_rule = next(line for line in dry_run.splitlines() if line.startswith("demo:"))
    assert demo_rule.split(":", 1)[1].split() == ["install-runtime"]
