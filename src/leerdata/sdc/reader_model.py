"""What a reader of the protected marts knows, as a system of bounds and relations.

Variables are the true counts of every published cell (one per cell and count). A
published count p says the truth lies in ptable.possible_true_counts(p); a withheld
cell says only that the count is >= 0 (>= 1 for the counts a row exists for). The
relations are every one a reader can write down from the marts' keys:

evaluation (course, supplier, category x quarter, year):
  - a year is the sum of its quarters, for every count;
  - a supplier's or category's quarter is the sum of its courses' quarters for counts of
    enrolments and evaluations, written through one unpublished variable per supplier x
    category (the sum of its courses; a supplier or category is the sum of its
    intersections), so propagation can subtract a supplier and a category; participants
    only cover (max <= total <= sum);
  - within a cell: participants <= enrolments, completions + no_shows <= enrolments,
    examined <= enrolments, passed_first_attempt <= passed <= examined,
    overall/recommend responses <= responses, promoters + detractors <= recommend
    responses;
participation (department x breakdown x quarter, year):
  - a year is the sum of its quarters;
  - a department's total is the sum of its directorates, scale bands, age bands and
    genders (one reference state per person-quarter) for every count, and of its
    delivery modes for enrolment counts (participants only cover);
  - participants <= enrolments <= requested, completions <= enrolments, waitlisted and
    approved <= requested;
both tables:
  - per quarter, the departments' total enrolments and completions add up to the
    categories' (every admitted enrolment is in both).

Where a margin's participants only cover its parts', its slack enrolments - participants
is at least the sum of its parts' (the covering slacks).

Every within-cell inequality `smaller parts <= larger` is also kept as a variable of its
own, the slack `larger - parts >= 0`, which adds up over quarters and margins wherever
its counts do. A reader who subtracts two sums (year enrolments - year completions)
bounds the quarters' differences at once, which bounds propagation on the counts alone
cannot see: an LP attacker pinned an open quarter with no completions yet that way
(tests/test_disclosure_attack.py, the key in the README's disclosure section).

A mean a mart shows beside the counts is a true sum over a true count, rounded
(README, *Means as sums*). Where the marts hold the means, each cell also has the sum
behind each mean as a variable: between its count times the lowest and times the
highest score, or, where the mean is shown, within half a rounding step of mean times
count; and sums add up over quarters, margins and breakdowns wherever their counts do.

Propagation still reads one row at a time, so pinned_small also probes the counts it
leaves within MAX_PROBED_WIDTH values: fixing a count at a value and propagating shows
whether the value is possible at all (leerdata.sdc.propagation.Prober).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from leerdata.sdc.propagation import INF, Prober, System, propagate
from leerdata.sdc.ptable import MAX_NOISE

EVALUATION_COUNTS: tuple[str, ...] = (
    "participants",
    "enrolments",
    "completions",
    "no_shows",
    "examined",
    "passed_first_attempt",
    "passed",
    "responses",
    "overall_responses",
    "recommend_responses",
    "promoters",
    "detractors",
)
PARTICIPATION_COUNTS: tuple[str, ...] = (
    "participants",
    "enrolments",
    "requested_enrolments",
    "completions",
    "waitlisted_enrolments",
    "approved_enrolments",
)
# within a cell: (larger, smaller parts) with sum(parts) <= larger. A larger may be a
# slack itself: "enrolments - completions" - no_shows is the slack "enrolments -
# completions - no_shows", so enrolments - completions is a variable of its own that adds
# up over quarters and margins. An LP attacker used it (stop 38): a year's enrolments
# minus its completions (at most 47 - 44), less another quarter's (at least 20 - 18),
# left one quarter's no-shows at most 1.
EVALUATION_SLACKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("enrolments", ("participants",)),
    ("enrolments", ("completions",)),
    ("enrolments", ("no_shows",)),
    ("enrolments - completions", ("no_shows",)),
    ("enrolments", ("examined",)),
    ("examined", ("passed",)),
    ("passed", ("passed_first_attempt",)),
    ("responses", ("overall_responses",)),
    ("responses", ("recommend_responses",)),
    ("recommend_responses", ("promoters",)),
    ("recommend_responses", ("detractors",)),
    ("recommend_responses - promoters", ("detractors",)),
)
PARTICIPATION_SLACKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("enrolments", ("participants",)),
    ("requested_enrolments", ("enrolments",)),
    ("enrolments", ("completions",)),
    ("requested_enrolments", ("waitlisted_enrolments",)),
    ("requested_enrolments", ("approved_enrolments",)),
)


@dataclass(frozen=True)
class MeanSum:
    """The true sum behind a published mean: sum / count, rounded to `half_step` * 2."""

    mean: str  # the published column
    count: str  # the count it is over
    lowest: float  # the lowest and highest value one contributor can have
    highest: float
    half_step: float
    whole: bool  # whole-number values (a sum of exam scores may have decimals)

    @property
    def name(self) -> str:
        return f"sum behind {self.mean}"


# mean_completion_days is over the completions that have a completion date, which no
# published count is: left out (as by tests/disclosure_attacker.py).
EVALUATION_MEANS = (
    MeanSum("mean_overall", "overall_responses", 1.0, 10.0, 0.05, whole=True),
    MeanSum("mean_exam_score", "examined", 0.0, 100.0, 0.5, whole=False),
)
PARTICIPATION_MEANS = (
    MeanSum("mean_approval_lead_days", "approved_enrolments", 0.0, INF, 0.5, whole=True),
)
PERSON_COUNTS = frozenset({"participants"})  # distinct persons: margins only cover
ADDITIVE_BREAKDOWNS = ("directorate", "scale_band", "age_band", "gender")
ENROLMENT_BREAKDOWNS = ("delivery_mode",)
EVALUATION_KEY = ("evaluation_level", "entity_id", "period_type", "period")
PARTICIPATION_KEY = ("department_code", "breakdown", "breakdown_value", "period_type", "period")


def slack_name(larger: str, parts: tuple[str, ...]) -> str:
    return " - ".join((larger, *parts))


@dataclass
class Block:
    """One protected table's cells as variables: index = offset + row * width + count.

    A cell's variables are its published counts, then the slacks of its within-cell
    inequalities, then the sums behind its means (`published` of them are counts)."""

    cells: pl.DataFrame
    published: tuple[str, ...]
    slacks: tuple[tuple[str, tuple[str, ...]], ...]
    offset: int
    existence_counts: frozenset[str]  # at least 1 in every row that exists
    sums: tuple[MeanSum, ...] = ()
    # (cell rows, variables): the switches of shown means' rows, 0 while the cell is
    # published, unbounded while withheld (see _mean_relations)
    switches: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def counts(self) -> tuple[str, ...]:
        """Every variable of a cell: the published counts, the slacks, the sums."""
        return (
            *self.published,
            *(slack_name(*s) for s in self.slacks),
            *(s.name for s in self.sums),
        )

    def var(self, rows: np.ndarray, count: str) -> np.ndarray:
        return (
            self.offset
            + np.asarray(rows, dtype=np.int64) * len(self.counts)
            + self.counts.index(count)
        )

    def additive(self, cover_counts: frozenset[str]) -> tuple[str, ...]:
        """The variables that add up over a margin where `cover_counts` only cover: a
        slack adds up when every count of it does, a sum when its count does."""
        return (
            tuple(c for c in self.published if c not in cover_counts)
            + tuple(
                slack_name(larger, parts)
                for larger, parts in self.slacks
                if not cover_counts & {larger, *parts}
            )
            + tuple(s.name for s in self.sums if s.count not in cover_counts)
        )

    @property
    def size(self) -> int:
        return self.cells.height * len(self.counts)


def _published_bounds(published: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low = np.where(published == 0, 0, np.maximum(1, published - MAX_NOISE)).astype(float)
    high = np.where(published == 0, 0, published + MAX_NOISE).astype(float)
    return low, high


def _groups(frame: pl.DataFrame, by: list[str]) -> dict[tuple, np.ndarray]:
    """Row numbers per key (one aggregation; iterating sub-frames took 0.7 s at rijk)."""
    grouped = frame.with_row_index("_row").group_by(by, maintain_order=True).agg("_row")
    return {tuple(key): np.asarray(rows, dtype=np.int64) for *key, rows in grouped.iter_rows()}


def _add_margin(system: System, block: Block, total_rows, part_rows, counts, cover_counts) -> None:
    """`counts` of each total are the sums of its parts, or covered by them for
    `cover_counts`; slacks take part where their counts add up."""
    total_rows = np.asarray(total_rows, dtype=np.int64)
    lengths = np.fromiter((len(p) for p in part_rows), dtype=np.int64, count=len(part_rows))
    flat = np.concatenate(part_rows) if len(part_rows) else np.zeros(0, dtype=np.int64)
    additive = block.additive(cover_counts)
    for count in counts:
        totals, parts = block.var(total_rows, count), block.var(flat, count)
        if count in cover_counts:
            system.add_covered(totals, parts, lengths)
        elif count in additive:
            system.add_equal(totals, parts, lengths)
    if cover_counts:
        _covering_slacks(system, block, total_rows, flat, lengths, cover_counts)


def _covering_slacks(system, block, total_rows, flat, lengths, cover_counts) -> None:
    """A slack whose parts only cover (enrolments - participants): the margin's is at
    least the sum of its parts', since its participants are at most theirs and its
    enrolments are their sum. An LP attacker used this (stop 39, the redraw test's seed
    73): a category published at least 56 participants and at most 56 enrolments, so
    every course in it had as many participants as enrolments, and one of them 8."""
    additive = block.additive(cover_counts)
    for larger, parts in block.slacks:
        covered = cover_counts & set(parts)
        rest = [p for p in parts if p not in cover_counts]
        if not covered or larger not in additive or any(p not in additive for p in rest):
            continue
        name = slack_name(larger, parts)
        system.add_at_least_sum(block.var(total_rows, name), block.var(flat, name), lengths)


def _year_relations(system: System, block: Block, entity: list[str]) -> None:
    # only the key columns: iterating rows of every count column costs seconds at rijk
    cells = block.cells.select([*entity, "year", "period_type"]).with_row_index("_row")
    years = cells.filter(pl.col("period_type") == "year")
    quarters = cells.filter(pl.col("period_type") == "quarter")
    parts = _groups(
        quarters.drop("_row").with_columns(pl.col("year").cast(pl.Int64)), [*entity, "year"]
    )
    quarter_rows = quarters["_row"].to_numpy()
    totals, members = [], []
    for row in years.iter_rows(named=True):
        key = (*(row[c] for c in entity), int(row["year"]))
        if key in parts:
            totals.append(row["_row"])
            members.append(quarter_rows[parts[key]])
    _add_margin(system, block, totals, members, block.counts, cover_counts=frozenset())


def _within_cell(system: System, block: Block) -> None:
    """Per cell and slack: larger - parts - slack = 0 (the slack's bounds say >= 0)."""
    rows = np.arange(block.cells.height)
    for larger, parts in block.slacks:
        members = [block.var(rows, larger), *(block.var(rows, p) for p in parts)]
        members.append(block.var(rows, slack_name(larger, parts)))
        signs = np.array([1, *(-1 for _ in parts), -1], dtype=np.int8)
        system.add_zero_sums(np.column_stack(members), signs)


def _mean_relations(system: System, block: Block) -> None:
    """Per cell and sum: count * lowest <= sum <= count * highest, the values one
    contributor can have; and where the frame shows a mean, count * low <= sum <= count *
    high with low and high within half a step of it. A shown mean's two rows each hold a
    switch, a variable that publish() keeps at 0 while the cell is published and leaves
    unbounded while it is withheld, when the rows say nothing: the build's audit withholds
    cells round by round on one system."""
    rows = np.arange(block.cells.height)
    for mean_sum in block.sums:
        total = block.var(rows, mean_sum.name)
        count = block.var(rows, mean_sum.count)
        system.whole[total] = mean_sum.whole
        if mean_sum.lowest > 0:
            system.add_two_term(
                total, -np.ones(len(rows)), count, np.full(len(rows), mean_sum.lowest)
            )
        if np.isfinite(mean_sum.highest):
            system.add_two_term(
                total, np.ones(len(rows)), count, np.full(len(rows), -mean_sum.highest)
            )
        mean = block.cells[mean_sum.mean].cast(pl.Float64).fill_null(np.nan).to_numpy()
        shown = np.flatnonzero(~np.isnan(mean))
        low = np.maximum(mean[shown] - mean_sum.half_step, mean_sum.lowest)
        high = np.minimum(mean[shown] + mean_sum.half_step, mean_sum.highest)
        n = len(shown)
        first = system.add_variables(2 * n, 0.0, 0.0)
        switches = first + np.arange(2 * n)
        system.whole[switches] = False
        ones = np.ones(n)
        # count * low - sum - switch <= 0;  sum - count * high - switch <= 0
        system.add_short_rows(
            np.column_stack([count[shown], total[shown], switches[:n]]),
            np.column_stack([low, -ones, -ones]),
        )
        system.add_short_rows(
            np.column_stack([total[shown], count[shown], switches[n:]]),
            np.column_stack([ones, -high, -ones]),
        )
        block.switches.append((np.concatenate([shown, shown]), switches))


def _evaluation_relations(system: System, block: Block) -> None:
    _year_relations(system, block, ["evaluation_level", "entity_id"])
    key_columns = ["evaluation_level", "entity_id", "period_type", "period"]
    cells = block.cells.select([*key_columns, "supplier_id", "category_code"]).with_row_index(
        "_row"
    )
    courses = cells.filter(pl.col("evaluation_level") == "course")
    margin_rows: dict[str, dict[tuple, int]] = {}
    for level, column in (("supplier", "supplier_id"), ("category", "category_code")):
        margins = cells.filter(pl.col("evaluation_level") == level)
        margin_row = {
            (r["entity_id"], r["period_type"], r["period"]): r["_row"]
            for r in margins.iter_rows(named=True)
        }
        margin_rows[level] = margin_row
        # participants count persons: a margin only covers its courses' (no sums)
        members: dict[tuple, list[int]] = defaultdict(list)
        for r in courses.iter_rows(named=True):
            members[(r[column], r["period_type"], r["period"])].append(r["_row"])
        keys = [k for k in members if k in margin_row]
        _add_margin(
            system,
            block,
            [margin_row[k] for k in keys],
            [np.array(members[k]) for k in keys],
            tuple(PERSON_COUNTS),
            cover_counts=PERSON_COUNTS,
        )
    _intersections(system, block, courses, margin_rows)
    _within_cell(system, block)


def _intersections(
    system: System, block: Block, courses: pl.DataFrame, margin_rows: dict[str, dict[tuple, int]]
) -> None:
    """A supplier's and a category's additive counts as sums of their intersections: one
    unpublished variable per supplier x category x period that holds a course, equal to
    the sum of its courses; the supplier is the sum of its intersections, the category
    too.

    The same relations as the margins' sums over their courses, but with the shared part
    named. Propagation reads one row at a time and cannot subtract two sums; through
    the intersections it subtracts a supplier and a category in two steps. An LP
    attacker did this (stop 38): a category's lower bound forced its three courses at
    one supplier to at least 4 promoters, the supplier's upper bound of 5 left its
    fourth course at most 1, and its true count was 1. Stop 38 wrote such differences
    out, for short ones only (a medium supplier and category differ by dozens of
    courses); the intersections cover every pair at any scale with rows no longer than
    the margins'."""
    counts = block.additive(PERSON_COUNTS)
    grouped = (
        courses.group_by(["supplier_id", "category_code", "period_type", "period"])
        .agg("_row")
        .sort(["supplier_id", "category_code", "period_type", "period"])
    )
    if grouped.height == 0:
        return
    first = system.add_variables(grouped.height * len(counts), 0.0, INF)
    members = [np.asarray(rows, dtype=np.int64) for rows in grouped["_row"].to_list()]
    lengths = np.fromiter((len(m) for m in members), dtype=np.int64, count=len(members))
    flat = np.concatenate(members)
    intersection = np.arange(grouped.height, dtype=np.int64)
    by_margin: dict[str, dict[tuple, list[int]]] = {"supplier": defaultdict(list)}
    by_margin["category"] = defaultdict(list)
    for i, (supplier, category, period_type, period) in enumerate(
        grouped.select(["supplier_id", "category_code", "period_type", "period"]).iter_rows()
    ):
        by_margin["supplier"][(supplier, period_type, period)].append(i)
        by_margin["category"][(category, period_type, period)].append(i)
    continuous = {s.name for s in block.sums if not s.whole}
    for j, count in enumerate(counts):
        aux = first + intersection * len(counts) + j
        system.whole[aux] = count not in continuous
        system.add_equal(aux, block.var(flat, count), lengths)
        for level, groups in by_margin.items():
            keys = [k for k in groups if k in margin_rows[level]]
            parts = [aux[groups[k]] for k in keys]
            system.add_equal(
                block.var(np.array([margin_rows[level][k] for k in keys]), count),
                np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64),
                np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts)),
            )


