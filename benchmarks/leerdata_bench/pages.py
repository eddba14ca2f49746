"""Server-side render time of every dashboard page, with Streamlit's AppTest.

A render is one full script run (frame + page) as the server does it for a browser; no
network or browser time is in it. Per page, the role that may open it is picked and:
- `cold`: query results dropped first (st.cache_data cleared; the DuckDB connection stays
  open) — what the first visitor after a build sees, since every build changes the cache
  key;
- `warm`: the same page run again, with its query results cached.
Each is repeated and the median kept. The data dir comes from LEERDATA_DATA_DIR.

    LEERDATA_DATA_DIR=D python -m leerdata_bench.pages --out pages.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from leerdata_bench.checkout import REPO_ROOT

APP = REPO_ROOT / "dashboards" / "app.py"
TIMEOUT_SECONDS = 600


def _timed_run(at: Any) -> float:
    began = time.perf_counter()
    at.run()
    return time.perf_counter() - began


def _problems(at: Any) -> list[str]:
    return [str(e.message) for e in at.exception] + [str(e.value) for e in at.error]


def time_pages(repeats: int = 3) -> dict[str, Any]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboards import data
    from dashboards.roles import ALL_PAGES, load_roles

    roles = load_roles().roles
    data.close_connections()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_SECONDS)
    at.secrets["leerdata_test"] = "demo"  # own secrets: local demo mode, any role
    first_run = _timed_run(at)  # Python imports, connection open, default page
    pages: dict[str, Any] = {}
    role_now: str | None = None
    for page in ALL_PAGES:
        role = next((name for name in sorted(roles) if page in roles[name].pages), None)
        if role is None:
            pages[page] = {"error": "no role may open this page"}
            continue
        if role != role_now:
            at.sidebar.selectbox(key="demo_role").set_value(role).run()
            role_now = role
        at.switch_page(f"app_pages/{page}.py")
        cold, warm = [], []
        for _ in range(repeats):
            st.cache_data.clear()
            cold.append(_timed_run(at))
            warm.append(_timed_run(at))
        problems = _problems(at)
        pages[page] = {
            "role": role,
            "cold_ms": round(statistics.median(cold) * 1000, 1),
            "warm_ms": round(statistics.median(warm) * 1000, 1),
            "cold_runs_ms": [round(x * 1000, 1) for x in cold],
            "warm_runs_ms": [round(x * 1000, 1) for x in warm],
            "title": at.title[0].value if len(at.title) else None,
            "errors": problems,
        }
    data.close_connections()
    return {"first_app_run_ms": round(first_run * 1000, 1), "repeats": repeats, "pages": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    # The pages are timed in demo mode (any role, every department), as `leerdata demo`
    # serves them; the committed config has it off.
    os.environ["LEERDATA_DEMO"] = "1"
    args.out.write_text(json.dumps(time_pages(args.repeats), indent=2) + "\n")


if __name__ == "__main__":
    main()
