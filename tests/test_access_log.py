"""The dashboards' access log: who opened which page or export when, nothing else, and
nothing older than the retention period."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import access_log, data
from dashboards.roles import Scope
from leerdata.config import DataPaths, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]

APP = REPO_ROOT / "dashboards" / "app.py"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_retention_period_is_a_setting() -> None:
    assert load_settings().access_log.retention_days == 365


def test_old_lines_are_pruned_and_the_file_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    (tmp_path / "leerdata.toml").write_text("[access_log]\nretention_days = 30\n")
    monkeypatch.setattr(access_log, "_pruned_on", [])
    path = access_log.log_file(DataPaths.of(tmp_path))
    access_log.record(
        "a@x.nl",
        "finance",
        Scope.of(["OCW"]),
        "page",
        page="verrekening",
        now=NOW - timedelta(days=31),
    )
    monkeypatch.setattr(access_log, "_pruned_on", [])  # a new day in a new process
    access_log.record(
        "b@x.nl",
        "management",
        Scope.everything(),
        "export",
        export="afrekening_OCW_2026-Q2.csv",
        now=NOW,
    )
    kept = entries(path)
    assert [e["user"] for e in kept] == ["b@x.nl"]
    assert kept[0] == {
        "at": NOW.isoformat(timespec="seconds"),
        "user": "b@x.nl",
        "role": "management",
        "departments": "*",
        "event": "export",
        "page": None,
        "export": "afrekening_OCW_2026-Q2.csv",
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_opening_pages_is_logged_once_per_page_without_results(
    tiny_warehouse: DataPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The log goes to the data dir's logs/: use a copy-free data dir whose warehouse is
    # the tiny one, so the shared fixture stays untouched.
    root = tmp_path / "data"
    (root / "warehouse").mkdir(parents=True)
    (root / "warehouse" / "reporting.duckdb").symlink_to(tiny_warehouse.reporting_db)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(root))
    monkeypatch.setenv("LEERDATA_DEMO", "1")
    data.close_connections()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["leerdata_test"] = "demo"
    at.run()
    at.sidebar.selectbox(key="demo_role").set_value("finance").run()
    at.switch_page("app_pages/verrekening.py").run()
    at.run()  # a rerun of the same page is not a new opening
    assert not at.exception
    data.close_connections()
    logged = entries(root / "logs" / "access.log")
    pages = [(e["user"], e["role"], e["page"]) for e in logged if e["event"] == "page"]
    assert pages == [
        ("demo", "management", "overzicht"),
        ("demo", "finance", "overzicht"),
        ("demo", "finance", "verrekening"),
    ]
    assert set().union(*(e.keys() for e in logged)) == {
        "at",
        "user",
        "role",
        "departments",
        "event",
        "page",
        "export",
    }


# Appends `count` page lines as user `<name>@x.nl` (no pruning: that is the pruner's).
WRITER = """
import sys
from datetime import UTC, datetime
from dashboards import access_log
from dashboards.roles import Scope

name, count = sys.argv[1], int(sys.argv[2])
access_log._pruned_on[:] = [datetime.now(UTC).date()]
print("ready", flush=True)
sys.stdin.readline()
for i in range(count):
    access_log.record(f"{name}@x.nl", "finance", Scope.everything(), "page", page=f"p{i}")
"""

# Until the stop file exists: append a line a year old and prune it away again, so the
# log is read and replaced over and over while the writers append.
PRUNER = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from dashboards import access_log
from dashboards.roles import Scope

stop = Path(sys.argv[1])
path = access_log.log_file()
now = datetime.now(UTC)
access_log._pruned_on[:] = [now.date(), (now - timedelta(days=400)).date()]
print("ready", flush=True)
sys.stdin.readline()
rounds = 0
while not stop.exists():
    access_log.record("old@x.nl", "finance", Scope.everything(), "page", page="old",
                      now=now - timedelta(days=400))
    access_log.prune(path, 30, now)
    rounds += 1
print(rounds, flush=True)
"""


def test_no_line_is_lost_when_dashboard_processes_write_and_prune_at_once(
    tmp_path: Path,
) -> None:
    """Two dashboard servers on one data dir: one prunes the log (read, keep the recent
    lines, replace the file) while the others append. A line appended between the read
    and the replace used to be dropped with the old file; every line must stay."""
    import os
    import subprocess
    import sys

    env = {**os.environ, data.DATA_DIR_ENV: str(tmp_path)}
    stop = tmp_path / "stop"
    count = 300

    def start(script: str, *arguments: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", script, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        return process

    pruner = start(PRUNER, str(stop))
    writers = [start(WRITER, f"w{n}", str(count)) for n in range(3)]
    for process in [pruner, *writers]:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    for writer in writers:
        assert writer.wait(timeout=300) == 0
    stop.touch()
    rounds, _ = pruner.communicate(timeout=300)
    assert pruner.returncode == 0
    assert int(rounds) >= 20, f"the pruner ran only {rounds} rounds beside the writers"

    users = [e["user"] for e in entries(access_log.log_file(DataPaths.of(tmp_path)))]
    assert {f"w{n}@x.nl": users.count(f"w{n}@x.nl") for n in range(3)} == {
        f"w{n}@x.nl": count for n in range(3)
    }
    assert users.count("old@x.nl") <= 1  # at most the one appended after the last prune