def _participation_relations(system: System, block: Block) -> None:
    _year_relations(system, block, ["department_code", "breakdown", "breakdown_value"])
    key_columns = ["department_code", "breakdown", "period_type", "period"]
    cells = block.cells.select(key_columns).with_row_index("_row")
    total_row = {
        (r["department_code"], r["period_type"], r["period"]): r["_row"]
        for r in cells.filter(pl.col("breakdown") == "total").iter_rows(named=True)
    }
    members: dict[tuple, list[int]] = defaultdict(list)
    for r in cells.filter(pl.col("breakdown") != "total").iter_rows(named=True):
        members[(r["department_code"], r["period_type"], r["period"], r["breakdown"])].append(
            r["_row"]
        )
    for breakdowns, cover in (
        (ADDITIVE_BREAKDOWNS, frozenset()),
        (ENROLMENT_BREAKDOWNS, PERSON_COUNTS),
    ):
        keys = [k for k in members if k[3] in breakdowns and k[:3] in total_row]
        _add_margin(
            system,
            block,
            [total_row[k[:3]] for k in keys],
            [np.array(members[k]) for k in keys],
            block.counts,
            cover_counts=cover,
        )
    _within_cell(system, block)


def _cross_relations(system: System, evaluation: Block, participation: Block) -> None:
    """Per period: departments' totals = categories' sums, for enrolments and completions."""
    e = evaluation.cells.with_row_index("_row").filter(pl.col("evaluation_level") == "category")
    p = participation.cells.with_row_index("_row").filter(pl.col("breakdown") == "total")
    e_groups = _groups(e.drop("_row"), ["period_type", "period"])
    p_groups = _groups(p.drop("_row"), ["period_type", "period"])
    e_rows, p_rows = e["_row"].to_numpy(), p["_row"].to_numpy()
    for key, e_members in e_groups.items():
        if key not in p_groups:
            continue
        for count in ("enrolments", "completions"):
            left = evaluation.var(e_rows[e_members], count)
            right = participation.var(p_rows[p_groups[key]], count)
            members = np.concatenate([left, right])
            signs = np.concatenate([np.ones(len(left)), -np.ones(len(right))])
            system.add_rows([(members, signs), (members, -signs)])


