"""The facts a benchmark result is meaningless without: machine, load, versions, commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from leerdata_bench.checkout import REPO_ROOT

PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "polars", "streamlit")


def ram_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


SPEED_PROBE_ADDITIONS = 5_000_000


def speed_probe_s() -> float:
    """Seconds one core takes for a fixed pure-Python loop: the same code's times are
    comparable between runs only as far as this is. The shared machines moved 2-3-fold
    within a day (a 20M-addition loop: 2.4 s, then 4.8 s two hours later)."""
    started = time.perf_counter()
    total = 0
    for i in range(SPEED_PROBE_ADDITIONS):
        total += i
    elapsed = time.perf_counter() - started
    assert total == SPEED_PROBE_ADDITIONS * (SPEED_PROBE_ADDITIONS - 1) // 2
    return round(elapsed, 3)


def package_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def git_state() -> dict[str, object]:
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


def machine_info() -> dict[str, object]:
    return {
        "cores": os.cpu_count(),
        "ram_bytes": ram_bytes(),
        "load_average_at_start": load_average(),
        "speed_probe_s_at_start": speed_probe_s(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": package_versions(),
        "git": git_state(),
    }
