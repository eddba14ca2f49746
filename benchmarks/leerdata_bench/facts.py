"""Facts read back after a step: ingest time per source, dbt's per-node timings.

The ingest facts need DuckDB, so the harness asks for them in a subprocess
(`python -m leerdata_bench.facts ingest D`) and stays small itself: a child's peak RSS
starts at its parent's size when it is forked.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from leerdata.config import DataPaths

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# dbt.log: "… 12 of 300 OK created sql table model main.stg_x ..... [OK in 3.21s]"
LOG_RESULT = re.compile(
    r"\d+ of \d+ (?:OK|ERROR|PASS|FAIL|WARN)\S* .*?(?:model|seed|test) (?P<name>[\w.]+) "
    r".*\[\S+ in (?P<seconds>[\d.]+)s\]"
)


def ingest_by_source(paths: DataPaths, since_batch: int = 0) -> dict[str, dict[str, float]]:
    """Per source: files, rows read and seconds of the files loaded after `since_batch`."""
    import duckdb

    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        rows = con.execute(
            "select coalesce(source, 'unknown'), count(*), sum(rows_read), sum(seconds) "
            "from load_manifest where batch_id > ? group by 1 order by 4 desc",
            [since_batch],
        ).fetchall()
    return {
        source: {"files": files, "rows_read": int(read or 0), "seconds": round(float(s or 0), 3)}
        for source, files, read, s in rows
    }


def max_batch(paths: DataPaths) -> int:
    import duckdb

    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        ((top,),) = con.execute("select coalesce(max(batch_id), 0) from load_manifest").fetchall()
    return int(top)


def dbt_run_facts(paths: DataPaths, top: int = 10) -> dict[str, Any] | None:
    """dbt's own view of the last invocation (target/run_results.json)."""
    results_file = paths.dbt_target / "run_results.json"
    if not results_file.exists():
        return None
    data = json.loads(results_file.read_text())
    nodes = []
    phases = {"compile": 0.0, "execute": 0.0}
    for result in data.get("results", []):
        entry = {
            "unique_id": result["unique_id"],
            "status": result.get("status"),
            "execution_seconds": round(float(result.get("execution_time") or 0.0), 3),
        }
        for timing in result.get("timing", []):
            if (
                timing.get("name") in phases
                and timing.get("started_at")
                and timing.get("completed_at")
            ):
                from datetime import datetime

                began = datetime.fromisoformat(timing["started_at"].replace("Z", "+00:00"))
                ended = datetime.fromisoformat(timing["completed_at"].replace("Z", "+00:00"))
                seconds = (ended - began).total_seconds()
                phases[timing["name"]] += seconds
                entry[f"{timing['name']}_seconds"] = round(seconds, 3)
        nodes.append(entry)
    nodes.sort(key=lambda n: n["execution_seconds"], reverse=True)
    kinds: dict[str, int] = {}
    for node in nodes:
        kind = node["unique_id"].split(".", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "run_phase_seconds": round(float(data.get("elapsed_time") or 0.0), 3),
        "nodes": len(nodes),
        "nodes_by_kind": kinds,
        "sum_compile_seconds": round(phases["compile"], 3),
        "sum_execute_seconds": round(phases["execute"], 3),
        "slowest": nodes[:top],
        "all_execution_seconds": {n["unique_id"]: n["execution_seconds"] for n in nodes},
    }


def dbt_log_timings(paths: DataPaths, top: int = 10) -> list[dict[str, Any]]:
    """Per-node seconds from dbt.log: what is left when a build was stopped early."""
    log = paths.dbt_logs / "dbt.log"
    if not log.exists():
        return []
    text = ANSI.sub("", log.read_text(errors="replace"))
    last_invocation = text.rsplit("Running with dbt=", 1)[-1]  # the log appends
    found = [
        {"name": m["name"], "seconds": float(m["seconds"])}
        for m in map(LOG_RESULT.search, last_invocation.splitlines())
        if m
    ]
    return sorted(found, key=lambda n: n["seconds"], reverse=True)[:top]


def main() -> None:
    what, data_dir = sys.argv[1], Path(sys.argv[2])
    paths = DataPaths.of(data_dir)
    if what == "ingest":
        since = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        print(json.dumps(ingest_by_source(paths, since)))
    elif what == "max-batch":
        print(json.dumps(max_batch(paths)))
    else:
        raise SystemExit(f"unknown fact {what!r}")


if __name__ == "__main__":
    main()
