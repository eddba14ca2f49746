"""The access log: who opened which page or export, when — for the data steward.

One JSON line per event in `<data-dir>/logs/access.log` (mode 0600, beside the other
steward logs): time (UTC), user (the login e-mail, or "demo"), role, departments,
event (`page`, `export`, `refused`), and the page or file name. Never a query, a filter
value or a result. Lines older than `[access_log] retention_days` (config/leerdata.toml)
are removed when a dashboard process writes its first line of the day. Appending and
pruning hold a kernel lock beside the log, so dashboard processes sharing a data dir
never drop each other's lines.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import streamlit as st

from dashboards.roles import Scope
from leerdata.atomic_file import write_atomically
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


@contextmanager
def _sole_writer(path: Path) -> Iterator[None]:
    """A kernel lock (flock) on `.access.log.lock` beside the log, held to append or to
    prune. Every dashboard process on the data dir takes it: a prune reads the log and
    replaces it, and a line another process appended in between went with the old file.
    The kernel drops a dead process's lock, kill -9 included."""
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def prune(path: Path, retention_days: int, now: datetime) -> int:
    """Drop lines older than the retention period; returns how many were dropped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, _sole_writer(path):
        return _prune(path, retention_days, now)


def _prune(path: Path, retention_days: int, now: datetime) -> int:
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
    if dropped:  # private from its first byte, on disk before it replaces the log
        write_atomically(path, "".join(f"{line}\n" for line in kept).encode(), mode=0o600)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, _sole_writer(path):
        if now.date() not in _pruned_on:
            _prune(path, load_settings(paths.root).access_log.retention_days, now)
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
