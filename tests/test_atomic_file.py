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


def test_the_next_write_in_the_folder_removes_what_a_killed_write_left(tmp_path: Path) -> None:
    """A partial file of a writer that died (say a subject-access export with a
    person's data) is deleted by the next write into its folder, of any name; other
    hidden or partial-looking files are not touched."""
    left = tmp_path / ".subject.json.k3x9_q2z.partial"
    left.write_bytes(b'{"subject": "someone"}')
    others = [tmp_path / ".keep", tmp_path / "notes.partial", tmp_path / ".a.b.partial"]
    for other in others:
        other.write_bytes(b"not ours")
    write_atomically(tmp_path / "statement.csv", b"x")
    assert not left.exists()
    assert all(other.exists() for other in others)


def test_a_live_writers_partial_file_is_left_alone(tmp_path: Path) -> None:
    """While another writer holds the folder's lock its partial file is its own: a
    second write waits for it instead of deleting the file under it."""
    import threading
    import time

    from leerdata.atomic_file import _sole_writer_in

    done = threading.Event()
    with _sole_writer_in(tmp_path):
        live = tmp_path / ".export.csv.abcd1234.partial"
        live.write_bytes(b"being written")

        def second_writer() -> None:
            write_atomically(tmp_path / "other.csv", b"y")
            done.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.5)
        assert live.exists(), "a second writer deleted a live writer's file"
        assert not done.is_set(), "a second writer did not wait for the first"
        live.rename(tmp_path / "export.csv")  # the first writer finishes
    thread.join(timeout=10)
    assert done.is_set()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "other.csv"]
