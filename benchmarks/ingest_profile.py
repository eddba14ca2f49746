"""Where a full ingest spends its time: cProfile over `leerdata ingest` in one process.

    LEERDATA_KEY_FILE=... .venv/bin/python benchmarks/ingest_profile.py DATA_DIR [N]

Ingests DATA_DIR (its warehouse/ must not exist yet: a profile of a no-op is useless)
and prints the N (default 30) functions with the most cumulative time, then the
manifest's seconds per source. cProfile slows Python-heavy code (UBL parsing) more
than DuckDB's, so read the split, not the total.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from pathlib import Path

import duckdb

from leerdata.config import DataPaths
from leerdata.ingest.runner import run_ingest


def main() -> None:
    root = Path(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    paths = DataPaths(root)
    if paths.restricted_db.exists():
        sys.exit(f"{paths.restricted_db} exists: remove {root / 'warehouse'} first")
    profile = cProfile.Profile()
    profile.runcall(run_ingest, paths, False)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(top)
    con = duckdb.connect(str(paths.restricted_db), read_only=True)
    con.sql(
        "select source, count(*) as files, sum(rows_read) as rows, "
        "round(sum(seconds), 1) as seconds from load_manifest group by 1 order by 4 desc"
    ).show()


if __name__ == "__main__":
    main()
