"""Where the benchmark harness sits in the checkout, and how its subprocesses find it.

The harness is not part of the installed `leerdata` package: it lives in
benchmarks/leerdata_bench/ beside the repository's dashboards and results, so paths
relative to this file are the checkout's own.
"""

from __future__ import annotations

import os
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = BENCHMARKS_DIR.parent


def with_bench_path(env: dict[str, str]) -> dict[str, str]:
    """`env` with benchmarks/ first on PYTHONPATH, so `python -m leerdata_bench.x` works
    in a child whatever its working directory."""
    inherited = env.get("PYTHONPATH")
    parts = [str(BENCHMARKS_DIR), *([inherited] if inherited else [])]
    return {**env, "PYTHONPATH": os.pathsep.join(parts)}
