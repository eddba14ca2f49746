"""Landing files known to be unchanged without reading them.

A day's ingest read and hashed every landing file to find the new ones: at `rijk`
13k files and 4.5 GB, most of a day's ingest. Now the hash of every file read is kept
with the file's status as listed (size, modification and status-change times, inode,
device). A file listed with the same status again has the same content, provided its
last change was at least RACY_SECONDS before it was hashed:

- a program can set a file's modification time, but not its status-change time (ctime):
  every write, rename onto it or `touch -r` sets ctime to now;
- file systems keep times in ticks of a few milliseconds: a write in the same tick as
  the hashing could leave the status as it was (git's "racy clean" files). A file that
  changed shortly before it was hashed is read again next time.

Anything else (a new name, any other status, a copied data directory with new inodes)
is read and hashed as before, and its new status recorded. A kill before the record is
written only means those files are read again.
"""

from __future__ import annotations

import time

import duckdb

from leerdata.ingest.discovery import FileStatus, LandingFile

FILE_STATS_TABLE = "landing_file_stats"
RACY_SECONDS = 2


def create_file_stats_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        create table if not exists {FILE_STATS_TABLE} (
            file_name VARCHAR PRIMARY KEY,  -- relative to landing/
            size BIGINT NOT NULL,
            mtime_ns BIGINT NOT NULL,
            ctime_ns BIGINT NOT NULL,
            inode UBIGINT NOT NULL,
            device UBIGINT NOT NULL,
            content_sha256 VARCHAR NOT NULL,
            hashed_at_ns BIGINT NOT NULL  -- when the read that gave the hash began
        )
        """
    )


class KnownFiles:
    """The recorded hashes, and the hashes this run computed (written by `save`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        create_file_stats_table(con)
        rows = con.execute(
            f"select file_name, size, mtime_ns, ctime_ns, inode, device, content_sha256, "
            f"hashed_at_ns from {FILE_STATS_TABLE}"
        ).fetchall()
        self._recorded = {
            name: (FileStatus(size, mtime, ctime, inode, device), sha, hashed_at)
            for name, size, mtime, ctime, inode, device, sha, hashed_at in rows
        }
        self._new: dict[str, tuple[FileStatus, str, int]] = {}

    def sha(self, file: LandingFile) -> str | None:
        """The content hash of `file` if it is certainly unchanged since it was hashed."""
        if file.status is None:
            return None
        recorded = self._recorded.get(file.relative_name)
        if recorded is None:
            return None
        status, sha, hashed_at_ns = recorded
        last_change = max(status.mtime_ns, status.ctime_ns)
        if status != file.status or last_change >= hashed_at_ns - RACY_SECONDS * 10**9:
            return None
        return sha

    @staticmethod
    def now_ns() -> int:
        """Take before reading a file: the moment its hash is valid from."""
        return time.time_ns()

    def hashed(self, file: LandingFile, sha: str, read_started_ns: int) -> None:
        """`file` (as listed) had content `sha` when read from `read_started_ns` on."""
        if file.status is not None:
            self._new[file.relative_name] = (file.status, sha, read_started_ns)

    def save(self, con: duckdb.DuckDBPyConnection) -> None:
        """Record this run's hashes (one transaction; the connection must not be in one)."""
        if not self._new:
            return
        statuses = [status for status, _, _ in self._new.values()]
        columns = [
            list(self._new),
            [status.size for status in statuses],
            [status.mtime_ns for status in statuses],
            [status.ctime_ns for status in statuses],
            [status.inode for status in statuses],
            [status.device for status in statuses],
            [sha for _, sha, _ in self._new.values()],
            [hashed_at for _, _, hashed_at in self._new.values()],
        ]
        # one statement with a list per column: executemany would run one per file
        unnested = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
        con.execute("begin transaction")
        con.execute(f"insert or replace into {FILE_STATS_TABLE} select {unnested}", columns)
        con.execute("commit")
        self._recorded.update(self._new)
        self._new = {}
