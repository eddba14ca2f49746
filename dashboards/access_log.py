"""The access log: who opened which page or export, when — for the data steward.

One JSON line per event in `<data-dir>/logs/access.log` (mode 0600, beside the other
steward logs): time (UTC), user (the login e-mail, or "demo"), role, departments,
event (`page`, `export`, `refused`), and the page or file name. Never a query, a filter
value or a result. Lines older than `[access_log] retention_days` (config/leerdata.toml)
are removed when a dashboard process writes its first line of the day.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import streamlit as st

from dashboards.roles import Scope
from leerdata.config import DataPaths, load_settings

ACCESS_LOG_NAME = "access.log"
# The signed-in viewer (user, role, scope) for the export callbacks, set by auth.py.
WHO_STATE_KEY = "_leerdata_viewer"
LAST_PAGE_STATE_KEY = "_leerdata_logged_page"

_lock = threading.Lock()
_pruned_on: list[date] = []


def _paths() -> DataPaths:
    from dashboards import data  # the data dir the dashboards read

    return data.data_paths()


def log_file(paths: DataPaths | None = None) -> Path:
    return (paths or _paths()).logs / ACCESS_LOG_NAME


def prune(path: Path, retention_days: int, now: datetime) -> int:
    """Drop lines older than the retention period; returns how many were dropped."""
    if not path.exists():
        return 0
    cutoff = now - timedelta(days=retention_days)
    kept, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            at = datetime.fromisoformat(json.loads(line)["at"])
        except (ValueError, KeyError, TypeError):
            kept.append(line)  # not ours to judge: keep it for the steward to see
            continue
        if at < cutoff:
            dropped += 1
        else:
            kept.append(line)
    if dropped:
        fresh = path.with_suffix(".log.tmp")
        fresh.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
        fresh.chmod(0o600)
        os.replace(fresh, path)
    return dropped


def record(
    user: str,
    role: str | None,
    scope: Scope,
    event: str,
    *,
    page: str | None = None,
    export: str | None = None,
    now: datetime | None = None,
) -> None:
    paths = _paths()
    path = log_file(paths)
    now = now or datetime.now(UTC)
    entry = {
        "at": now.isoformat(timespec="seconds"),
        "user": user,
        "role": role,
        "departments": scope.label(),
        "event": event,
        "page": page,
        "export": export,
    }
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        if now.date() not in _pruned_on:
            prune(path, load_settings(paths.root).access_log.retention_days, now)
            _pruned_on[:] = [now.date()]
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _viewer() -> tuple[str, str, Scope] | None:
    viewer = st.session_state.get(WHO_STATE_KEY)
    return viewer if isinstance(viewer, tuple) else None


def page_opened(page: str) -> None:
    """Log a page when the session opens it (not on every rerun of the same page)."""
    viewer = _viewer()
    if viewer is None or st.session_state.get(LAST_PAGE_STATE_KEY) == (viewer, page):
        return
    st.session_state[LAST_PAGE_STATE_KEY] = (viewer, page)
    user, role, scope = viewer
    record(user, role, scope, "page", page=page)


def export_downloaded(file_name: str) -> None:
    """A download button's on_click: log the file the viewer took."""
    viewer = _viewer()
    if viewer is not None:
        user, role, scope = viewer
        record(user, role, scope, "export", export=file_name)
