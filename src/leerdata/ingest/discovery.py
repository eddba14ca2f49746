"""Which files are in the landing zone and what kind each one is.

A file is a CSV of one contract source, a UBL invoice, or unknown. Dot-files (editor
swap files, `.DS_Store`, a delivery still being written as `.name.tmp`) are not
deliveries and are left alone. Only regular files inside landing/ are deliveries: a
symbolic link (which could point anywhere, /etc/passwd included), a pipe, socket or
device is rejected unread, as is a file above the size limit; the walk never follows a
link into another directory.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from leerdata.contract import (
    INVOICE_FILE_PATTERN,
    INVOICE_FOLDER,
    CsvSource,
    csv_source_for,
)

INVOICES_SOURCE = "invoices"
_ANY_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")


@dataclass(frozen=True)
class Rejection:
    """A landing entry quarantined unread: its reason, a detail, and a fingerprint that
    tells the same entry on the next run (so it is quarantined once, not every run)."""

    reason: str  # NOT_A_REGULAR_FILE | FILE_TOO_LARGE
    detail: str
    fingerprint: str


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "not a regular file"


def rejection_for(path: Path, st: os.stat_result, max_file_bytes: int) -> Rejection | None:
    """Why an entry (from lstat or fstat) is not read, or None when it may be read."""
    if not stat.S_ISREG(st.st_mode):
        kind = _kind(st.st_mode)
        # A link is told apart by where it points; that text is never followed.
        target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ""
        return Rejection("NOT_A_REGULAR_FILE", kind, f"{kind}:{target}")
    if st.st_size > max_file_bytes:
        return Rejection(
            "FILE_TOO_LARGE",
            f"{st.st_size} bytes, limit {max_file_bytes}",
            f"size:{st.st_size}:{st.st_mtime_ns}",
        )
    return None


@dataclass(frozen=True)
class FileStatus:
    """What a listing tells about a file without opening it (leerdata.ingest.file_stats)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStatus:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_name: str  # posix path relative to landing/, as stored in the warehouse
    csv_source: CsvSource | None
    is_invoice: bool
    file_date: date | None
    unknown_reason: str | None  # why the name matches no pattern (None when it does)
    rejection: Rejection | None = None  # rejected before reading (type or size)
    size: int = 0  # bytes when listed (what groups small files into one transaction)
    status: FileStatus | None = None  # as listed: tells an unchanged file without reading it

    @property
    def source_name(self) -> str | None:
        if self.csv_source is not None:
            return self.csv_source.name
        return INVOICES_SOURCE if self.is_invoice else None


def parse_yyyymmdd(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def classify(landing: Path, path: Path) -> LandingFile:
    relative = path.relative_to(landing)
    relative_name = relative.as_posix()
    folder = relative.parent.as_posix()
    name = relative.name

    source = csv_source_for(folder, name)
    if source is not None:
        match = source.match(name)
        assert match is not None
        file_date = parse_yyyymmdd(match.group("date"))
        if file_date is None:
            return LandingFile(path, relative_name, None, False, None, "invalid date in name")
        return LandingFile(path, relative_name, source, False, file_date, None)

    if folder == INVOICE_FOLDER and re.fullmatch(INVOICE_FILE_PATTERN, name):
        # Invoice names carry no contract date; use one when the supplier put it there.
        found = _ANY_DATE.search(name)
        file_date = parse_yyyymmdd(found.group(1)) if found else None
        return LandingFile(path, relative_name, None, True, file_date, None)

    return LandingFile(path, relative_name, None, False, None, "name matches no pattern")


def _entries(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """Every non-directory entry below `folder`, without following any link."""
    found: list[tuple[Path, os.stat_result]] = []
    with os.scandir(folder) as scan:
        for entry in scan:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                found.extend(_entries(path))
            else:
                found.append((path, entry.stat(follow_symlinks=False)))
    return found


def discover(landing: Path, max_file_bytes: int | None = None) -> list[LandingFile]:
    """Every delivery under landing/, in a stable order (folder, then name)."""
    limit = max_file_bytes if max_file_bytes is not None else 2**63
    out = []
    for path, st in sorted(_entries(landing)):
        file = replace(classify(landing, path), size=st.st_size, status=FileStatus.of(st))
        rejection = rejection_for(path, st, limit)
        if rejection is not None:
            file = replace(file, csv_source=None, is_invoice=False, rejection=rejection)
        out.append(file)
    return out
