"""The perturbation table of the cell key method: its published properties, the seed
file the build reads, and the SQL macro agreeing with the Python reference."""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
import yaml

from leerdata.config import DataPaths
from leerdata.privacy.cell_keys import cell_key_salt
from leerdata.privacy.keys import load_or_create_key
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


def test_the_builds_gate_knows_the_largest_noise() -> None:
    """Rates and means are gated on published counts of min_cell_size + the largest
    noise (macro shown_over_enough); a smaller var would show a rate over 8 people."""
    project = yaml.safe_load((Path(__file__).parents[1] / "dbt_project.yml").read_text())
    assert project["vars"]["cell_key_max_noise"] == MAX_NOISE
    assert max(abs(row.noise) for row in ptable_rows()) == MAX_NOISE


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


def test_cell_keys_are_sums_of_52_bits_of_md5_of_the_salt_and_the_pseudonym(
    tiny_warehouse: DataPaths, key_file: Path
) -> None:
    """The record key as documented, computed here with hashlib: the low 52 bits of
    md5(salt || pseudonym) read as a little-endian number (DuckDB's md5_number). A
    changed definition would change every published figure, closed quarters too."""
    salt = cell_key_salt(load_or_create_key(key_file))
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        cells = con.execute(
            """
            select
                outcomes.quarter,
                list(outcomes.enrolment_key),
                any_value(cells.requested_enrolments_key)
            from int_enrolments_outcomes as outcomes
            inner join int_person_quarters_attributed as persons
                on outcomes.counting_key = persons.counting_key
                and outcomes.quarter = persons.quarter
            inner join int_participation_cells as cells
                on cells.period_type = 'quarter' and cells.quarter = outcomes.quarter
                and cells.department_code = persons.department_code and cells.breakdown = 'total'
            group by outcomes.quarter, persons.department_code
            """
        ).fetchall()
    assert len(cells) > 10
    for quarter, enrolment_keys, published_key in cells:
        expected = sum(
            int.from_bytes(hashlib.md5((salt + key).encode()).digest(), "little") % 2**52
            for key in enrolment_keys
        )
        assert published_key == expected, quarter
