"""`subject-access` runs the key checks of a build and never creates a key.

Before, with the key path inside the data dir it created a key there and exited 0; with
a wrong LEERDATA_KEY_FILE it silently made a new key, exported 0 reporting rows instead
of the person's, exited 0 and left the new key for later builds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leerdata.config import DataPaths
from tests.test_subject_access import Subject, _copy_with_subject

pytestmark = pytest.mark.xdist_group("subject_access_keys")

LEERDATA = str(Path(sys.executable).with_name("leerdata"))


@pytest.fixture(scope="module")
def subject(tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory) -> Subject:
    return _copy_with_subject(tiny_warehouse, tmp_path_factory.mktemp("keys") / "data")


def _subject_access(subject: Subject, key_file: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LEERDATA, "subject-access", "--employee-id", subject.employee_id,
         "--data-dir", str(subject.paths.root), "--out", str(out)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "LEERDATA_KEY_FILE": str(key_file)},
    )  # fmt: skip


def test_a_key_path_inside_the_data_dir_is_refused_and_not_created(
    subject: Subject, tmp_path: Path
) -> None:
    inside = subject.paths.root / "keys" / "pseudonym.key"
    run = _subject_access(subject, inside, tmp_path / "out.json")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "inside the data dir" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert not inside.exists() and not (tmp_path / "out.json").exists()


def test_a_missing_key_is_refused_and_not_created(subject: Subject, tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere" / "pseudonym.key"
    run = _subject_access(subject, missing, tmp_path / "out.json")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "no key file" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert not missing.exists() and not (tmp_path / "out.json").exists()
    assert subject.employee_id not in run.stderr
