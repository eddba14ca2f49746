"""`generate` killed at any moment, or started twice: landing/ holds all of a data set
or nothing, and the next run writes it whole (leerdata.generate.staging).

Before the staging folder, a generate killed halfway left a few hundred of a few
thousand landing files; `generate` then refused the folder and `demo` ingested the
part as if it were the data set."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from leerdata.errors import LeerdataError
from leerdata.generate import run_generate
from leerdata.generate.staging import STAGING_NAME

pytestmark = pytest.mark.xdist_group("generate_killed")  # one `reference` per run

LEERDATA = str(Path(sys.executable).with_name("leerdata"))
SCALE, SEED = "small", 42  # small: ~700 files over about a second, time to kill midway

# `leerdata generate ...` that dies by SIGKILL when it moves the finished landing/ into
# place, after truth/ has moved: the moment between the two renames.
KILLED_AT_LANDING_RENAME = """
import os, signal, sys, pathlib
from leerdata.cli import app

rename = pathlib.Path.rename

def rename_or_die(self, target):
    if pathlib.Path(target).name == "landing":
        os.kill(os.getpid(), signal.SIGKILL)
    return rename(self, target)

pathlib.Path.rename = rename_or_die
sys.argv = ["leerdata", *sys.argv[1:]]
app()
"""

# Holds the data directory's write lock as `generate` until killed.
HOLDER = """
import sys, time
from leerdata.config import DataPaths
from leerdata.errors import LeerdataError
from leerdata.locking import write_lock
with write_lock(DataPaths.of(sys.argv[1]), "generate"):
    print("held", flush=True)
    time.sleep(600)
"""


def _digests(paths: DataPaths) -> dict[str, str]:
    """Every file of landing/ and truth/, by path below the data directory."""
    return {
        str(path.relative_to(paths.root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in (paths.landing, paths.truth)
        if folder.exists()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _files(folder: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(folder))


def _arguments(paths: DataPaths) -> list[str]:
    """`generate`'s arguments, after the program."""
    return ["generate", "--scale", SCALE, "--seed", str(SEED), "--data-dir", str(paths.root)]


def _generate(
    paths: DataPaths, program: tuple[str, ...] = (LEERDATA,)
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*program, *_arguments(paths)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The files of an uninterrupted run."""
    paths = DataPaths.of(tmp_path_factory.mktemp("uninterrupted"))
    run_generate(SCALE, SEED, paths, show_progress=False)
    return _digests(paths)


def test_a_generate_killed_while_writing_leaves_no_landing_file_and_runs_again_whole(
    tmp_path: Path, reference: dict[str, str]
) -> None:
    paths = DataPaths.of(tmp_path / "data")
    process = subprocess.Popen(
        [LEERDATA, *_arguments(paths)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while _files(paths.root) < 100 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "generate finished before it could be killed"
    written = _files(paths.root)
    assert 100 <= written < len(reference), written  # killed midway, files on disk

    assert _files(paths.landing) == 0
    assert not paths.truth.exists()

    again = _generate(paths)
    assert again.returncode == 0, again.stderr
    assert _digests(paths) == reference
    assert not (paths.root / STAGING_NAME).exists()


def test_a_generate_killed_between_its_two_renames_is_done_again_whole(
    tmp_path: Path, reference: dict[str, str]
) -> None:
    paths = DataPaths.of(tmp_path / "data")
    killed = _generate(paths, (sys.executable, "-c", KILLED_AT_LANDING_RENAME))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert paths.truth.is_dir() and _files(paths.landing) == 0  # truth moved, landing not

    again = _generate(paths)
    assert again.returncode == 0, again.stderr
    assert _digests(paths) == reference
    assert not (paths.root / STAGING_NAME).exists()


def test_a_second_generate_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    paths = DataPaths.of(tmp_path / "data")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(paths.root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        second = _generate(paths)
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 1
    assert f"`generate` (pid {holder.pid}" in second.stderr
    assert not paths.landing.exists() and not paths.truth.exists()
    assert not (paths.root / STAGING_NAME).exists()


def test_a_failed_generate_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import leerdata.generate.runner as runner

    def fail(*args: object, **kwargs: object) -> None:
        raise runner.TruthError("a generator bug")

    monkeypatch.setattr(runner, "_check_truth", fail)
    paths = DataPaths.of(tmp_path / "data")
    with pytest.raises(runner.TruthError):
        run_generate("tiny", SEED, paths, show_progress=False)
    assert not paths.landing.exists() and not paths.truth.exists()
    assert not (paths.root / STAGING_NAME).exists()


@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_landing_link_or_file_is_refused_before_anything_is_written(
    tmp_path: Path, kind: str
) -> None:
    """landing/ is renamed into place at the end; a link (to an empty folder, perhaps on
    another file system) or a file there is refused at the start, not after the
    generation with truth/ already moved."""
    paths = DataPaths.of(tmp_path / "data")
    paths.root.mkdir()
    if kind == "link":
        (tmp_path / "elsewhere").mkdir()
        paths.landing.symlink_to(tmp_path / "elsewhere")
    else:
        paths.landing.write_text("not a folder\n")
    with pytest.raises(LeerdataError, match="is a link or a file"):
        run_generate("tiny", SEED, paths, show_progress=False)
    assert not paths.truth.exists()
    assert not (paths.root / STAGING_NAME).exists()
    if kind == "link":
        assert not any((tmp_path / "elsewhere").iterdir())
