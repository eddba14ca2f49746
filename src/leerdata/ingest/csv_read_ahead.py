"""Small CSV files read, hashed and parsed on a thread while the main thread validates
and inserts the files before them.

At `rijk` the main thread was the ingest's critical path once the invoice workers were
done. Reading, hashing, decoding and parsing the 1,365 small CSV files of one rijk
landing (15M records) took 12 s in one thread (read 2.6 s, hash 1.1 s, decode 0.4 s,
parse 7.9 s), and file reads, hashlib, numpy and polars release the GIL, so this work
overlaps DuckDB's validation statements. The thread reads the files in the order the
main thread takes them and stays at most `budget_bytes` of files ahead (what is parsed
and not yet taken is held in memory).

The bytes parsed are the bytes hashed: a file rewritten after the thread read it loads
as it was read, exactly as if the main thread had read it then. A file the thread could
not read (vanished, became a link, grew) is left to the main thread, which reports it
as before.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from leerdata.ingest.csv_loader import CsvContent, csv_content
from leerdata.ingest.discovery import LandingFile, Rejection


@dataclass(frozen=True)
class ReadAhead:
    """A file as the thread read it."""

    sha: str  # of the bytes parsed
    size: int
    read_started_ns: int  # when the read began (file_stats.KnownFiles.hashed)
    content: CsvContent


class CsvReadAhead:
    """Reads `files` in order on a thread; `take` hands each out in that order. `close`
    (contextlib.closing) stops the thread."""

    def __init__(
        self,
        files: list[LandingFile],
        read: Callable[[Path], bytes | Rejection],
        now_ns: Callable[[], int],
        budget_bytes: int,
    ) -> None:
        self._files = files
        self._index = {file.path: i for i, file in enumerate(files)}
        self._read, self._now_ns, self._budget = read, now_ns, budget_bytes
        # read (None: failed), neither taken nor passed; their sizes add up to _ahead_bytes
        self._done: dict[int, ReadAhead | None] = {}
        self._ahead_bytes = 0
        self._next = 0  # the first file not yet taken or passed
        self._stopping = False
        self._finished = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="csv-read-ahead", daemon=True)
        if files:
            self._thread.start()

    def _run(self) -> None:
        try:
            for index, file in enumerate(self._files):
                with self._changed:
                    self._changed.wait_for(partial(self._may_read, file.size))
                    if self._stopping:
                        return
                    if index < self._next:  # the main thread went past it
                        continue
                read = self._read_one(file)
                with self._changed:
                    if index >= self._next:
                        self._done[index] = read
                        self._ahead_bytes += file.size
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def _may_read(self, size: int) -> bool:
        """At least one file ahead, however large; more while within the budget."""
        return self._stopping or self._ahead_bytes == 0 or self._ahead_bytes + size <= self._budget

    def _read_one(self, file: LandingFile) -> ReadAhead | None:
        try:
            started = self._now_ns()
            raw = self._read(file.path)
            if isinstance(raw, Rejection):
                return None  # the main thread reads it and says why
            return ReadAhead(hashlib.sha256(raw).hexdigest(), len(raw), started, csv_content(raw))
        except Exception:  # left to the main thread, which reports it
            return None

    def take(self, file: LandingFile) -> ReadAhead | None:
        """The file as read ahead; None when it was not (the caller reads it). Files
        listed before it and not taken are passed: dropped, or never read."""
        index = self._index.get(file.path)
        if index is None or index < self._next:
            return None
        with self._changed:
            self._pass_until(index)
            self._changed.wait_for(lambda: index in self._done or self._finished)
            read = self._done.get(index)
            self._pass_until(index + 1)
        return read

    def _pass_until(self, end: int) -> None:
        """Drop what was read of the files before `end` (the caller holds the lock)."""
        for index in range(self._next, end):
            if index in self._done:
                del self._done[index]
                self._ahead_bytes -= self._files[index].size
        self._next = max(self._next, end)
        self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join()
        self._done.clear()