@dataclass
class ReaderModel:
    system: System
    evaluation: Block
    participation: Block


def reader_model(
    evaluation: pl.DataFrame, participation: pl.DataFrame, withheld: np.ndarray | None = None
) -> ReaderModel:
    """The system a reader faces. The frames hold the cells' keys and their published
    counts (NULL where nothing is published), and the published means where a frame has
    their columns (EVALUATION_MEANS, PARTICIPATION_MEANS: the sums behind them are then
    variables too). `withheld`: one flag per cell, evaluation cells first, then
    participation cells; a withheld cell publishes nothing."""
    e_block = Block(
        evaluation,
        EVALUATION_COUNTS,
        EVALUATION_SLACKS,
        0,
        frozenset({"participants", "enrolments"}),
        tuple(m for m in EVALUATION_MEANS if m.mean in evaluation.columns),
    )
    p_block = Block(
        participation,
        PARTICIPATION_COUNTS,
        PARTICIPATION_SLACKS,
        e_block.size,
        frozenset({"requested_enrolments"}),
        tuple(m for m in PARTICIPATION_MEANS if m.mean in participation.columns),
    )
    size = e_block.size + p_block.size
    system = System(low=np.zeros(size), high=np.zeros(size))
    _evaluation_relations(system, e_block)
    _participation_relations(system, p_block)
    _cross_relations(system, e_block, p_block)
    _mean_relations(system, e_block)
    _mean_relations(system, p_block)
    model = ReaderModel(system, e_block, p_block)
    publish(model, withheld)
    return model


