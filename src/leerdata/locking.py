"""One write lock per data directory, held by every command that writes.

The lock is a kernel lock (flock) on `<data-dir>/warehouse/write.lock`. The kernel
releases it when the holding process ends in any way, kill -9 included, so there is no
stale lock to clean up: a lock file left behind by a crash is just a file, and the next
command takes the lock at once. The file's text names the holder (command, pid, start
time) so a refused command can say what it is waiting for; the text is never what
decides whether the lock is held.

The lock is re-entrant within one process: `erase` holds it and calls `build`, which
asks for it again.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from leerdata.config import DataPaths
from leerdata.errors import LeerdataError

LOCK_FILE_NAME = "write.lock"


class WarehouseBusyError(LeerdataError):
    """Another command holds the data directory's write lock."""


@dataclass
class _Held:
    fd: int
    depth: int
    command: str


_held: dict[Path, _Held] = {}
_held_guard = threading.Lock()


def lock_path(paths: DataPaths) -> Path:
    return paths.warehouse / LOCK_FILE_NAME


def holder_of(paths: DataPaths) -> str:
    """What the lock file says about its last holder (may be stale: only flock decides)."""
    try:
        text = lock_path(paths).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return text


def is_outermost(paths: DataPaths) -> bool:
    """True when this process holds the lock exactly once (the command's own level)."""
    held = _held.get(lock_path(paths))
    return held is not None and held.depth == 1


@contextmanager
def write_lock(paths: DataPaths, command: str) -> Iterator[None]:
    """Hold the data directory's write lock; refuse at once when another process has it."""
    path = lock_path(paths)
    with _held_guard:
        held = _held.get(path)
        if held is not None:
            held.depth += 1
    if held is not None:
        try:
            yield
        finally:
            with _held_guard:
                held.depth -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        holder = holder_of(paths) or "another leerdata command"
        raise WarehouseBusyError(
            f"{paths.root} is busy: {holder} holds the write lock ({path}); "
            f"`{command}` did not start - run it again when that command has finished"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    try:
        started = datetime.now().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"`{command}` (pid {os.getpid()}, since {started})\n".encode(), 0)
        with _held_guard:
            _held[path] = _Held(fd, 1, command)
        try:
            yield
        finally:
            with _held_guard:
                _held.pop(path, None)
    finally:
        # Closing the descriptor releases the flock; the file (and its text) stays, and
        # means nothing once no process holds the lock.
        os.close(fd)
