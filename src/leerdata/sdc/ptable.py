"""The perturbation table (ptable) of the cell key method.

A published count is `true + noise`, where the noise is read from this table with the
cell's true count and its cell key (a number in [0, 1) that depends only on the set of
records in the cell, see models/intermediate/*/int_*_cells.sql). Same records, same key,
same noise: a cell gets one value in every table and every build, and differencing two
tables gains nothing.

Design (as Destatis' `ptable` and ONS's cell-key-perturbation use it):
- noise is an integer in [-MAX_NOISE, +MAX_NOISE];
- zero stays zero (an empty cell has no records to describe);
- a true count of 1 or more is never published as 1..SMALL_VALUES: the smallest value a
  reader sees for a non-empty cell is SMALL_VALUES + 1, and it can come from any true
  count between 1 and SMALL_VALUES + 1 + MAX_NOISE;
- for counts far enough from zero the noise is symmetric (unbiased) with the variance
  below; near zero the rows are the same shape cut to the allowed values and
  renormalised (so they lean upwards: a published 3 is at least 1).

The table is published with the method (README, "Disclosure control"): its safety rests
on the secret record keys, never on hiding the table.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

MAX_NOISE = 2
SMALL_VALUES = 2  # published values 1..SMALL_VALUES never occur
# Probability of each noise -2..+2 where nothing is cut: mean 0, variance 0.8, mean
# absolute noise 0.6. The extremes are kept rare: a reader can pin a count only where
# several cells of one relation all drew an extreme, and the build audit withholds those.
SHAPE: dict[int, float] = {-2: 0.05, -1: 0.2, 0: 0.5, 1: 0.2, 2: 0.05}
# Rows for true counts 0..GENERAL_FROM - 1 are specific; every larger count uses the
# row of GENERAL_FROM (its noise does not depend on the count any more).
GENERAL_FROM = SMALL_VALUES + 1 + MAX_NOISE


@dataclass(frozen=True)
class PtableRow:
    count_bucket: int  # the true count, or GENERAL_FROM for every count >= GENERAL_FROM
    noise: int
    probability: float
    key_from: float  # a cell key in [key_from, key_to) draws this noise
    key_to: float


def allowed_noise(count: int) -> list[int]:
    """Noise values that keep a true `count` off the forbidden small values."""
    if count == 0:
        return [0]
    return [n for n in SHAPE if count + n > SMALL_VALUES]


def ptable_rows() -> list[PtableRow]:
    rows: list[PtableRow] = []
    for count in range(GENERAL_FROM + 1):
        noises = allowed_noise(count)
        weight = sum(SHAPE[n] for n in noises) if count else 1.0
        lower = 0.0
        for position, noise in enumerate(noises):
            probability = SHAPE[noise] / weight if count else 1.0
            # the last interval ends at exactly 1.0, whatever the float sum says
            upper = 1.0 if position == len(noises) - 1 else round(lower + probability, 12)
            rows.append(PtableRow(count, noise, round(probability, 12), lower, upper))
            lower = upper
    return rows


def ptable_csv() -> str:
    """The seed file seeds/cell_key_ptable.csv, byte for byte."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["count_bucket", "noise", "probability", "key_from", "key_to"])
    for row in ptable_rows():
        writer.writerow(
            [
                row.count_bucket,
                row.noise,
                f"{row.probability:.12f}",
                f"{row.key_from:.12f}",
                f"{row.key_to:.12f}",
            ]
        )
    return out.getvalue()


def perturb(count: int, cell_key: float) -> int:
    """The published value of a true count with this cell key (the dbt macro's twin)."""
    bucket = min(count, GENERAL_FROM)
    for row in ptable_rows():
        if row.count_bucket == bucket and row.key_from <= cell_key < row.key_to:
            return count + row.noise
    raise ValueError(f"cell key {cell_key} outside [0, 1)")


def possible_true_counts(published: int) -> range:
    """Every true count that can be published as `published` (what a reader knows)."""
    if published == 0:
        return range(0, 1)
    low = max(1, published - MAX_NOISE)
    return range(low, published + MAX_NOISE + 1)


if __name__ == "__main__":  # python -m leerdata.sdc.ptable > seeds/cell_key_ptable.csv
    print(ptable_csv(), end="")
