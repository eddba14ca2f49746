"""The build's own reader model (leerdata.sdc.reader_model) writes down the sums behind
the published means, as the tests' attacker does (tests/disclosure_attacker.py, MEANS):
its bounds must hold the true counts and sums of a built warehouse, and with the means
shown unrounded it must pin small counts, which the counts alone do not."""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import polars as pl
import pytest

from leerdata.config import DataPaths
from leerdata.sdc import reader_model as rm
from leerdata.sdc import withhold
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


def _perturbed_cells(tiny_warehouse: DataPaths) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The cells the build's withhold step reads, with the publishable means unrounded:
    each the true sum over the true count wherever the model would show one."""
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        evaluation = con.sql("select * from int_evaluation_cells_perturbed").pl()
        participation = con.sql("select * from int_participation_cells_perturbed").pl()

    def unrounded(cells: pl.DataFrame, means: tuple[rm.MeanSum, ...]) -> pl.DataFrame:
        return cells.with_columns(
            pl.when(pl.col(f"publishable_{m.mean}").is_not_null())
            .then(pl.col(TRUE_SUMS[m.mean]).cast(pl.Float64) / pl.col(m.count).cast(pl.Float64))
            .alias(f"publishable_{m.mean}")
            for m in means
        )

    return (
        unrounded(evaluation, rm.EVALUATION_MEANS),
        unrounded(participation, rm.PARTICIPATION_MEANS),
    )


def _as_published(cells: pl.DataFrame, counts, means, reasons: np.ndarray) -> pl.DataFrame:
    """What the marts show: perturbed counts and the means, all NULL where withheld."""
    withheld = pl.Series(reasons != None)  # noqa: E711 (an object array)
    return cells.select(
        *withhold.EVALUATION_KEY_COLUMNS
        if "evaluation_level" in cells.columns
        else withhold.PARTICIPATION_KEY_COLUMNS,
        *(pl.when(~withheld).then(pl.col(f"perturbed_{c}")).alias(c) for c in counts),
        *(pl.when(~withheld).then(pl.col(f"publishable_{m.mean}")).alias(m.mean) for m in means),
    )


def test_withholding_reads_the_means_and_frees_those_it_withholds(
    tiny_warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build's withhold step, given means that give counts away (unrounded), withholds
    more cells than without them, until the marts it leaves (withheld cells' means NULL)
    pin nothing in the audit's model. A withheld cell's mean no longer binds its sum."""
    for name in ("EVALUATION_MEANS", "PARTICIPATION_MEANS"):
        exact = tuple(dataclasses.replace(m, half_step=1e-6) for m in getattr(rm, name))
        monkeypatch.setattr(rm, name, exact)
        monkeypatch.setattr(withhold, name, exact)
    evaluation, participation = _perturbed_cells(tiny_warehouse)
    everything_closed = "2100-Q1"
    with_means = withhold.withhold_pinned(evaluation, participation, 10, everything_closed)
    publishable = [c for c in evaluation.columns if c.startswith("publishable_")]
    publishable_p = [c for c in participation.columns if c.startswith("publishable_")]
    without = withhold.withhold_pinned(
        evaluation.drop(publishable), participation.drop(publishable_p), 10, everything_closed
    )

    def withheld(result: withhold.WithholdResult) -> int:
        return int(sum(r is not None for r in [*result.evaluation, *result.participation]))

    assert withheld(with_means) > withheld(without)
    published_e = _as_published(
        evaluation, rm.EVALUATION_COUNTS, rm.EVALUATION_MEANS, with_means.evaluation
    )
    published_p = _as_published(
        participation, rm.PARTICIPATION_COUNTS, rm.PARTICIPATION_MEANS, with_means.participation
    )
    for year in sorted(set(published_e["year"]) | set(published_p["year"])):
        model = rm.reader_model(
            published_e.filter(pl.col("year") == year), published_p.filter(pl.col("year") == year)
        )
        assert rm.pinned_small(model, 10).size == 0, year


def test_a_withheld_cells_mean_binds_nothing(
    tiny_warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """publish() frees the rows of a withheld cell's mean: with every other cell of a
    year withheld, the counts' bounds are those of the same frames with the withheld
    cells' means NULL. (The published cells' means may still narrow a withheld cell
    through the sums, as a reader's would.)"""
    for name in ("EVALUATION_MEANS", "PARTICIPATION_MEANS"):
        exact = tuple(dataclasses.replace(m, half_step=1e-6) for m in getattr(rm, name))
        monkeypatch.setattr(rm, name, exact)
    _, evaluation, participation = _published_cells(tiny_warehouse.reporting_db)
    evaluation_truth, participation_truth = true_cells(tiny_warehouse.restricted_db)
    evaluation = _unrounded(
        _with_truth(evaluation, evaluation_truth, EVALUATION_KEYS), rm.EVALUATION_MEANS
    )
    participation = _unrounded(
        _with_truth(participation, participation_truth, PARTICIPATION_KEYS),
        rm.PARTICIPATION_MEANS,
    )
    year = evaluation["year"].drop_nulls().max()
    e = evaluation.filter(pl.col("year") == year)
    p = participation.filter(pl.col("year") == year)
    withheld = np.arange(e.height + p.height) % 2 == 0

    def nulled(cells: pl.DataFrame, flags: np.ndarray, means) -> pl.DataFrame:
        hidden = pl.Series(flags)
        return cells.with_columns(
            pl.when(~hidden).then(pl.col(m.mean)).alias(m.mean) for m in means
        )

    bounds = []
    for frames in (
        (e, p),
        (
            nulled(e, withheld[: e.height], rm.EVALUATION_MEANS),
            nulled(p, withheld[e.height :], rm.PARTICIPATION_MEANS),
        ),
    ):
        model = rm.reader_model(*frames, withheld=withheld)
        low, high = propagate(model.system)
        _, is_count = _truth_vector(model)
        bounds.append((low[is_count], high[is_count]))
    (low_shown, high_shown), (low_nulled, high_nulled) = bounds
    assert np.array_equal(low_shown, low_nulled) and np.array_equal(high_shown, high_nulled)
