"""Which delivered landing files still hold an erased person's personnel number.

leerdata never deletes or rewrites landing files: they are the deliveries as received
(see README, "Erasure and the landing zone"). After an erasure the steward is told which
files still hold the person, by name only, so they can be removed or replaced at the
source; a re-delivered row would otherwise bring the person back on the next ingest.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from leerdata.config import DataPaths


def landing_files_holding(paths: DataPaths, needle: str) -> list[str]:
    """Landing files (regular, not hidden) whose bytes contain `needle`, relative names."""
    if not needle or not paths.landing.is_dir():
        return []
    wanted = needle.encode()
    found = []
    for folder, dirs, files in os.walk(paths.landing):  # never follows links
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(folder) / name
            if name.startswith(".") or not stat.S_ISREG(path.lstat().st_mode):
                continue
            if _contains(path, wanted):
                found.append(path.relative_to(paths.landing).as_posix())
    return sorted(found)


def _contains(path: Path, wanted: bytes, chunk: int = 1 << 20) -> bool:
    """Streamed, so a large file is never held whole; chunks overlap by the needle."""
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            if wanted in tail + block:
                return True
            tail = block[-(len(wanted) - 1) :] if len(wanted) > 1 else b""
    return False
