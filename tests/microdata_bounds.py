"""What a research release's microdata tell the attacker about the protected tables.

A release ships k-anonymous microdata (one row per admitted enrolment) beside the
perturbed tables. A reader holding both counts microdata rows: the rows that show a
category and a year (say) are a floor under that category-year's true enrolments, and
the rows that could belong to it (a `*` in its place, a withheld outcome, a dropped row)
make a ceiling. These are exact bounds on sums of true table counts, which the tables'
noise does not blur. This module writes them down as constraints of the attacker in
tests/disclosure_attacker.py, read only from what a release publishes: the microdata,
the manifest (rows before and after suppression, the generalisations applied) and the
data dictionary's description of the generalisation ladder (written out here, not
imported from leerdata.research).

Means: of the tables' means only mean_overall is over values the microdata show (the
scores). With the scores of some of a category-period's responses known, its published
mean (a true mean, rounded) gives a floor under the true number of responses
(mean_floor). Its count has no microdata ceiling (responses of enrolments that were not
admitted have no row), so the mean raises floors only.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from pathlib import Path

import polars as pl

from tests.disclosure_attacker import Attack

STAR = "*"
# The ladder as the data dictionary describes it: coarse value -> the tables' values.
COARSENINGS = {
    "age bands merged": (
        "age_band",
        {"<35": ["<25", "25-34"], "35-54": ["35-44", "45-54"], "55+": ["55+"]},
    ),
    "delivery mode generalised": (
        "delivery_mode",
        {"in_person": ["classroom", "blended"], "online": ["e-learning", "webinar"]},
    ),
    "scale bands merged": (
        "scale_band",
        {
            "schaal 1-9": ["schaal 1-6", "schaal 7-9"],
            "schaal 10-13": ["schaal 10-11", "schaal 12-13"],
            "schaal 14+": ["schaal 14+"],
        },
    ),
}
# count -> (a row surely in it, a row possibly in it or None: no ceiling), on the
# sensitive columns
EVALUATION_OUTCOMES: dict[str, tuple[pl.Expr, pl.Expr | None]] = {
    "enrolments": (pl.lit(True), pl.lit(True)),
    "completions": (
        pl.col("completion_status") == "completed",
        pl.col("completion_status").is_in(["completed", "withheld"]),
    ),
    "no_shows": (
        pl.col("completion_status") == "no_show",
        pl.col("completion_status").is_in(["no_show", "withheld"]),
    ),
    "examined": (
        pl.col("exam_result").is_in(["passed", "failed"]),
        pl.col("exam_result").is_in(["passed", "failed", "withheld"]),
    ),
    "passed": (
        pl.col("exam_result") == "passed",
        pl.col("exam_result").is_in(["passed", "withheld"]),
    ),
    # a row with a score had an overall response; the tables count responses that no
    # released row stands for as well (a floor only)
    "overall_responses": (~pl.col("overall_score").is_in(["", "withheld"]), None),
}
PARTICIPATION_OUTCOMES = {c: EVALUATION_OUTCOMES[c] for c in ("enrolments", "completions")}
PARTICIPATION_BREAKDOWNS = ("age_band", "scale_band", "gender", "delivery_mode")


def read_release(folder: Path) -> tuple[pl.DataFrame, dict]:
    manifest = json.loads((folder / "manifest.json").read_text())
    microdata = pl.read_csv(folder / "microdata.csv", infer_schema=False)
    return microdata, manifest


def _coarse_of(manifest: dict) -> dict[str, dict[str, str]]:
    """column -> {table value: microdata value} for the generalisations applied."""
    applied = " ".join(manifest["generalisations"])
    coarse: dict[str, dict[str, str]] = {}
    for phrase, (column, groups) in COARSENINGS.items():
        if phrase in applied:
            coarse[column] = {fine: wide for wide, fines in groups.items() for fine in fines}
    return coarse


def _period_type(manifest: dict) -> str:
    return "year" if "generalised to year" in " ".join(manifest["generalisations"]) else "quarter"


class _MicrodataCounts:
    """Floors and ceilings of the number of enrolments behind any combination of
    quasi-identifier values, per outcome."""

    def __init__(self, microdata: pl.DataFrame, dropped: int) -> None:
        self.microdata = microdata
        self.dropped = dropped
        self._cache: dict[tuple, dict[tuple, int]] = {}

    def _counted(self, dims: tuple[str, ...], starred: tuple[str, ...], outcome: pl.Expr):
        key = (dims, starred, str(outcome))
        if key not in self._cache:
            kept = [d for d in dims if d not in starred]
            rows = self.microdata.filter(
                outcome,
                *[pl.col(d) == STAR for d in starred],
                *[pl.col(d) != STAR for d in kept],
            )
            if kept:
                grouped = rows.group_by(kept).len()
                self._cache[key] = {tuple(r[:-1]): r[-1] for r in grouped.iter_rows()}
            else:
                self._cache[key] = {(): rows.height}
        return self._cache[key]

    def floor(self, dims: tuple[str, ...], values: tuple[str, ...], sure: pl.Expr) -> int:
        return self._counted(dims, (), sure).get(values, 0)

    def ceiling(self, dims: tuple[str, ...], values: tuple[str, ...], possible: pl.Expr) -> int:
        total = self.dropped
        for n in range(len(dims) + 1):
            for starred in itertools.combinations(dims, n):
                kept_values = tuple(
                    v for d, v in zip(dims, values, strict=True) if d not in starred
                )
                total += self._counted(dims, starred, possible).get(kept_values, 0)
        return total


def _add_family(
    model: Attack,
    counts: _MicrodataCounts,
    cells: list[tuple[int, dict[str, str]]],
    variable,
    outcomes: dict[str, tuple[pl.Expr, pl.Expr | None]],
    per_period: bool,
) -> int:
    """cells: (table row, {microdata column: microdata value}). For every choice of the
    columns kept (the others summed over), one floor/ceiling row per outcome; with
    `per_period`, only the choices that keep the period."""
    if not cells:
        return 0
    dims_all = tuple(cells[0][1])
    added = 0
    for n in range(1, len(dims_all) + 1):
        for dims in itertools.combinations(dims_all, n):
            if per_period and "period" not in dims:
                continue
            groups: dict[tuple, list[int]] = defaultdict(list)
            for row, cell in cells:
                groups[tuple(cell[d] for d in dims)].append(row)
            for values, rows in groups.items():
                for count, (sure, possible) in outcomes.items():
                    low = counts.floor(dims, values, sure)
                    high = math.inf if possible is None else counts.ceiling(dims, values, possible)
                    model.c.add([(variable(r, count), 1.0) for r in rows], float(low), float(high))
                    added += 1
    return added


# mean_overall: a mean of scores 1..10, published rounded to 0.1 (README, Disclosure
# control) over the cell's true overall responses
SCORES = (1, 10)
MEAN_HALF_STEP = 0.05


def mean_floor(known: int, known_sum: int, mean: float) -> int:
    """The fewest true responses behind a published mean, given `known` of them whose
    scores the microdata show (summing to `known_sum`). The others' scores are unknown
    but lie in SCORES, and the true mean lies within a half step of the published one:
    known scores below the mean need enough unknown high ones to lift it, and known
    scores above it enough low ones. (An LP relaxation: the unknown scores' sum is not
    required to be a whole number.)"""
    low, high = SCORES
    floor = float(known)
    if mean - MEAN_HALF_STEP < high:  # unknown scores are at most `high`
        floor = max(floor, (high * known - known_sum) / (high - mean + MEAN_HALF_STEP))
    if mean + MEAN_HALF_STEP > low:  # and at least `low`
        floor = max(floor, (known_sum - low * known) / (mean + MEAN_HALF_STEP - low))
    return math.ceil(floor - 1e-9)


def add_mean_floors(model: Attack, microdata: pl.DataFrame, period_type: str) -> tuple[int, int]:
    """A category-period's published mean_overall is over its true overall responses;
    the microdata show the scores of some of them (rows of that category and period
    with a score; a row's score is one of its enrolment's responses). mean_floor then
    bounds the true count from below. Returns (floors added, floors above the plain
    count of known scores)."""
    scored = microdata.filter(pl.col("overall_score").str.contains(r"^\d+$"))
    known = {
        (r["category_code"], r["period"]): (r["len"], r["sum"])
        for r in scored.group_by("category_code", "period")
        .agg(pl.len(), pl.col("overall_score").cast(pl.Int64).sum().alias("sum"))
        .iter_rows(named=True)
    }
    shown = model.evaluation.filter(
        (pl.col("level") == "category")
        & (pl.col("period_type") == period_type)
        & ~pl.col("suppressed")
        & pl.col("mean_overall").is_not_null()
    )
    raised = 0
    for r in shown.iter_rows(named=True):
        count, total = known.get((r["entity"], r["period"]), (0, 0))
        floor = mean_floor(count, total, r["mean_overall"])
        model.c.add([(model.e(r["row"], "overall_responses"), 1.0)], float(floor), math.inf)
        raised += floor > count
    return shown.height, raised


def add_microdata_bounds(
    model: Attack, microdata: pl.DataFrame, manifest: dict, per_period: bool = False
) -> int:
    """Add the release's floors and ceilings to the attacker's model; returns how many
    constraints were added. `per_period` leaves out the bounds that sum over periods,
    for a model of one year's tables (benchmarks/disclosure_attack.py)."""
    coarse = _coarse_of(manifest)
    period_type = _period_type(manifest)
    dropped = manifest["rows_before_suppression"] - manifest["rows_released"]
    counts = _MicrodataCounts(microdata.with_columns(pl.all().fill_null("")), dropped)

    def wide(column: str, value: str) -> str:
        return coarse.get(column, {}).get(value, value)

    added = 0
    categories = model.evaluation.filter(
        (pl.col("level") == "category") & (pl.col("period_type") == period_type)
    )
    cells = [
        (r["row"], {"category_code": r["entity"], "period": r["period"]})
        for r in categories.iter_rows(named=True)
    ]
    outcomes = {c: o for c, o in EVALUATION_OUTCOMES.items() if c in model.e_counts}
    added += _add_family(model, counts, cells, model.e, outcomes, per_period)

    participation = model.participation.filter(pl.col("period_type") == period_type)
    for breakdown in ("total", *PARTICIPATION_BREAKDOWNS):
        rows = participation.filter(pl.col("breakdown") == breakdown)
        cells = []
        for r in rows.iter_rows(named=True):
            values = {"department_code": r["department_code"], "period": r["period"]}
            if breakdown != "total":
                values[breakdown] = wide(breakdown, r["breakdown_value"])
            cells.append((r["row"], values))
        added += _add_family(model, counts, cells, model.p, PARTICIPATION_OUTCOMES, per_period)
    if "overall_responses" in model.e_counts and "mean_overall" in model.evaluation.columns:
        added += add_mean_floors(model, counts.microdata, period_type)[0]
    return added
