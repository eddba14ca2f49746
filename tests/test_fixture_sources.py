"""Every outside file under tests/fixtures/ names its source and licence in its folder's
README, so the repository can say where each came from and under what terms."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_folders() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def test_there_are_fixture_folders() -> None:
    assert [p.name for p in _fixture_folders()], f"no fixture folders under {FIXTURES}"


def test_every_fixture_file_is_named_in_its_folders_readme() -> None:
    unlisted = {}
    for folder in _fixture_folders():
        readme = folder / "README.md"
        assert readme.is_file(), f"{folder} has no README.md with sources and licence"
        text = readme.read_text(encoding="utf-8")
        assert "licen" in text.lower(), f"{readme} says nothing about the licence"
        missing = [p.name for p in sorted(folder.iterdir()) if p != readme and p.name not in text]
        if missing:
            unlisted[folder.name] = missing
    assert unlisted == {}


def test_every_fixture_folder_is_in_the_top_readme() -> None:
    text = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert [p.name for p in _fixture_folders() if f"{p.name}/" not in text] == []
