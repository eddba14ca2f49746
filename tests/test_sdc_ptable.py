"""The perturbation table of the cell key method: its published properties, the seed
file the build reads, and the SQL macro agreeing with the Python reference."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from leerdata.config import DataPaths
from leerdata.sdc.ptable import (
    GENERAL_FROM,
    MAX_NOISE,
    SMALL_VALUES,
    perturb,
    possible_true_counts,
    ptable_csv,
    ptable_rows,
)

SEED = Path(__file__).parents[1] / "seeds" / "cell_key_ptable.csv"


def test_the_seed_file_is_the_generated_table() -> None:
    assert SEED.read_text() == ptable_csv(), (
        "run: python -m leerdata.sdc.ptable > seeds/cell_key_ptable.csv"
    )


def test_every_row_is_a_distribution_over_cell_keys() -> None:
    by_count: dict[int, list] = defaultdict(list)
    for row in ptable_rows():
        by_count[row.count_bucket].append(row)
    assert sorted(by_count) == list(range(GENERAL_FROM + 1))
    for rows in by_count.values():
        assert rows[0].key_from == 0.0 and rows[-1].key_to == 1.0
        for before, after in itertools.pairwise(rows):
            assert before.key_to == after.key_from
        assert abs(sum(r.probability for r in rows) - 1.0) < 1e-9


@pytest.mark.parametrize("count", range(0, 40))
def test_noise_is_bounded_and_small_values_never_appear(count: int) -> None:
    for step in range(1000):
        published = perturb(count, step / 1000)
        assert abs(published - count) <= MAX_NOISE
        assert (published == 0) == (count == 0)
        assert not 1 <= published <= SMALL_VALUES
        assert count in possible_true_counts(published)


def test_large_counts_get_unbiased_noise() -> None:
    keys = [(i + 0.5) / 10000 for i in range(10000)]
    mean_noise = sum(perturb(100, k) - 100 for k in keys) / len(keys)
    assert abs(mean_noise) < 1e-3


def test_a_published_small_value_hides_several_true_counts() -> None:
    """A reader who sees 3 cannot tell 1 from 5: every count it can come from is >= 1
    and the range is 2 x MAX_NOISE + 1 wide."""
    assert list(possible_true_counts(SMALL_VALUES + 1)) == list(
        range(1, SMALL_VALUES + 2 + MAX_NOISE)
    )
    sources = {
        count
        for count in range(1, 20)
        for k in range(100)
        if perturb(count, k / 100) == SMALL_VALUES + 1
    }
    assert sources == set(range(1, SMALL_VALUES + 2 + MAX_NOISE))


def test_the_build_perturbs_as_the_reference_does(tiny_warehouse: DataPaths) -> None:
    """The SQL macro (a join on the seed) and leerdata.sdc.ptable.perturb agree cell by
    cell on the built warehouse."""
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        rows = con.execute(
            "select enrolments, (enrolments_key % 4503599627370496) / 4503599627370496.0, "
            "perturbed_enrolments from int_evaluation_cells_perturbed"
        ).fetchall()
    assert rows
    for count, key, published in rows:
        assert perturb(count, key) == published
