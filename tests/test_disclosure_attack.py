"""Disclosure control, tested by attacking it (tests/disclosure_attacker.py).

The attacker knows the true counts (the restricted zone) and the published method, writes
down every relation between the published figures and solves LPs for every true count of
1..9. Against the built warehouse it must recover nothing; against the previous design's
published output (tests/fixtures/sdc_previous_design, a small seed-7 build of commit
0ca759f) it must find the leaks that an outside check found there.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from leerdata.config import DataPaths
from leerdata.sdc.reader_model import EVALUATION_COUNTS, PARTICIPATION_COUNTS
from leerdata.sdc.withhold import withhold_pinned
from tests.disclosure_attacker import (
    EXACT,
    Attack,
    Method,
    attack,
    published_cells,
    published_cells_from_parquet,
    true_cells,
    true_cells_from_parquet,
)
from tests.sdc_reader_views import (
    EVALUATION_KEY_TYPES,
    evaluation_reader_view,
    no_courses,
    participation_reader_view,
)

PUBLISHED_METHOD = Method(max_noise=2, small_values=2)  # README: Disclosure control
PREVIOUS_DESIGN = Path(__file__).parent / "fixtures" / "sdc_previous_design"


def _attack(paths: DataPaths, method: Method):
    evaluation, participation, courses = published_cells(paths.reporting_db)
    evaluation_truth, participation_truth = true_cells(paths.restricted_db)
    return attack(evaluation, participation, courses, evaluation_truth, participation_truth, method)


def _rebuildable(key_file: Path) -> str:
    """The session's random test key (synthetic, never a real one): with it a failing
    build can be made again (CI's failure of 2 December 2026 could not be)."""
    return f"test key file text: {key_file.read_text().strip()}"


def test_attacker_recovers_no_small_count_from_the_tiny_warehouse(
    tiny_warehouse: DataPaths, key_file: Path
) -> None:
    result = _attack(tiny_warehouse, PUBLISHED_METHOD)
    assert result.candidates > 100, "too few small counts to attack"
    assert result.recovered == [], _rebuildable(key_file)


@pytest.mark.slow
def test_attacker_recovers_no_small_count_from_the_small_warehouse(
    small_warehouse: DataPaths, key_file: Path
) -> None:
    result = _attack(small_warehouse, PUBLISHED_METHOD)
    assert result.candidates > 1000, "too few small counts to attack"
    assert result.recovered == [], _rebuildable(key_file)


def test_attacker_finds_the_previous_designs_leaks() -> None:
    """Negative control: the previous design (cell suppression audited on participants
    only, exact counts) leaks through the other counts and the rates."""
    evaluation, participation, courses = published_cells_from_parquet(PREVIOUS_DESIGN)
    evaluation_truth, participation_truth = true_cells_from_parquet(PREVIOUS_DESIGN)
    # the counts the row-by-row bounds pin, plus exact LPs on a sample of the rest (all
    # of them take minutes; the README's figures come from the full run). 30 pairs, 0.25 s
    # each: 15 recoveries of the LPs' own, enough to show that path finds leaks too.
    result = attack(
        evaluation,
        participation,
        courses,
        evaluation_truth,
        participation_truth,
        EXACT,
        max_single_lps=30,
    )
    assert len(result.exact_and_true) == len(result.recovered), "a recovery must be the truth"
    derived_cells = {(r.table, r.cell) for r in result.recovered if r.derived}
    by_count = Counter(r.count for r in result.recovered if r.derived)
    # the outside check recovered 540 of the 986 suppressed cells at this seed
    assert len(derived_cells) > 300, by_count
    assert by_count["participants"] > 100, by_count
    published_small = [r for r in result.recovered if not r.derived]
    assert published_small, "exact small outcome counts were published next to large cells"
    assert any(r.by_single_lp for r in result.recovered), "the single LPs pinned nothing"


def _unrounded(
    published: pl.DataFrame, truth: pl.DataFrame, keys: dict[str, str], means: dict
) -> pl.DataFrame:
    """`published` with each mean replaced by the true one, in every row not withheld."""
    true_means = truth.select(
        *(pl.col(source).alias(key) for source, key in keys.items()),
        *(
            (
                pl.col(total).cast(pl.Float64) / pl.col(count).replace(0, None).cast(pl.Float64)
            ).alias(f"true_{mean}")
            for mean, (count, _, _, _, total) in means.items()
        ),
    )
    joined = published.join(true_means, on=list(keys.values()), how="left")
    return joined.with_columns(
        pl.when(~pl.col("suppressed")).then(pl.col(f"true_{mean}")).alias(mean) for mean in means
    ).drop(f"true_{mean}" for mean in means)


def test_unrounded_means_give_small_counts_away(
    tiny_warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control for the means: the attacker writes each mean's true sum as a
    variable (count x mean, within half the rounding step) that adds up over quarters,
    courses and breakdowns like its count. The tiny warehouse's tables with every mean
    shown unrounded (in each row that is not withheld) give small counts away; the
    published, rounded and gated means do not (the test above)."""
    from tests import disclosure_attacker
    from tests.disclosure_attacker import MEANS, PARTICIPATION_MEANS

    # shown wherever a row has people: no gate to read from them
    for name, means in (
        ("EVALUATION_GATES", MEANS),
        ("PARTICIPATION_GATES", PARTICIPATION_MEANS),
    ):
        gates = getattr(disclosure_attacker, name)
        monkeypatch.setattr(
            disclosure_attacker, name, {f: c for f, c in gates.items() if f not in means}
        )
    evaluation, participation, courses = published_cells(tiny_warehouse.reporting_db)
    evaluation_truth, participation_truth = true_cells(tiny_warehouse.restricted_db)
    evaluation = _unrounded(
        evaluation,
        evaluation_truth,
        {"evaluation_level": "level", "entity_id": "entity", "period": "period"},
        MEANS,
    )
    participation = _unrounded(
        participation,
        participation_truth,
        {c: c for c in ("department_code", "breakdown", "breakdown_value", "period")},
        PARTICIPATION_MEANS,
    )
    exact = Method(max_noise=2, small_values=2, mean_half_step=1e-6)
    model = Attack(evaluation, participation, courses, exact)
    assert (model.means, model.p_means) == (list(MEANS), list(PARTICIPATION_MEANS))
    result = model.solve(model.truth_vector(evaluation_truth, participation_truth), model.describe)
    for found in result.recovered:  # the one whole number within its bounds is the truth
        assert math.ceil(found.low - 1e-6) == found.true_value == math.floor(found.high + 1e-6)
    assert len(result.recovered) >= 10, f"unrounded means pinned only {len(result.recovered)}"


def test_a_published_small_count_is_caught_even_under_noise(tiny_warehouse: DataPaths) -> None:
    """The attacker is not blind to the perturbed design: a mart where one small cell
    and its year are published exactly (noise 0 on both, quarter = year) gives that
    count away, and the attacker says so."""
    evaluation, participation, courses = published_cells(tiny_warehouse.reporting_db)
    evaluation_truth, participation_truth = true_cells(tiny_warehouse.restricted_db)
    # pick a course-quarter whose year has only this quarter, with a true count of 1..9
    import polars as pl

    quarters = evaluation.filter(
        (pl.col("level") == "course") & (pl.col("period_type") == "quarter")
    )
    alone = quarters.group_by(["entity", "year"]).len().filter(pl.col("len") == 1)
    truth = evaluation_truth.filter(pl.col("evaluation_level") == "course")
    target = (
        quarters.join(alone, on=["entity", "year"])
        .join(truth, left_on=["entity", "period"], right_on=["entity_id", "period"], suffix="_true")
        .filter(pl.col("enrolments_true").is_between(3, 9) & ~pl.col("suppressed"))
        .row(0, named=True)
    )

    # publish its enrolments as the truth minus 2 and its year's as the truth plus 2:
    # both within the noise bound, and together they pin the count
    def shifted(frame: pl.DataFrame, period: str, delta: int) -> pl.DataFrame:
        hit = (
            (pl.col("level") == "course")
            & (pl.col("entity") == target["entity"])
            & (pl.col("period") == period)
        )
        return frame.with_columns(
            pl.when(hit)
            .then(target["enrolments_true"] + delta)
            .otherwise(pl.col("enrolments"))
            .alias("enrolments")
        )

    evaluation = shifted(evaluation, target["period"], -2)
    evaluation = shifted(evaluation, str(target["year"]), +2)
    result = attack(
        evaluation, participation, courses, evaluation_truth, participation_truth, PUBLISHED_METHOD
    )
    pinned = {(r.cell, r.count) for r in result.recovered}
    assert (("course", target["entity"], target["period"]), "enrolments") in pinned


def test_a_gate_on_the_true_count_gives_a_count_away(tiny_warehouse: DataPaths) -> None:
    """Negative control of the gates: the previous gate showed a mean only over 10 true
    contributors. A reader sees it is not a gate on the published count (a published 9
    with a mean), so a published 11 without one is a true 9. Here: the tiny build's
    mean approval lead time gated on the true approved enrolments, and one cell with a
    true 9 published as 11 (a legal value: noise +2)."""
    evaluation, participation, courses = published_cells(tiny_warehouse.reporting_db)
    evaluation_truth, participation_truth = true_cells(tiny_warehouse.restricted_db)
    key = ["department_code", "breakdown", "breakdown_value", "period"]
    joined = participation.join(participation_truth, on=key, suffix="_true", how="left")
    target = joined.filter(~pl.col("suppressed") & (pl.col("approved_enrolments_true") == 9)).row(
        0, named=True
    )
    is_target = pl.all_horizontal(pl.col(c) == target[c] for c in key)
    shown_by_truth = pl.col("approved_enrolments_true") >= PUBLISHED_METHOD.min_cell_size
    participation = joined.with_columns(
        pl.when(is_target)
        .then(11)
        .otherwise(pl.col("approved_enrolments"))
        .alias("approved_enrolments"),
        pl.when(~pl.col("suppressed") & shown_by_truth)
        .then(pl.coalesce("mean_approval_lead_days", pl.lit(5.0)))
        .alias("mean_approval_lead_days"),
    ).select(participation.columns)
    assert (
        participation.filter(
            pl.col("mean_approval_lead_days").is_not_null() & (pl.col("approved_enrolments") < 12)
        ).height
        > 0
    ), "no cell shows the gate is on the true count"
    # the means filled in above are made up, not true ones: no sums behind them
    model = Attack(evaluation, participation, courses, PUBLISHED_METHOD, means=False)
    result = model.solve(model.truth_vector(evaluation_truth, participation_truth), model.describe)
    assert len(result.exact_and_true) == len(result.recovered), "a recovery must be the truth"
    pinned = {(r.cell, r.count) for r in result.recovered}
    cell = (target["department_code"], target["breakdown"], target["breakdown_value"])
    assert ((*cell, target["period"]), "approved_enrolments") in pinned


@pytest.mark.slow
def test_a_margins_hours_over_a_withheld_course_give_its_completions_back(
    small_warehouse: DataPaths,
) -> None:
    """Negative control of the margins' hours: until 2 December 2026 a category's hours
    added up every course's hours, a withheld one's too, so the category's hours minus
    those the other courses show were the withheld course's duration x its perturbed
    completions. Here course quarters of the small build are withheld one at a time, each
    the only course its supplier gave that quarter, with the supplier's quarter (as the
    audit withholds them), in a category quarter whose other courses are all published:
    where the other figures leave its completions wider than the noise, the old category
    hours narrow them to the noise's width again; NULL, as the build now publishes them,
    not.

    Which quarters are published follows the noise, and so the session's random key; the
    targets are chosen so that every session has some. On the tiny build no course was
    left to compare in 1 of 24 sessions (stop 51). With a supplier's other course
    published, the supplier's figures minus it pin the course within the noise anyway;
    with a second course of the category withheld, the old hours hold two unknowns."""
    evaluation, participation, courses = published_cells(small_warehouse.reporting_db)
    course_quarters = evaluation.filter(
        (pl.col("level") == "course") & (pl.col("period_type") == "quarter")
    )
    quarters = course_quarters.filter(~pl.col("suppressed"))
    shared = quarters.group_by(["category_code", "period"]).len().filter(pl.col("len") >= 2)
    only_course = (
        quarters.group_by(["supplier_id", "period"]).len().filter(pl.col("len") == 1).drop("len")
    )
    all_published = (
        course_quarters.group_by(["category_code", "period"])
        .agg(pl.col("suppressed").any().alias("withheld"))
        .filter(~pl.col("withheld"))
        .drop("withheld")
    )
    targets = (
        quarters.join(shared, on=["category_code", "period"])
        .join(all_published, on=["category_code", "period"])
        .join(only_course, on=["supplier_id", "period"])
        .filter(pl.col("completions") >= 3)
        .sort(["period", "entity"])
    )
    counts = [c for c in EVALUATION_COUNTS if c in evaluation.columns]
    noise_width = 2 * PUBLISHED_METHOD.max_noise

    def completions_width(frame: pl.DataFrame, is_target: pl.Expr) -> float:
        # hours only: the means' sums narrow a withheld course too (their own attack,
        # above, finds nothing pinned), which would hide what the hours do
        model = Attack(frame, participation, courses, PUBLISHED_METHOD, means=False)
        row = frame.with_row_index("_r").filter(is_target)["_r"][0]
        low, high = model.tightened()
        j = model.e(row, "completions")
        return float(high[j] - low[j])

    widths = []
    for target in targets.iter_rows(named=True):
        in_period = (pl.col("period") == target["period"]) & (pl.col("period_type") == "quarter")
        is_target = (pl.col("level") == "course") & (pl.col("entity") == target["entity"])
        is_supplier = (pl.col("level") == "supplier") & (pl.col("entity") == target["supplier_id"])
        is_hidden = in_period & (is_target | is_supplier)
        withheld = evaluation.with_columns(
            pl.when(is_hidden).then(True).otherwise(pl.col("suppressed")).alias("suppressed"),
            *(
                pl.when(is_hidden).then(None).otherwise(pl.col(c)).alias(c)
                for c in [*counts, "training_hours"]
            ),
        )
        is_category = (pl.col("level") == "category") & (
            pl.col("entity") == target["category_code"]
        )
        as_now = withheld.with_columns(
            pl.when(in_period & is_category)
            .then(None)
            .otherwise(pl.col("training_hours"))
            .alias("training_hours")
        )
        now = completions_width(as_now, in_period & is_target)
        if now > noise_width:
            widths.append((now, completions_width(withheld, in_period & is_target)))
    assert widths, "no withheld course left wider than the noise to compare"
    assert all(old <= noise_width for _, old in widths), widths


RECORDED_LEAK = Path(__file__).parent / "fixtures" / "sdc_recorded_leak"


def test_the_recorded_leak_leaves_no_count_an_lp_attacker_pins() -> None:
    """Regression: the cells of the case where the attacker pinned a count (README,
    "Disclosure control": VWS, gender unknown, 2026-Q4, participants true 1 and published
    3). A reader subtracts the year's completions from its enrolments (12 - 11 at most)
    and the open quarter has no completions, so its enrolments and participants are at
    most 1. The audit has to see that and withhold; the attacker then pins nothing."""
    cells = pl.read_parquet(RECORDED_LEAK / "vws_participation_cells.parquet")
    no_evaluation = pl.DataFrame(
        schema=dict.fromkeys(("evaluation_level", "entity_id"), pl.String)
        | EVALUATION_KEY_TYPES
        | dict.fromkeys((f"perturbed_{c}" for c in EVALUATION_COUNTS), pl.Int64)
    )
    result = withhold_pinned(no_evaluation, cells, 10, open_from="2026-Q4")
    participation = participation_reader_view(cells, list(result.participation))
    evaluation = pl.DataFrame(
        schema=dict.fromkeys(("level", "entity"), pl.String)
        | EVALUATION_KEY_TYPES
        | {"suppressed": pl.Boolean, "training_hours": pl.Float64}
        | dict.fromkeys(EVALUATION_COUNTS, pl.Int64)
    )
    truth = cells.select(
        "department_code", "breakdown", "breakdown_value", "period", *PARTICIPATION_COUNTS
    )
    courses = no_courses()
    no_truth = pl.DataFrame(
        schema={"evaluation_level": pl.String, "entity_id": pl.String, "period": pl.String}
    )
    found = attack(evaluation, participation, courses, no_truth, truth, PUBLISHED_METHOD)
    assert found.candidates > 300, "too few small counts to attack"
    assert found.recovered == []


def _attack_evaluation_year(cells: pl.DataFrame, withheld: list[str | None]):
    participation = pl.DataFrame(
        schema=dict.fromkeys(("department_code", "breakdown", "breakdown_value"), pl.String)
        | {"period_type": pl.String, "period": pl.String, "year": pl.Int64}
        | {"suppressed": pl.Boolean}
        | dict.fromkeys(PARTICIPATION_COUNTS, pl.Int64)
    )
    courses = no_courses()
    truth = cells.select("evaluation_level", "entity_id", "period", *EVALUATION_COUNTS)
    no_truth = pl.DataFrame(
        schema=dict.fromkeys(
            ("department_code", "breakdown", "breakdown_value", "period"), pl.String
        )
        | dict.fromkeys(PARTICIPATION_COUNTS, pl.Int64)
    )
    evaluation = evaluation_reader_view(cells, withheld)
    return attack(evaluation, participation, courses, truth, no_truth, PUBLISHED_METHOD)


RECORDED_EVALUATION_LEAKS = [
    # (fixture, open_from, the pinned cell, count, true value)
    ("evaluation_cells_2026.parquet", "2026-Q4", ("course", "CRS00040", "2026-Q4"), "promoters", 1),
    ("evaluation_cells_2025.parquet", "2026-Q4", ("course", "CRS00079", "2025-Q4"), "no_shows", 1),
]


@pytest.mark.parametrize(
    ("fixture", "open_from", "cell", "count", "true_value"),
    RECORDED_EVALUATION_LEAKS,
    ids=["supplier-minus-category", "year-enrolments-minus-completions"],
)
def test_a_recorded_evaluation_leak_gives_no_count_away(
    fixture: str, open_from: str, cell: tuple, count: str, true_value: int
) -> None:
    """Regressions (stop 38, README "Disclosure control"), one year of a small build each,
    whose audit left the cell published:
    - 2026: category LEID's lower bound (published 6, so at least 4) covers three of
      supplier SUP000's four courses with promoters; SUP000's upper bound (3 + 2) leaves
      the fourth, CRS00040, at most 1;
    - 2025: CRS00079's year enrolments minus completions (at most 47 - 44), less Q2's (at
      least 20 participants - 18 completions), leaves Q4's no-shows at most 1.
    Published as those builds did, the attacker pins the cell; audited now, nothing."""
    cells = pl.read_parquet(RECORDED_LEAK / fixture)
    leaked = _attack_evaluation_year(cells, [None] * cells.height)
    pinned = {(r.cell, r.count, r.true_value) for r in leaked.recovered}
    assert (cell, count, true_value) in pinned

    no_participation = pl.DataFrame(
        schema=dict.fromkeys(("department_code", "breakdown", "breakdown_value"), pl.String)
        | {"period_type": pl.String, "period": pl.String, "year": pl.Int64}
        | dict.fromkeys((f"perturbed_{c}" for c in PARTICIPATION_COUNTS), pl.Int64)
    )
    result = withhold_pinned(cells, no_participation, 10, open_from=open_from)
    found = _attack_evaluation_year(cells, list(result.evaluation))
    assert found.candidates > 300, "too few small counts to attack"
    assert found.recovered == []
