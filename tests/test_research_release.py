"""Research releases: k-anonymity and l-diversity checked with pycanon (not only our own
code), unlinkable pseudonyms, no key or identifier in the files, an honest manifest."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import polars as pl
import pytest
from pycanon import anonymity
from typer.testing import CliRunner

from leerdata.cli import app
from leerdata.config import DataPaths
from leerdata.privacy.keys import load_or_create_key
from leerdata.privacy.scan import files_containing
from leerdata.research.microdata import QUASI_IDENTIFIERS, SENSITIVE_ATTRIBUTES, anonymise
from leerdata.research.release import ReleaseResult, create_release

# All on one worker, so the module fixtures (two releases) are built once per run.
pytestmark = pytest.mark.xdist_group("research_release")


@pytest.fixture(scope="module")
def data_dir(tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    """A private copy of the built warehouse, so releases do not write into the shared one."""
    root = tmp_path_factory.mktemp("research")
    shutil.copytree(tiny_warehouse.warehouse, root / "warehouse")
    return DataPaths.of(root)


@pytest.fixture(scope="module")
def releases(data_dir: DataPaths) -> tuple[ReleaseResult, ReleaseResult]:
    return create_release(data_dir, k=5, l=2), create_release(data_dir, k=5, l=2)


def microdata(result: ReleaseResult) -> pl.DataFrame:
    return pl.read_csv(result.folder / "microdata.csv", infer_schema=False)


def test_release_passes_pycanon_k_anonymity_and_l_diversity(
    releases: tuple[ReleaseResult, ReleaseResult],
) -> None:
    result = releases[0]
    frame = microdata(result).to_pandas()
    assert len(frame) > 0, "an empty release proves nothing"
    frame = frame.fillna("none")
    assert anonymity.k_anonymity(frame, list(QUASI_IDENTIFIERS)) >= 5
    assert anonymity.l_diversity(frame, list(QUASI_IDENTIFIERS), list(SENSITIVE_ATTRIBUTES)) >= 2
    # Our k counts persons, which is stronger than pycanon's rows: check it too.
    persons = frame.groupby(list(QUASI_IDENTIFIERS))["person_pseudonym"].nunique()
    assert persons.min() >= 5
    assert result.manifest["k_achieved"] == persons.min()


def test_two_releases_and_reporting_share_no_pseudonym(
    releases: tuple[ReleaseResult, ReleaseResult], data_dir: DataPaths
) -> None:
    first, second = (microdata(r) for r in releases)
    assert first.height == second.height > 0
    for column in ("person_pseudonym", "enrolment_pseudonym"):
        assert not set(first[column]) & set(second[column]), column
    with duckdb.connect(str(data_dir.reporting_db), read_only=True) as con:
        reporting_keys = {
            key
            for (key,) in con.execute(
                "select enrolment_key from fct_cost_allocation where enrolment_key is not null"
            ).fetchall()
        }
    with duckdb.connect(str(data_dir.restricted_db), read_only=True) as con:
        person_keys = {
            k for (k,) in con.execute("select person_key from int_employees_historised").fetchall()
        }
    assert reporting_keys and person_keys
    released = set(first["person_pseudonym"]) | set(first["enrolment_pseudonym"])
    assert not released & (reporting_keys | person_keys)


def test_release_holds_no_key_and_no_identifier(
    releases: tuple[ReleaseResult, ReleaseResult], data_dir: DataPaths
) -> None:
    secret = load_or_create_key()
    with duckdb.connect(str(data_dir.restricted_db), read_only=True) as con:
        identifiers = [
            value
            for row in con.execute(
                "select employee_id, email, last_name from raw_hr limit 200"
            ).fetchall()
            for value in row
            if value and len(value) > 4
        ]
    needles = [secret, secret.hex().encode(), *(v.encode() for v in identifiers)]
    hits = files_containing([r.folder for r in releases], needles)
    assert hits == [], [(h.where, h.needle_index) for h in hits]


def test_manifest_accounts_for_every_row(releases: tuple[ReleaseResult, ReleaseResult]) -> None:
    result = releases[0]
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["release_id"] == result.release_id == result.folder.name
    assert manifest["key_domain"] == f"research:{result.release_id}"
    assert manifest["rows_released"] == microdata(result).height
    assert (
        manifest["rows_released"] + manifest["rows_suppressed"]
        == manifest["rows_before_suppression"]
    )
    assert manifest["k_achieved"] >= manifest["k_requested"] == 5
    assert all(v >= 2 for v in manifest["l_achieved"].values())
    assert set(manifest["quasi_identifiers"]) == set(QUASI_IDENTIFIERS)
    for name in ("microdata.csv", "data_dictionary.md", "tables/mart_participation.csv"):
        assert name in manifest["files"]
    assert len(manifest["source_build"]["reporting_db_sha256"]) == 64


def test_anonymise_counts_persons_and_enforces_l() -> None:
    qi = dict.fromkeys(QUASI_IDENTIFIERS, "x")

    def rows(cls: str, persons: list[str], statuses: list[str]) -> list[dict]:
        return [
            {
                **qi,
                "category_code": cls,
                "person_pseudonym": p,
                "completion_status": s,
                "exam_result": "passed" if i % 2 else "failed",
                "overall_score": i % 3,
            }
            for i, (p, s) in enumerate(zip(persons, statuses, strict=True))
        ]

    frame = pl.DataFrame(
        rows("ok", [f"p{i}" for i in range(4)], ["completed", "no_show"] * 2)
        # one person with four enrolments: four rows, one person
        + rows("one_person", ["q"] * 4, ["completed", "no_show"] * 2)
        + rows("uniform", [f"r{i}" for i in range(4)], ["completed"] * 4)
    )
    result = anonymise(frame, k=3, l=2)
    assert set(result.released["category_code"]) == {"ok"}
    assert result.suppressed_rows == 8
    assert result.k_achieved == 4


def test_cli_writes_a_release(data_dir: DataPaths) -> None:
    outcome = CliRunner().invoke(
        app, ["research", "release", "--data-dir", str(data_dir.root), "--k", "10", "--l", "2"]
    )
    assert outcome.exit_code == 0, outcome.output
    manifests = list(data_dir.research_exports.glob("*/manifest.json"))
    assert any(json.loads(m.read_text())["k_requested"] == 10 for m in manifests)
    assert not list(data_dir.research_exports.glob(".*partial"))


def test_pandas_roundtrip_sanity() -> None:
    # pycanon works on pandas; make sure a frame with a missing sensitive value is handled
    # the way the release test feeds it (missing -> "none").
    frame = pd.DataFrame({"a": ["x", "x"], "s": [None, "1"]}).fillna("none")
    assert anonymity.l_diversity(frame, ["a"], ["s"]) == 2
