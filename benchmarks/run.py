"""Benchmark the leerdata pipeline at one scale: `make bench SCALE=medium`.

    .venv/bin/python benchmarks/run.py --scale small [--runs N] [--seed N] [--steps ...]

Measures generate, full ingest, full build, the dbt/DuckDB split, research release,
every dashboard page, and one extra landing day's ingest and build — each as a
subprocess with its wall time and peak RSS — and writes
benchmarks/results/<scale>-<timestamp>.json. See leerdata_bench.harness.
"""

from __future__ import annotations

from leerdata_bench.harness import main

if __name__ == "__main__":
    main()
