"""What the pipeline commands tell a new user (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from leerdata.cli import app
from leerdata.commands import pipeline
from leerdata.config import DataPaths
from leerdata.ingest.runner import IngestSummary


def test_ingest_message_does_not_call_a_first_run_a_rerun(tmp_path: Path) -> None:
    summary = IngestSummary(files_loaded=90, files_skipped=35, rows_read=10, rows_loaded=10)
    message = pipeline.ingest_message(summary, DataPaths.of(tmp_path))
    assert "already loaded" not in message
    assert "35 skipped: same content as a file loaded before" in message


def test_a_new_key_is_announced_with_its_place_and_a_backup_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "keys" / "pseudonym.key"
    monkeypatch.setenv("LEERDATA_KEY_FILE", str(key))
    pipeline.announce_new_key()
    out = capsys.readouterr().out
    assert str(key) in out and "Back it up" in out
    key.parent.mkdir()
    key.write_text("00")
    pipeline.announce_new_key()
    assert capsys.readouterr().out == ""


def test_a_result_line_keeps_a_long_path_whole_on_one_line(tmp_path: Path) -> None:
    """Rich folds at 80 columns when the output is a log, not a terminal: a fold put a
    newline inside the path a user copies from the result line."""
    root = tmp_path / ("a-long-folder-name-" * 5) / "data"
    (root / "landing").mkdir(parents=True)
    outcome = CliRunner().invoke(app, ["ingest", "--data-dir", str(root)])
    assert outcome.exit_code == 0, outcome.output
    restricted = str(DataPaths.of(root).restricted_db)
    assert len(restricted) > 80
    assert any(restricted in line for line in outcome.output.splitlines()), outcome.output
