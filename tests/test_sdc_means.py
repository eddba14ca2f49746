"""The build's own reader model (leerdata.sdc.reader_model) writes down the sums behind
the published means, as the tests' attacker does (tests/disclosure_attacker.py, MEANS):
its bounds must hold the true counts and sums of a built warehouse, and with the means
shown unrounded it must pin small counts, which the counts alone do not."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from leerdata.config import DataPaths
from leerdata.sdc import reader_model as rm
from leerdata.sdc.propagation import propagate
from leerdata.sdc.published import _published_cells
from tests.disclosure_attacker import true_cells

EVALUATION_KEYS = ["evaluation_level", "entity_id", "period"]
PARTICIPATION_KEYS = ["department_code", "breakdown", "breakdown_value", "period"]
TRUE_SUMS = {  # the restricted zone's column of the true sum behind each mean
    "mean_overall": "overall_score_sum",
    "mean_exam_score": "exam_score_sum",
    "mean_approval_lead_days": "approval_lead_days_sum",
}


def _with_truth(cells: pl.DataFrame, truth: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The published cells with the true figures beside them (columns `true <name>`)."""
    renamed = truth.rename({c: f"true {c}" for c in truth.columns if c not in keys})
    joined = cells.with_row_index("_order").join(renamed, on=keys, how="left").sort("_order")
    assert joined.height == cells.height
    return joined.drop("_order")


def _unrounded(cells: pl.DataFrame, means: tuple[rm.MeanSum, ...]) -> pl.DataFrame:
    """Every mean shown as the true one, in each row that publishes its counts."""
    return cells.with_columns(
        pl.when(pl.col("enrolments").is_not_null() & (pl.col(f"true {m.count}") > 0))
        .then(
            pl.col(f"true {TRUE_SUMS[m.mean]}").cast(pl.Float64)
            / pl.col(f"true {m.count}").cast(pl.Float64)
        )
        .alias(m.mean)
        for m in means
    )


def _truth_vector(model: rm.ReaderModel) -> tuple[np.ndarray, np.ndarray]:
    """The true value of every count and sum variable (NaN for slacks and helpers), and
    a flag per variable: a published count."""
    size = len(model.system.low)
    truth = np.full(size, np.nan)
    is_count = np.zeros(size, dtype=bool)
    for block in (model.evaluation, model.participation):
        rows = np.arange(block.cells.height)
        for count in block.published:
            truth[block.var(rows, count)] = block.cells[f"true {count}"].to_numpy()
            is_count[block.var(rows, count)] = True
        for mean_sum in block.sums:
            column = block.cells[f"true {TRUE_SUMS[mean_sum.mean]}"].cast(pl.Float64)
            truth[block.var(rows, mean_sum.name)] = column.to_numpy()
    return truth, is_count


def _years(tiny_warehouse: DataPaths, unrounded: bool, means: bool):
    """Per year: the reader model of the tiny warehouse's published cells (with the true
    figures beside them), its propagated bounds and its pinned small cells."""
    _, evaluation, participation = _published_cells(tiny_warehouse.reporting_db)
    evaluation_truth, participation_truth = true_cells(tiny_warehouse.restricted_db)
    evaluation = _with_truth(evaluation, evaluation_truth, EVALUATION_KEYS)
    participation = _with_truth(participation, participation_truth, PARTICIPATION_KEYS)
    if unrounded:
        evaluation = _unrounded(evaluation, rm.EVALUATION_MEANS)
        participation = _unrounded(participation, rm.PARTICIPATION_MEANS)
    if not means:
        evaluation = evaluation.drop(m.mean for m in rm.EVALUATION_MEANS)
        participation = participation.drop(m.mean for m in rm.PARTICIPATION_MEANS)
    for year in sorted(set(evaluation["year"].drop_nulls()) | set(participation["year"])):
        model = rm.reader_model(
            evaluation.filter(pl.col("year") == year),
            participation.filter(pl.col("year") == year),
        )
        low, high = propagate(model.system)
        yield model, low, high, rm.pinned_small(model, 10)


def _assert_truth_within(model: rm.ReaderModel, low: np.ndarray, high: np.ndarray) -> int:
    """Every true count and sum lies within the propagated bounds; the number of sums."""
    truth, _ = _truth_vector(model)
    known = ~np.isnan(truth)
    outside = known & ((truth < low - 1e-6) | (truth > high + 1e-6))
    assert not outside.any(), [
        (int(i), truth[i], low[i], high[i]) for i in np.flatnonzero(outside)[:5]
    ]
    return sum(b.cells.height * len(b.sums) for b in (model.evaluation, model.participation))


def test_true_counts_and_sums_lie_within_the_bounds_of_the_published_means(
    tiny_warehouse: DataPaths,
) -> None:
    """The sums' relations are sound on a real build: rounding, gates and sums as the
    marts make them (a mean over another set than its count, or a wrong rounding step,
    would put some true sum outside its bounds)."""
    sums = 0
    for model, low, high, pinned in _years(tiny_warehouse, unrounded=False, means=True):
        sums += _assert_truth_within(model, low, high)
        assert pinned.size == 0
    assert sums > 0


def test_unrounded_means_let_the_audit_pin_small_counts(
    tiny_warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: with every mean shown unrounded (half a step of 1e-6), the
    audit's own model pins small counts, and its bounds still hold the truth; without
    the means, the same cells pin none. So the audit reads the means as sums."""
    for name in ("EVALUATION_MEANS", "PARTICIPATION_MEANS"):
        exact = tuple(dataclasses.replace(m, half_step=1e-6) for m in getattr(rm, name))
        monkeypatch.setattr(rm, name, exact)
    pinned = 0
    for model, low, high, cells in _years(tiny_warehouse, unrounded=True, means=True):
        _assert_truth_within(model, low, high)
        pinned += cells.size
    without = sum(cells.size for *_, cells in _years(tiny_warehouse, True, means=False))
    assert without == 0
    assert pinned >= 10, f"unrounded means pinned only {pinned} cells"
