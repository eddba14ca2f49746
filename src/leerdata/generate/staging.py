"""Generated data appears whole or not at all.

`generate` writes landing/ and truth/ under `<data-dir>/.generating/` and moves them into
place only when every file is written: truth/ first, then landing/. The rename of
landing/ is the commit: `demo` and a second `generate` look at landing/ alone, so a
generate killed at any moment leaves either no landing files or all of them, never the
first few hundred of a few thousand, which `demo` would otherwise ingest as if they
were the whole data set.

Every file and folder is flushed to disk before the first rename, and the data
directory after the last, so a power loss too leaves whole files or none.

A killed run leaves its staging folder behind (and, killed between the two renames, a
truth/ beside an empty landing/); the next `generate` removes both before it starts.
The folder is removed on an ordinary error too. The callers hold the data directory's
write lock, so two generates never write into one staging folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from leerdata.atomic_file import fsync_path, fsync_tree
from leerdata.config import DataPaths
from leerdata.errors import LeerdataError

STAGING_NAME = ".generating"


@dataclass(frozen=True)
class StagedOutput:
    """Where a generate run writes before the commit."""

    landing: Path
    truth: Path


def staging_dir(paths: DataPaths) -> Path:
    return paths.root / STAGING_NAME


def holds_files(folder: Path) -> bool:
    return folder.exists() and any(p.is_file() for p in folder.rglob("*"))


@contextmanager
def staged_output(paths: DataPaths) -> Iterator[StagedOutput]:
    """Yield the staging folders; move them into place when the block ends normally."""
    if holds_files(paths.landing):
        raise LeerdataError(
            f"{paths.landing} already holds files; generate into an empty data directory"
        )
    if paths.landing.is_symlink() or (paths.landing.exists() and not paths.landing.is_dir()):
        # the finished landing/ is renamed into place, which a link or a file would block
        # (and a link may point to another file system, where no rename reaches)
        raise LeerdataError(
            f"{paths.landing} is a link or a file; generate writes a landing folder of its "
            "own: use a data directory without one"
        )
    staging = staging_dir(paths)
    _remove(staging)  # left by a generate that was killed before its commit
    output = StagedOutput(landing=staging / "landing", truth=staging / "truth")
    output.landing.mkdir(parents=True)
    output.truth.mkdir(parents=True)
    try:
        yield output
    except BaseException:
        _remove(staging)
        raise
    fsync_tree(staging)
    _commit(output, paths)
    staging.rmdir()
    fsync_path(paths.root)


def _commit(output: StagedOutput, paths: DataPaths) -> None:
    # landing/ holds no files (checked above, under the write lock): what is there is
    # empty folders, or a truth/ of a run killed between these two renames
    _remove(paths.truth)
    output.truth.rename(paths.truth)
    _remove(paths.landing)
    output.landing.rename(paths.landing)


def _remove(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