def publish(model: ReaderModel, withheld: np.ndarray | None = None) -> None:
    """Set the bounds the published counts give, and free the shown means of withheld
    cells (the relations stay as they are)."""
    evaluation, participation = model.evaluation.cells, model.participation.cells
    if withheld is None:
        withheld = np.zeros(evaluation.height + participation.height, dtype=bool)
    flags = {
        id(model.evaluation): withheld[: evaluation.height],
        id(model.participation): withheld[evaluation.height :],
    }
    for block in (model.evaluation, model.participation):
        rows = np.arange(block.cells.height)
        for count in block.published:
            published = block.cells[count].cast(pl.Float64).to_numpy()
            hidden = np.isnan(published) | flags[id(block)]
            lo, hi = _published_bounds(np.nan_to_num(published))
            lo[hidden] = 1 if count in block.existence_counts else 0
            hi[hidden] = INF
            index = block.var(rows, count)
            model.system.low[index], model.system.high[index] = lo, hi
        for slack in block.counts[len(block.published) :]:
            index = block.var(rows, slack)
            model.system.low[index], model.system.high[index] = 0, INF
        for cells, switches in block.switches:
            model.system.low[switches] = 0
            model.system.high[switches] = np.where(flags[id(block)][cells], INF, 0)


# Probing is tried on counts propagation leaves within this many values of each other:
# both LP pins the stress tests found were at widths 1 and 2, and a medium year has ~240
# such counts (1 ms a probe) against ~4,700 within the published range of 4.
MAX_PROBED_WIDTH = 2


