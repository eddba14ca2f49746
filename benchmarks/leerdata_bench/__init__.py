"""Benchmark harness: each pipeline step as a measured subprocess, targets, results.

`benchmarks/run.py` is the entry point; the modules here do one job each (machine facts,
measuring a subprocess, writing an extra landing day, replaying dbt's SQL, timing the
dashboard pages, judging targets).
"""
