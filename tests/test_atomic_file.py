"""leerdata.atomic_file: a file appears whole, with the mode it is meant to have."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from leerdata.atomic_file import write_atomically


def test_the_file_appears_whole_and_nothing_is_left_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "deeper" / "statement.csv"
    write_atomically(out, b"one\n")
    write_atomically(out, b"two, longer\n")
    assert out.read_bytes() == b"two, longer\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["statement.csv"]


def test_mode_follows_the_umask_unless_given(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        plain = write_atomically(tmp_path / "plain.csv", b"x")
        private = write_atomically(tmp_path / "private.json", b"x", mode=0o600)
    finally:
        os.umask(previous)
    # as open() would create it (mkstemp alone gives 0600 whatever the umask)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o640
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
