"""Replay dbt's compiled SQL in one DuckDB connection: the build without dbt.

`leerdata build` = Python start-up + dbt parse/compile/scheduling + DuckDB execution +
disclosure audit + publish. Executing the very statements dbt ran (D/dbt/target/run/**)
on a copy of the restricted database as it was before the build, in the order dbt
finished them, gives the DuckDB share; the rest is overhead.

Every run file is executed as dbt's materialisation wrote it, except that the
`__dbt_tmp` suffix is dropped (dbt renames the temporary relation afterwards); a relation
a previous build left behind is dropped first, so a built restricted database works as a
snapshot too. Python models are loaded and called the way
dbt-duckdb does. Unit tests have no run file (they are dbt's own fixtures) and are
counted as dbt overhead.

    python -m leerdata_bench.replay --data-dir D --snapshot S --work W --out result.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
import types
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from leerdata.config import DataPaths, duckdb_memory_limit, load_settings
from leerdata.ingest.schema import create_raw_tables
from leerdata.privacy.udf import register_build_functions
from leerdata.retention.tables import ensure_retention_tables

TMP_SUFFIX = "__dbt_tmp"


def run_file(target: Path, node: dict[str, Any]) -> Path | None:
    """The file under target/run/ holding what dbt executed for this node."""
    base = target / "run" / node["package_name"] / node["original_file_path"]
    for candidate in (base, base / Path(node.get("path", "")).name):
        if candidate.is_file():
            return candidate
    return None


def executed_nodes(target: Path) -> list[tuple[dict[str, Any], float]]:
    """(manifest node, dbt's execution_time) in the order dbt finished them.

    A node is only started after all its parents finished, so completion order is a
    valid topological order for a sequential replay.
    """
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    return [
        (nodes[r["unique_id"]], float(r.get("execution_time") or 0.0))
        for r in results
        if r["unique_id"] in nodes
    ]


def _python_model(con: duckdb.DuckDBPyConnection, name: str, code: str) -> None:
    module = types.ModuleType(f"replay_{name}")
    exec(compile(code, f"<replay {name}>", "exec"), module.__dict__)  # dbt's own compiled model
    dbt = module.dbtObj(lambda table: con.query(f"select * from {table}"))
    frame = module.model(dbt, con)
    module.materialize(frame, con if isinstance(frame, duckdb.DuckDBPyRelation) else con.cursor())


def _drop_existing(con: duckdb.DuckDBPyConnection, node: dict[str, Any]) -> None:
    """Drop the node's relation if a previous build left it (dbt would rename over it)."""
    found = con.execute(
        "select table_type from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [node["database"], node["schema"], node.get("alias") or node["name"]],
    ).fetchall()
    if found:
        kind = "view" if found[0][0] == "VIEW" else "table"
        relation = f'"{node["database"]}"."{node["schema"]}"."{node.get("alias") or node["name"]}"'
        con.execute(f"drop {kind} {relation}").fetchall()


def _execute(con: duckdb.DuckDBPyConnection, node: dict[str, Any], text: str) -> None:
    kind = node["resource_type"]
    if kind in {"model", "seed"}:
        _drop_existing(con, node)
    if kind == "model" and node.get("language") == "python":
        _python_model(con, node["name"], text.replace(TMP_SUFFIX, ""))
    elif kind == "test":
        con.execute(text).fetchall()
    else:  # seed or SQL model: DDL/DML, possibly several statements
        con.execute(text.replace(TMP_SUFFIX, "")).fetchall()


def replay(paths: DataPaths, snapshot: Path, work: Path) -> dict[str, Any]:
    """Execute the run files on a copy of `snapshot`; seconds per node and per kind."""
    target = paths.dbt_target
    nodes = executed_nodes(target)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    # The catalog name comes from the file name: dbt's SQL says "restricted"."main"….
    restricted = work / "restricted.duckdb"
    shutil.copyfile(snapshot, restricted)
    reporting = work / "reporting.duckdb"

    started = time.perf_counter()
    # the settings of the build's profile, so both run DuckDB alike
    config: dict[str, str | bool | int | float | list[str]] = {
        "preserve_insertion_order": False,
        "memory_limit": duckdb_memory_limit("build"),
    }
    con = duckdb.connect(str(restricted), config=config)
    con.execute(f"attach '{reporting}' as reporting")
    register_build_functions(con)
    # as `leerdata build` does before dbt: the retention tables exist only from a build on
    create_raw_tables(con)
    ensure_retention_tables(con)
    connect_seconds = time.perf_counter() - started

    per_kind: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    per_node: list[dict[str, Any]] = []
    missing: list[str] = []
    for node, dbt_seconds in nodes:
        kind = node["resource_type"]
        if kind == "model" and node.get("language") == "python":
            kind = "python_model"
        path = run_file(target, node) if kind != "unit_test" else None
        if path is None:
            if kind != "unit_test":
                missing.append(node["unique_id"])
            count[f"{kind}_not_replayed"] += 1
            continue
        began = time.perf_counter()
        _execute(con, node, path.read_text())
        seconds = time.perf_counter() - began
        per_kind[kind] += seconds
        count[kind] += 1
        per_node.append(
            {
                "unique_id": node["unique_id"],
                "kind": kind,
                "replay_seconds": round(seconds, 4),
                "dbt_execution_seconds": round(dbt_seconds, 4),
            }
        )
    con.execute("checkpoint")
    con.close()
    sql_seconds = time.perf_counter() - started

    # The disclosure audit is part of `leerdata build` but not of dbt: time it apart.
    from leerdata.sdc.published import audit_reporting

    began = time.perf_counter()
    findings = audit_reporting(reporting, load_settings(paths.root).disclosure.min_cell_size)
    audit_seconds = time.perf_counter() - began
    per_node.sort(key=lambda n: n["replay_seconds"], reverse=True)
    return {
        "replay_seconds": round(sql_seconds, 3),
        "connect_seconds": round(connect_seconds, 3),
        "seconds_by_kind": {k: round(v, 3) for k, v in sorted(per_kind.items())},
        "nodes_by_kind": dict(sorted(count.items())),
        "missing_run_files": missing,
        "audit_seconds": round(audit_seconds, 3),
        "audit_findings": len(findings),
        "slowest_nodes": per_node[:10],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--snapshot", required=True, type=Path, help="restricted db before build")
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    result = replay(DataPaths.of(args.data_dir), args.snapshot, args.work)
    shutil.rmtree(args.work, ignore_errors=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
