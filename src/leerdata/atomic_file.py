"""Files a reader never finds half written: written beside their place, then renamed.

A command killed while writing leaves the file it replaces as it was (and a hidden
`.<name>.*.partial` beside it), never a truncated statement or export under the name a
clerk sends on. The next write into that folder removes such leftovers: a subject-access
export's holds the person's data.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# mkstemp's names below: "." + the file's name + "." + 8 random characters + ".partial"
_PARTIAL = re.compile(r"^\..+\.[a-z0-9_]{8}\.partial$")


def _default_mode() -> int:
    """The mode an ordinary open() would give a new file (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(out: Path, data: bytes, mode: int | None = None) -> Path:
    """Write `data` to `out` in one rename; `mode` as given (e.g. 0o600) or by umask."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with _sole_writer_in(out.parent):
        remove_unfinished(out.parent)
        fd, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        try:
            os.fchmod(fd, _default_mode() if mode is None else mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())  # on disk before the rename makes it the file
            os.replace(partial, out)
        finally:
            Path(partial).unlink(missing_ok=True)
        fsync_path(out.parent)  # the rename itself survives a power cut
    return out


@contextmanager
def _sole_writer_in(folder: Path) -> Iterator[None]:
    """A kernel lock (flock) on the folder for the whole write: every writer through
    this module holds it, so a `.partial` found while holding it belongs to a writer
    that died (the kernel drops a dead process's lock, kill -9 included)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_unfinished(folder: Path) -> list[Path]:
    """Delete the partial files interrupted writes left in `folder`. Call only while
    holding `_sole_writer_in(folder)`."""
    left = [p for p in folder.iterdir() if _PARTIAL.match(p.name) and p.is_file()]
    for path in left:
        path.unlink(missing_ok=True)
    return left


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under `folder` (and `folder` itself) to disk, so a
    rename that publishes the folder never outlives its contents in a power cut."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        fsync_path(path)
    fsync_path(folder)


def fsync_path(path: Path) -> None:
    """Flush one file, or a folder's entries (a rename in it), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
