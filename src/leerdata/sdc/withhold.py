"""The build's disclosure audit: withhold the few cells a reader could still pin down.

The cell key method leaves every small count uncertain on its own, but where several
cells of one relation all drew an extreme noise, bounds propagation over the relations
(leerdata.sdc.reader_model) can pin a true count exactly. Such a count below
min_cell_size is not published: its cell is withheld (suppressed = true, every figure
NULL), and the audit runs again until nothing small is pinned.

Which cell is withheld keeps closed periods stable: a pinned quarter whose year is
still open withholds that year (the open figure), so a later day's data, which only
moves open cells, never flips a closed quarter. Otherwise the pinned cell itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from leerdata.sdc.reader_model import (
    EVALUATION_COUNTS,
    PARTICIPATION_COUNTS,
    pinned_small,
    reader_model,
)

MAX_ROUNDS = 50
EVALUATION_KEY_COLUMNS = (
    "evaluation_level",
    "entity_id",
    "category_code",
    "supplier_id",
    "period_type",
    "period",
    "year",
)
PARTICIPATION_KEY_COLUMNS = (
    "department_code",
    "breakdown",
    "breakdown_value",
    "period_type",
    "period",
    "year",
)


@dataclass(frozen=True)
class WithholdResult:
    evaluation: np.ndarray  # per evaluation cell: withheld reason or None
    participation: np.ndarray
    rounds: int


def _open_year_of(cells: pl.DataFrame, entity: list[str], open_from_year: int) -> np.ndarray:
    """Per cell: the row number of its year cell when the cell is a quarter of an open
    year, else -1."""
    indexed = cells.with_row_index("_row").with_columns(pl.col("year").cast(pl.Int64))
    years = indexed.filter(pl.col("period_type") == "year").select(
        [*entity, "year", pl.col("_row").alias("_year_row")]
    )
    joined = indexed.join(years, on=[*entity, "year"], how="left")
    joined = joined.sort("_row")
    is_open_quarter = (joined["period_type"] == "quarter") & (joined["year"] >= open_from_year)
    year_row = joined["_year_row"].fill_null(-1).to_numpy()
    return np.where(is_open_quarter.to_numpy(), year_row, -1)


def withhold_pinned(
    evaluation: pl.DataFrame, participation: pl.DataFrame, min_cell_size: int, open_from_year: int
) -> WithholdResult:
    n_eval = evaluation.height
    withheld = np.zeros(n_eval + participation.height, dtype=bool)
    reasons = np.full(withheld.shape, None, dtype=object)
    year_of = np.concatenate(
        [
            _open_year_of(evaluation, ["evaluation_level", "entity_id"], open_from_year),
            np.where(
                (
                    year := _open_year_of(
                        participation,
                        ["department_code", "breakdown", "breakdown_value"],
                        open_from_year,
                    )
                )
                >= 0,
                year + n_eval,
                -1,
            ),
        ]
    )
    # the reader sees the perturbed counts under the published names
    evaluation = evaluation.select(
        [*EVALUATION_KEY_COLUMNS, *(pl.col(f"perturbed_{c}").alias(c) for c in EVALUATION_COUNTS)]
    )
    participation = participation.select(
        [
            *PARTICIPATION_KEY_COLUMNS,
            *(pl.col(f"perturbed_{c}").alias(c) for c in PARTICIPATION_COUNTS),
        ]
    )
    for round_number in range(1, MAX_ROUNDS + 1):
        pinned = pinned_small(reader_model(evaluation, participation, withheld), min_cell_size)
        pinned = pinned[~withheld[pinned]] if len(pinned) else pinned
        if len(pinned) == 0:
            return WithholdResult(reasons[:n_eval], reasons[n_eval:], round_number)
        for cell in pinned:
            year = year_of[cell]
            target = year if year >= 0 and not withheld[year] else cell
            withheld[target] = True
            reasons[target] = "recomputable"
    raise RuntimeError(f"disclosure audit did not settle in {MAX_ROUNDS} rounds")
