"""Reading a landing file: never through a link, never past the size limit, and a large
CSV in chunks (hashed first, hashed again as it is loaded)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from leerdata.ingest.csv_chunks import Chunk, record_chunks
from leerdata.ingest.discovery import Rejection, rejection_for


class FileGrew(RuntimeError):
    """The file grew past the size limit after it was listed."""


def open_landing(path: Path, max_file_bytes: int) -> int | Rejection:
    """A descriptor on the file, never through a link (the caller closes it).

    Discovery already rejected links and large files by lstat; this re-checks on the
    open descriptor, so a file swapped for a link (or grown) in between is not read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    rejection = rejection_for(path, os.fstat(fd), max_file_bytes)
    if rejection is not None:
        os.close(fd)
        return rejection
    return fd


def grown(max_file_bytes: int) -> Rejection:
    return Rejection("FILE_TOO_LARGE", f"grew past {max_file_bytes} bytes", "grown")


def read_landing(path: Path, max_file_bytes: int) -> bytes | Rejection:
    """The file's bytes, never through a link and never more than the limit."""
    fd = open_landing(path, max_file_bytes)
    if isinstance(fd, Rejection):
        return fd
    try:
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(max_file_bytes + 1)
    finally:
        os.close(fd)
    if len(raw) > max_file_bytes:
        return grown(max_file_bytes)
    return raw


class ChunkedLanding:
    """A large CSV read twice from one descriptor: once for its hash (is it new?), then
    in chunks to load it. The second read is hashed too, and `changed` tells whether
    the bytes loaded are the bytes first hashed (a file rewritten in between is rolled
    back and retried on the next run)."""

    BLOCK = 8 * 1024 * 1024

    def __init__(self, fd: int, max_file_bytes: int) -> None:
        self.fd, self.limit = fd, max_file_bytes
        self.size, self.sha = self._hash()
        self._loaded = hashlib.sha256()

    def _hash(self) -> tuple[int, str]:
        sha, offset = hashlib.sha256(), 0
        while block := os.pread(self.fd, self.BLOCK, offset):
            sha.update(block)
            offset += len(block)
        return offset, sha.hexdigest()

    def chunks(self, chunk_bytes: int) -> Iterator[Chunk]:
        offset = 0

        def read(n: int) -> bytes:
            nonlocal offset
            block = os.pread(self.fd, n, offset)
            offset += len(block)
            self._loaded.update(block)
            return block

        return record_chunks(read, chunk_bytes)

    def whole(self) -> bytes:
        raw = os.pread(self.fd, self.limit + 1, 0)
        if len(raw) > self.limit:
            raise FileGrew(f"grew past {self.limit} bytes")
        self._loaded = hashlib.sha256(raw)
        return raw

    @property
    def changed(self) -> bool:
        return self._loaded.hexdigest() != self.sha
