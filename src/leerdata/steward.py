"""What every writing command does first: take the write lock, finish pending work.

`generate`, `ingest`, `build`, `erase`, `retention apply` and `research release` run
inside `writing(paths, command)`. The outermost call takes the data directory's write lock
(leerdata.locking) and then finishes an erasure or retention run that a crash left
half done (leerdata.retention.pending), before the command's own work starts. Nested
calls (erase → build) only re-enter the lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from leerdata.config import DataPaths
from leerdata.locking import is_outermost, write_lock

if TYPE_CHECKING:
    from leerdata.retention.apply import Resumed


@contextmanager
def writing(paths: DataPaths, command: str, show_progress: bool = True) -> Iterator[Resumed | None]:
    """Hold the write lock; yields what a pending erasure finished first, if anything."""
    with write_lock(paths, command):
        resumed = None
        # Imported only when there is work: leerdata.retention loads dbt (seconds).
        if is_outermost(paths) and paths.pending_erasure.exists():
            from leerdata.retention.apply import finish_pending

            resumed = finish_pending(paths, show_progress=show_progress)
        yield resumed
