"""A research release's microdata and its protected tables, attacked together.

A release ships k-anonymous microdata beside the perturbed tables. Counting microdata
rows gives exact floors and ceilings under sums of the tables' true counts
(tests/microdata_bounds.py), and a category's published mean overall score with the
scores the microdata show gives a floor under its true number of responses (checked here
against an exhaustive search); the attacker of tests/disclosure_attacker.py adds them to
every relation between the tables and solves for every true count of 1..9. Against a
real release nothing may be pinned. A negative control gives the same attacker
microdata without protection (no `*`, nothing withheld, no row dropped): it must pin
counts, or the floors and ceilings were never able to.
"""

from __future__ import annotations

import math
import shutil
from fractions import Fraction

import polars as pl
import pytest

from leerdata.config import DataPaths
from leerdata.privacy.keys import load_or_create_key
from leerdata.research.microdata import (
    QUASI_IDENTIFIERS,
    SENSITIVE_ATTRIBUTES,
    generalised,
    read_base,
)
from leerdata.research.release import ReleaseResult, create_release
from tests.disclosure_attacker import Attack, AttackResult, Method, published_cells, true_cells
from tests.microdata_bounds import add_microdata_bounds, mean_floor, read_release

PUBLISHED_METHOD = Method(max_noise=2, small_values=2)  # README: Disclosure control
# One worker builds the module's release (a module fixture).
pytestmark = pytest.mark.xdist_group("research_release_attack")
# the columns of a released row, for the negative control's unprotected rows
MICRODATA_COLUMNS = (*QUASI_IDENTIFIERS, *SENSITIVE_ATTRIBUTES)


@pytest.fixture(scope="module")
def released(
    tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DataPaths, ReleaseResult]:
    """A release with the configured k and l, made in a private copy of the warehouse."""
    root = tmp_path_factory.mktemp("release-attack")
    shutil.copytree(tiny_warehouse.warehouse, root / "warehouse")
    paths = DataPaths.of(root)
    return paths, create_release(paths)


def attack_with(paths: DataPaths, microdata: pl.DataFrame, manifest: dict) -> AttackResult:
    model = Attack(*published_cells(paths.reporting_db), PUBLISHED_METHOD)
    added = add_microdata_bounds(model, microdata, manifest)
    assert added > 200, f"only {added} microdata bounds: the families did not match the tables"
    truth = model.truth_vector(*true_cells(paths.restricted_db))
    # solve() first checks that the truth obeys every bound: a wrong reading of the
    # microdata fails there instead of passing unnoticed
    return model.solve(truth, model.describe)


def test_microdata_and_tables_together_give_no_small_count_away(
    released: tuple[DataPaths, ReleaseResult], key_file
) -> None:
    paths, release = released
    microdata, manifest = read_release(release.folder)
    assert microdata.height > 100, "too few released rows to count on"
    result = attack_with(paths, microdata, manifest)
    assert result.candidates > 100, "too few small counts to attack"
    assert result.recovered == [], f"test key file text: {key_file.read_text().strip()}"


def test_unprotected_microdata_give_small_counts_away(
    released: tuple[DataPaths, ReleaseResult],
) -> None:
    """Negative control: the same release level, every row and value as it is."""
    paths, release = released
    level = release.manifest["generalisation_level"]
    base = generalised(read_base(paths.restricted_db, load_or_create_key()), level)
    microdata = base.select(MICRODATA_COLUMNS).with_columns(pl.all().cast(pl.String))
    manifest = {
        **release.manifest,
        "rows_before_suppression": microdata.height,
        "rows_released": microdata.height,
    }
    result = attack_with(paths, microdata, manifest)
    assert len(result.exact_and_true) == len(result.recovered), "a recovery must be the truth"
    derived = [r for r in result.recovered if r.derived]
    assert len(derived) >= 10, f"the exact counts pinned only {len(derived)} perturbed counts"


def _fewest_responses_by_search(known: int, known_sum: int, mean: str) -> int:
    """The fewest responses n >= known whose whole-number scores (1..10) can have the
    published mean, rounded half up to 0.1 as DuckDB's round() does: by trying every n
    (a total T of n scores rounds to the mean when n(mean - 0.05) <= T < n(mean + 0.05))."""
    published = Fraction(mean)
    for n in range(max(known, 1), known + 10_000):
        unknown = n - known
        lowest = max(math.ceil(n * (published - Fraction(1, 20))), known_sum + unknown)
        highest = known_sum + 10 * unknown
        if lowest <= highest and lowest < n * (published + Fraction(1, 20)):
            return n
    raise AssertionError("no count fits")


def test_the_mean_floor_never_exceeds_the_fewest_responses_that_fit_and_can_bite() -> None:
    """The attacker's floor from a published mean and the known scores is sound (never
    above what an exhaustive search finds) and not empty (it raises some floors)."""
    raised = 0
    for known in (0, 1, 3, 10, 14):
        for average in (1.0, 2.5, 5.0, 7.3, 10.0):
            known_sum = round(known * average)
            if known and not known <= known_sum <= 10 * known:
                continue
            for mean in ("1.0", "1.4", "3.0", "5.5", "6.2", "8.9", "9.9", "10.0"):
                fewest = _fewest_responses_by_search(known, known_sum, mean)
                floor = mean_floor(known, known_sum, float(mean))
                assert known <= floor <= fewest, (known, known_sum, mean, floor, fewest)
                raised += floor > known
    assert raised >= 20, f"the mean raised only {raised} floors"
