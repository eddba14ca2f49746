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

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import cast

import numpy as np
import polars as pl

from leerdata.sdc.reader_model import (
    EVALUATION_COUNTS,
    EVALUATION_MEANS,
    PARTICIPATION_COUNTS,
    PARTICIPATION_MEANS,
    MeanSum,
    ReaderModel,
    pinned_small,
    publish,
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
    rounds: int  # propagations to a fixpoint, summed over years


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


def _year_rows(evaluation: pl.DataFrame, participation: pl.DataFrame, from_year: int) -> np.ndarray:
    """Per cell (evaluation cells first): its year cell's number when it is a quarter of a
    year from `from_year` on, else -1."""
    evaluation_years = _open_year_of(evaluation, ["evaluation_level", "entity_id"], from_year)
    participation_years = _open_year_of(
        participation, ["department_code", "breakdown", "breakdown_value"], from_year
    )
    offset = np.where(participation_years >= 0, participation_years + evaluation.height, -1)
    return np.concatenate([evaluation_years, offset])


def _families(evaluation: pl.DataFrame, participation: pl.DataFrame) -> np.ndarray:
    """Per cell: a number shared by the quarters and the year of one entity and year."""
    evaluation_ids = evaluation.select(
        pl.struct("evaluation_level", "entity_id", pl.col("year").cast(pl.Int64)).rank("dense")
    ).to_series()
    participation_ids = participation.select(
        pl.struct(
            "department_code", "breakdown", "breakdown_value", pl.col("year").cast(pl.Int64)
        ).rank("dense")
    ).to_series()
    offset = int(cast(int, evaluation_ids.max() or 0))
    return np.concatenate(
        [evaluation_ids.to_numpy(), participation_ids.to_numpy() + offset]
    ).astype(np.int64)


def _is_open(cells: pl.DataFrame, open_from: str) -> np.ndarray:
    """Cells of a period still open: a quarter from `open_from` (YYYY-Qn) on, a year from
    its year on. Their data can still change with the next landing day."""
    year = int(open_from[:4])
    return (
        cells.select(
            pl.when(pl.col("period_type") == "quarter")
            .then(pl.col("period") >= open_from)
            .otherwise(pl.col("year").cast(pl.Int64) >= year)
        )
        .to_series()
        .to_numpy()
    )


def audit_threads(years: int) -> int:
    """Threads for auditing `years` years side by side: one per core, at most one per
    year."""
    return max(1, min(years, os.cpu_count() or 1))


def withhold_pinned(
    evaluation: pl.DataFrame,
    participation: pl.DataFrame,
    min_cell_size: int,
    open_from: str,
    threads: int | None = None,
) -> WithholdResult:
    """Audit each year on its own. No relation joins two years (a year and its quarters;
    margins, breakdowns and the departments' and categories' totals within one period),
    and whatever is withheld for a pinned cell is in its own year (the cell, its year
    cell, a cell it shares a relation with), so the result is that of auditing every
    cell at once. A settled year is not propagated again while another needs rounds,
    and a closed year skips the open phase (tests/test_sdc_withhold.py compares both).

    The years are audited side by side on `threads` threads (default audit_threads):
    the audit's work is mostly numpy, which releases the GIL. The twelve years of a
    rijk full build took 6.2 s on one thread and 3.8 s on two; the audit model runs
    alone at the end of a full build, with the other core idle."""
    evaluation_years = evaluation["year"].cast(pl.Int64).to_numpy()
    participation_years = participation["year"].cast(pl.Int64).to_numpy()
    evaluation_reasons = np.full(evaluation.height, None, dtype=object)
    participation_reasons = np.full(participation.height, None, dtype=object)
    years = np.union1d(evaluation_years, participation_years)

    def audit(year: int) -> tuple[np.ndarray, np.ndarray, WithholdResult]:
        e_rows = np.flatnonzero(evaluation_years == year)
        p_rows = np.flatnonzero(participation_years == year)
        result = withhold_pinned_together(
            evaluation[e_rows], participation[p_rows], min_cell_size, open_from
        )
        return e_rows, p_rows, result

    rounds = 0
    with ThreadPoolExecutor(threads or audit_threads(len(years))) as pool:
        # map() hands the years' results back in order and raises a year's error here
        for e_rows, p_rows, result in pool.map(audit, years):
            evaluation_reasons[e_rows] = result.evaluation
            participation_reasons[p_rows] = result.participation
            rounds += result.rounds
    return WithholdResult(evaluation_reasons, participation_reasons, rounds)


def withhold_pinned_together(
    evaluation: pl.DataFrame, participation: pl.DataFrame, min_cell_size: int, open_from: str
) -> WithholdResult:
    """Two phases keep closed periods stable. First every open cell is hidden, so what is
    withheld among closed cells depends on closed data only. Then the open cells are
    published and only open cells are withheld to keep that safe (a closed quarter
    pinned through its open year withholds the year)."""
    is_open = np.concatenate([_is_open(evaluation, open_from), _is_open(participation, open_from)])
    open_from_year = int(open_from[:4])
    n_eval = evaluation.height
    withheld = np.zeros(n_eval + participation.height, dtype=bool)
    reasons = np.full(withheld.shape, None, dtype=object)
    open_year_of = _year_rows(evaluation, participation, open_from_year)
    any_year_of = _year_rows(evaluation, participation, 0)
    family = _families(evaluation, participation)
    # the reader sees the perturbed counts and the publishable means under the published
    # names (the means where the cells have them: the perturbed models' publishable_*)
    evaluation = evaluation.select(
        [
            *EVALUATION_KEY_COLUMNS,
            *(pl.col(f"perturbed_{c}").alias(c) for c in EVALUATION_COUNTS),
            *_publishable_means(evaluation, EVALUATION_MEANS),
        ]
    )
    participation = participation.select(
        [
            *PARTICIPATION_KEY_COLUMNS,
            *(pl.col(f"perturbed_{c}").alias(c) for c in PARTICIPATION_COUNTS),
            *_publishable_means(participation, PARTICIPATION_MEANS),
        ]
    )
    model = reader_model(evaluation, participation)
    partners = RelationPartners(model)
    rounds = 0
    for phase_hidden, allowed in ((is_open, ~is_open), (np.zeros_like(is_open), is_open)):
        if not allowed.any():
            # Nothing may be withheld, and nothing can be pinned either: in the first
            # phase every cell is open and hidden; in the second none is open, so the
            # cells are published as the first phase left them, with nothing pinned.
            continue
        for _ in range(MAX_ROUNDS):
            rounds += 1
            publish(model, withheld | phase_hidden)
            pinned = [c for c in pinned_small(model, min_cell_size) if not phase_hidden[c]]
            if not pinned:
                break
            if not _withhold_round(
                pinned, withheld, reasons, allowed, open_year_of, any_year_of, family
            ) and not _withhold_partners(pinned, withheld, reasons, allowed, partners):
                raise RuntimeError(
                    f"disclosure audit: {len(pinned)} cells stay recomputable; "
                    "nothing left to withhold by the year rule or their relations"
                )
        else:
            raise RuntimeError(f"disclosure audit did not settle in {MAX_ROUNDS} rounds")
    return WithholdResult(reasons[:n_eval], reasons[n_eval:], rounds)


def _publishable_means(cells: pl.DataFrame, means: tuple[MeanSum, ...]) -> list[pl.Expr]:
    return [
        pl.col(f"publishable_{m.mean}").alias(m.mean)
        for m in means
        if f"publishable_{m.mean}" in cells.columns
    ]


def _withhold_round(pinned, withheld, reasons, allowed, open_year_of, any_year_of, family) -> bool:
    """Withhold one cell per entity-year for this round's pinned cells; False when none
    could be withheld. Quarters first: withholding one usually frees its year."""
    progress = False
    handled: set[int] = set()
    for cell in sorted(pinned, key=lambda c: any_year_of[c] < 0):
        if family[cell] in handled:
            continue
        handled.add(family[cell])
        # a withheld cell that is still pinned: its year goes too
        candidates = [open_year_of[cell], cell] if not withheld[cell] else [any_year_of[cell]]
        for target in candidates:
            if target >= 0 and allowed[target] and not withheld[target]:
                withheld[target] = True
                reasons[target] = "recomputable"
                progress = True
                break
    return progress


class RelationPartners:
    """The cells that share a relation of the reader model with a given cell, and how
    much each publishes (the sum of its published upper bounds)."""

    def __init__(self, model: ReaderModel) -> None:
        system = model.system
        self._rows = np.concatenate(system.rows) if system.rows else np.zeros(0, np.int64)
        self._columns = np.concatenate(system.columns) if system.columns else np.zeros(0, np.int64)
        self._blocks = (model.evaluation, model.participation)
        self._cells_end = model.participation.offset + model.participation.size
        self._system = system

    def _cell_of(self, variables: np.ndarray) -> np.ndarray:
        evaluation, participation = self._blocks
        in_participation = variables >= participation.offset
        return np.where(
            in_participation,
            evaluation.cells.height
            + (variables - participation.offset) // len(participation.counts),
            variables // len(evaluation.counts),
        )

    def _variables_of(self, cell: int) -> np.ndarray:
        evaluation, participation = self._blocks
        block, row = (
            (evaluation, cell)
            if cell < evaluation.cells.height
            else (participation, cell - evaluation.cells.height)
        )
        return block.offset + row * len(block.counts) + np.arange(len(block.counts))

    def _counts_of(self, cell: int) -> np.ndarray:
        """The cell's published counts' variables (its slacks publish nothing)."""
        evaluation, participation = self._blocks
        block = evaluation if cell < evaluation.cells.height else participation
        return self._variables_of(cell)[: len(block.published)]

    def _members_of_rows_with(self, variables: np.ndarray) -> np.ndarray:
        rows = np.unique(self._rows[np.isin(self._columns, variables)])
        return self._columns[np.isin(self._rows, rows)]

    def of(self, cell: int) -> np.ndarray:
        """Every other cell in a relation with `cell`, smallest published figures first.
        A relation through an unpublished variable (a supplier x category intersection)
        counts: a course's partners include its supplier and its category."""
        members = self._members_of_rows_with(self._variables_of(cell))
        unpublished = np.unique(members[members >= self._cells_end])
        if unpublished.size:
            members = np.concatenate([members, self._members_of_rows_with(unpublished)])
        members = members[members < self._cells_end]
        cells = np.unique(self._cell_of(members))
        cells = cells[cells != cell]
        weight = [float(np.sum(self._system.high[self._counts_of(int(c))])) for c in cells]
        return cells[np.argsort(weight, kind="stable")]


# How many relations away a pinned cell's complementary suppression may look: one did
# for every case until stop 39, when probing found a closed quarter pinned through open
# cells two relations away, its one open partner already withheld.
MAX_PARTNER_DISTANCE = 4


def _withhold_partners(pinned, withheld, reasons, allowed, partners: RelationPartners) -> bool:
    """For a pinned cell the year rule cannot help (it and its year are withheld, or its
    year may not be withheld in this phase): withhold the cell itself if it may be, else
    the nearest cell it shares a relation with, directly or through other cells, that may
    be withheld, smallest published figures first (complementary suppression). False when
    no pinned cell had such a cell."""
    progress = False
    for cell in pinned:
        if allowed[cell] and not withheld[cell]:
            withheld[cell] = True
            reasons[cell] = "recomputable"
            progress = True
            continue
        partner = _nearest_withholdable(int(cell), withheld, allowed, partners)
        if partner is not None:
            withheld[partner] = True
            reasons[partner] = "recomputable"
            progress = True
    return progress


def _nearest_withholdable(cell: int, withheld, allowed, partners: RelationPartners) -> int | None:
    seen, frontier = {cell}, [cell]
    for _ in range(MAX_PARTNER_DISTANCE):
        following: list[int] = []
        for member in frontier:
            for partner in partners.of(member):
                partner = int(partner)
                if allowed[partner] and not withheld[partner]:
                    return partner
                if partner not in seen:
                    seen.add(partner)
                    following.append(partner)
        frontier = following
    return None