def pinned_small(model: ReaderModel, min_cell_size: int) -> np.ndarray:
    """Cell numbers (evaluation cells first) where the reader's bounds fix some count
    exactly at a value in 1..min_cell_size - 1: by propagation, or by probing the counts
    it leaves narrow (leerdata.sdc.propagation.Prober)."""
    low, high = propagate(model.system)
    exact = (low == high) & (low >= 1) & (low < min_cell_size)
    is_count = np.zeros(len(low), dtype=bool)
    for block in (model.evaluation, model.participation):
        is_count[block.offset : block.offset + block.size] = np.arange(block.size) % len(
            block.counts
        ) < len(block.published)
    narrow = np.flatnonzero(
        is_count
        & (low >= 1)
        & (low < min_cell_size)
        & (high > low)
        & (high - low <= MAX_PROBED_WIDTH)
    )
    if narrow.size:
        values = Prober(model.system, low, high).only_possible_values(narrow)
        exact[narrow] = values < min_cell_size  # NaN (two or more possible) compares False
    cells = []
    base = 0
    for block in (model.evaluation, model.participation):
        hit = np.flatnonzero(exact[block.offset : block.offset + block.size])
        hit = hit[hit % len(block.counts) < len(block.published)]  # counts, not slacks
        cells.append(np.unique(hit // len(block.counts)) + base)
        base += block.cells.height
    return np.concatenate(cells)
