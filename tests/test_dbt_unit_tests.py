"""The dbt unit tests (model logic on fixed rows), which production builds skip.

They run here against a copy of the tiny warehouse: dbt reads the column types of each
unit test's inputs from the built relations.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from leerdata.builder.dbt_runner import run_dbt
from leerdata.config import DataPaths


def test_every_dbt_unit_test_passes(
    tiny_warehouse: DataPaths, tmp_path: Path, reuse_parse: Callable[[DataPaths], None]
) -> None:
    paths = DataPaths(tmp_path)
    reuse_parse(paths)
    paths.restricted_db.parent.mkdir(parents=True)
    shutil.copy(tiny_warehouse.restricted_db, paths.restricted_db)
    # where a build writes it: the profile names that path, so the parse is reused
    reporting = paths.reporting_build_db
    shutil.copy(tiny_warehouse.reporting_db, reporting)

    outcome = run_dbt("test", paths, reporting, ["--select", "test_type:unit"])

    assert outcome.success, outcome.failures
    defined = json.loads((paths.dbt_target / "manifest.json").read_text())["unit_tests"]
    ran = [node for node in outcome.timings if node.startswith("unit_test.")]
    assert len(defined) >= 19
    assert sorted(ran) == sorted(defined)
