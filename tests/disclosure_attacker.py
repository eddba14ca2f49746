"""An outside statistician attacking the protected marts (shares no code with leerdata.sdc).

The attacker reads what a reader of the published tables sees: the six evaluation marts,
the two participation marts and the course catalogue (durations). They know the
published method: every count is the true count plus noise of at most `max_noise`, a
non-empty cell is never published as 1..`small_values`, zero stays zero, and a suppressed
row publishes nothing. (The previous design published exact counts: max_noise 0.)

They write down every relation they can see, as linear constraints on the unknown true
counts of every cell:
- a year is the sum of its quarters (every count; participants are person-quarters);
- a supplier's or category's quarter or year is the sum of its courses for counts of
  enrolments and evaluations; for participants the courses only cover it
  (max <= total <= sum);
- a department's total is the sum of its directorates, scale bands, age bands, genders
  (every count) and delivery modes (enrolment counts; participants only cover);
- per period, the departments' total enrolments and completions equal the categories';
- within a row: participants <= enrolments, completions + no-shows <= enrolments,
  passed <= examined <= enrolments, first-attempt passes <= passes, overall and
  recommend responses <= responses, promoters + detractors <= recommend responses,
  participants <= enrolments <= requested, waitlisted, approved <= requested;
- a row exists, so it has at least one participant (evaluation) or request;
- training hours = course duration x completions (course rows), and a supplier's or
  category's hours = the sum over its courses;
- every published rate times its denominator is its numerator (within the noise);
- a rate or mean is shown only over `min_cell_size` people. Where its being shown or
  NULL does not follow from the published count alone, it follows from the true one:
  shown says the true denominator is at least `min_cell_size`, NULL that it is less.

Then, knowing the true values (the restricted zone), they solve two LPs (min and max) for
every true count of 1..9 and report each one the LPs pin to a single integer.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import highspy
import numpy as np
import polars as pl
from scipy.sparse import bmat, csr_array
from scipy.sparse.csgraph import connected_components

EVALUATION_MARTS = {
    "mart_course_evaluation": ("course", "course_id", "quarter"),
    "mart_course_evaluation_yearly": ("course", "course_id", "year"),
    "mart_supplier_evaluation": ("supplier", "supplier_id", "quarter"),
    "mart_supplier_evaluation_yearly": ("supplier", "supplier_id", "year"),
    "mart_category_evaluation": ("category", "category_code", "quarter"),
    "mart_category_evaluation_yearly": ("category", "category_code", "year"),
}
PARTICIPATION_MARTS = {"mart_participation": "quarter", "mart_participation_yearly": "year"}
EVALUATION_COUNTS = (
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
PARTICIPATION_COUNTS = (
    "participants",
    "enrolments",
    "requested_enrolments",
    "completions",
    "waitlisted_enrolments",
    "approved_enrolments",
)
# rate column -> (numerator, denominator) as a reader reads the column descriptions
EVALUATION_RATES = {
    "completion_rate": ("completions", "enrolments"),
    "no_show_rate": ("no_shows", "enrolments"),
    "pass_rate": ("passed", "examined"),
    "first_attempt_pass_rate": ("passed_first_attempt", "examined"),
    "response_rate": ("responses", "enrolments"),
}
PARTICIPATION_RATES = {"completion_rate": ("completions", "enrolments")}
# rates and means shown only over min_cell_size people, and NULL only for that reason in a
# row that is not suppressed and has people in the count: figure -> the count it rests on
EVALUATION_GATES = {
    "completion_rate": "enrolments",
    "no_show_rate": "enrolments",
    "response_rate": "enrolments",
    "pass_rate": "examined",
    "first_attempt_pass_rate": "examined",
    "mean_exam_score": "examined",
    "mean_overall": "overall_responses",
    "nps": "recommend_responses",
}
PARTICIPATION_GATES = {
    "completion_rate": "enrolments",
    "mean_approval_lead_days": "approved_enrolments",
    "training_hours": "completions",
}
# A mean of scores is a true sum over a true count, rounded (README, Disclosure control):
# mean column -> (its count, the lowest and highest score, half its rounding step, the
# true sum's column in the restricted zone). With the sum as a variable of its own, a
# shown mean says sum / count lies within half a step of it (two linear rows), and sums
# add up over quarters, courses and breakdowns as their counts do. (mean_completion_days
# is over the completions with a completion date, which no published count is: left out.)
MEANS = {
    "mean_overall": ("overall_responses", 1.0, 10.0, 0.05, "overall_score_sum"),
    "mean_exam_score": ("examined", 0.0, 100.0, 0.5, "exam_score_sum"),
}
PARTICIPATION_MEANS = {
    "mean_approval_lead_days": (
        "approved_enrolments", 0.0, math.inf, 0.5, "approval_lead_days_sum"
    ),
}  # fmt: skip
PRIMAL_SIMPLEX = 4  # HiGHS option simplex_strategy


@dataclass(frozen=True)
class Method:
    """What the attacker knows of the protection: the published noise bound."""

    max_noise: int
    small_values: int
    min_cell_size: int = 10  # rates and means are shown only over this many people
    # half the rounding step of the means; None: as published (MEANS)
    mean_half_step: float | None = None


EXACT = Method(max_noise=0, small_values=0)


@dataclass
class Recovery:
    table: str
    cell: tuple
    count: str
    true_value: int
    low: float
    high: float
    derived: bool  # worked out from other figures (not published as it is)
    by_single_lp: bool = False  # pinned by its own min and max LPs (not the bounds)


@dataclass
class AttackResult:
    candidates: int  # true counts of 1..9 attacked
    recovered: list[Recovery] = field(default_factory=list)
    unresolved: int = 0  # counts left for single LPs after the bulk ones

    @property
    def exact_and_true(self) -> list[Recovery]:
        return [r for r in self.recovered if r.true_value == round(r.low)]


def _read(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    return con.sql(query).pl()


def published_cells(reporting: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(evaluation rows, participation rows, courses) as a reader gets them."""
    with duckdb.connect(str(reporting), read_only=True) as con:
        return _published(con)


def published_cells_from_parquet(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The same from a folder of <table>.parquet files (a saved earlier output)."""
    with duckdb.connect() as con:
        for table in [*EVALUATION_MARTS, *PARTICIPATION_MARTS, "dim_courses"]:
            con.execute(
                f"create view {table} as select * from read_parquet('{folder / table}.parquet')"
            )
        return _published(con)


def _published(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    evaluation = []
    for mart, (level, entity, period_type) in EVALUATION_MARTS.items():
        frame = _read(con, f"select * from {mart}")
        period = pl.col("quarter") if period_type == "quarter" else pl.col("year").cast(pl.String)
        evaluation.append(
            frame.with_columns(
                pl.lit(level).alias("level"),
                pl.col(entity).alias("entity"),
                pl.lit(period_type).alias("period_type"),
                period.alias("period"),
                pl.col("year").cast(pl.Int64),
            )
        )
    participation = []
    for mart, period_type in PARTICIPATION_MARTS.items():
        frame = _read(con, f"select * from {mart}")
        period = pl.col("quarter") if period_type == "quarter" else pl.col("year").cast(pl.String)
        participation.append(
            frame.with_columns(
                pl.lit(period_type).alias("period_type"),
                period.alias("period"),
                pl.col("year").cast(pl.Int64),
            )
        )
    courses = _read(
        con, "select course_id, supplier_id, category_code, duration_hours from dim_courses"
    )
    return (
        pl.concat(evaluation, how="diagonal_relaxed"),
        pl.concat(participation, how="diagonal_relaxed"),
        courses,
    )


def _tighten(matrix: csr_array, row_lo, row_hi, low, high, rounds: int = 60):
    """Bounds every feasible point obeys: each row's activity range implies bounds on
    each member (integers: rounded inwards). Sound, weaker than LP; used to confirm
    pins cheaply before LPs confirm the rest."""
    coo = matrix.tocoo()
    rows, cols, a = coo.row, coo.col, coo.data
    low, high = low.copy(), high.copy()
    n = matrix.shape[0]
    for _ in range(rounds):
        lo_c = np.where(a > 0, a * low[cols], a * high[cols])  # min contribution
        hi_c = np.where(a > 0, a * high[cols], a * low[cols])  # max contribution
        lo_inf, hi_inf = np.isinf(lo_c), np.isinf(hi_c)
        lo_sum = np.bincount(rows, np.where(lo_inf, 0, lo_c), n)
        hi_sum = np.bincount(rows, np.where(hi_inf, 0, hi_c), n)
        lo_cnt = np.bincount(rows, lo_inf.astype(float), n)
        hi_cnt = np.bincount(rows, hi_inf.astype(float), n)
        others_lo_ok = (lo_cnt[rows] - lo_inf) == 0
        others_hi_ok = (hi_cnt[rows] - hi_inf) == 0
        others_lo = lo_sum[rows] - np.where(lo_inf, 0, lo_c)
        others_hi = hi_sum[rows] - np.where(hi_inf, 0, hi_c)
        # a*x <= row_hi - others_lo  and  a*x >= row_lo - others_hi
        upper_ax = np.where(others_lo_ok, row_hi[rows] - others_lo, np.inf)
        lower_ax = np.where(others_hi_ok, row_lo[rows] - others_hi, -np.inf)
        with np.errstate(invalid="ignore"):
            x_hi = np.where(a > 0, upper_ax / a, lower_ax / a)
            x_lo = np.where(a > 0, lower_ax / a, upper_ax / a)
        new_high, new_low = high.copy(), low.copy()
        ok_hi, ok_lo = ~np.isnan(x_hi), ~np.isnan(x_lo)
        np.minimum.at(new_high, cols[ok_hi], np.floor(x_hi[ok_hi] + 1e-6))
        np.maximum.at(new_low, cols[ok_lo], np.ceil(x_lo[ok_lo] - 1e-6))
        if np.array_equal(new_high, high) and np.array_equal(new_low, low):
            break
        low, high = new_low, new_high
    return low, high


def _two_integers_apart(low: float, high: float) -> bool:
    """[low, high] holds two integers (by the tolerance of the pin test in `solve`), so
    no interval around it pins a count to one."""
    return math.ceil(low - 1e-6) < math.floor(high + 1e-6)


def _numbers_as_floats(frame: pl.DataFrame) -> pl.DataFrame:
    numeric = [c for c, t in frame.schema.items() if t.is_numeric() and c != "year"]
    return frame.with_columns(pl.col(numeric).cast(pl.Float64))


class _PartLP:
    """One connected part of the system as its own HiGHS model."""

    def __init__(self, matrix: csr_array, row_lo, row_hi, low, high) -> None:
        inf = highspy.kHighsInf
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        # presolve declares the exact-rate rows infeasible within its tolerances (the truth
        # satisfies them); warm-started simplex without presolve is also what we want
        self.h.setOptionValue("presolve", "off")
        self.size = matrix.shape[1]
        self.h.addVars(
            self.size, np.where(np.isinf(low), -inf, low), np.where(np.isinf(high), inf, high)
        )
        self.h.addRows(
            matrix.shape[0],
            np.where(np.isinf(row_lo), -inf, row_lo),
            np.where(np.isinf(row_hi), inf, row_hi),
            matrix.nnz,
            matrix.indptr[:-1],
            matrix.indices,
            matrix.data,
        )
        self.columns = np.arange(self.size, dtype=np.int32)

    def run(self, costs: np.ndarray) -> tuple[float, np.ndarray] | None:
        """min costs.x: (its value, the optimal point), or None when unbounded."""
        self.h.changeColsCost(self.size, self.columns, costs)
        self.h.run()
        # Later LPs change only the costs, so the last optimal basis stays feasible:
        # primal simplex goes on from it (the default dual simplex took about twice as
        # long on the previous design's LPs; the optima are the same).
        self.h.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise AssertionError(f"LP failed: {status}")
        point = np.asarray(self.h.getSolution().col_value)
        return float(self.h.getInfo().objective_function_value), point


class _PartLPs:
    """The system split into its connected parts (variables linked through shared rows),
    each solved on its own; every optimal point widens the range seen of its variables."""

    def __init__(self, matrix: csr_array, row_lo, row_hi, low, high, seen_low, seen_high):
        rows = matrix.shape[0]
        graph = bmat([[None, matrix], [matrix.T, None]], format="csr")
        _, label = connected_components(graph, directed=False)
        row_part, column_part = label[:rows], label[rows:].copy()
        # variables in no relation are independent of everything: one part (no rows)
        column_part[np.diff(matrix.tocsc().indptr) == 0] = -1
        self.seen_low, self.seen_high = seen_low, seen_high
        self.part_of = column_part
        self.columns: dict[int, np.ndarray] = {}
        self.local = np.empty(matrix.shape[1], dtype=np.int64)
        self.lps: dict[int, _PartLP] = {}
        for part in np.unique(column_part):
            columns = np.flatnonzero(column_part == part)
            part_rows = np.flatnonzero(row_part == part)
            self.columns[int(part)] = columns
            self.local[columns] = np.arange(len(columns))
            self.lps[int(part)] = _PartLP(
                matrix[part_rows][:, columns],
                row_lo[part_rows],
                row_hi[part_rows],
                low[columns],
                high[columns],
            )

    def _run(self, part: int, costs: np.ndarray) -> float | None:
        solved = self.lps[part].run(costs)
        if solved is None:
            return None
        value, point = solved
        columns = self.columns[part]
        self.seen_low[columns] = np.minimum(self.seen_low[columns], point)
        self.seen_high[columns] = np.maximum(self.seen_high[columns], point)
        return value

    def run_bulk(self, variables: np.ndarray, weights: np.ndarray) -> None:
        """min sum(weights * x[variables]), each part for its own variables."""
        for part in np.unique(self.part_of[variables]):
            mine = self.part_of[variables] == part
            costs = np.zeros(len(self.columns[int(part)]))
            costs[self.local[variables[mine]]] = weights[mine]
            self._run(int(part), costs)

    def run_single(self, variable: int, sense: float) -> float | None:
        """min (sense * x[variable]) over its part; None when unbounded."""
        part = int(self.part_of[variable])
        costs = np.zeros(len(self.columns[part]))
        costs[self.local[variable]] = sense
        return self._run(part, costs)


class _Constraints:
    """Rows lo <= a.x <= hi, collected in coordinate form."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.low: list[float] = []
        self.high: list[float] = []

    def add(self, terms: list[tuple[int, float]], low: float, high: float) -> None:
        row = len(self.low)
        for col, val in terms:
            if val == 0:
                continue  # a zero rate's denominator term says nothing
            self.rows.append(row)
            self.cols.append(col)
            self.vals.append(val)
        self.low.append(low)
        self.high.append(high)

    def equal(self, total: int, parts: list[int]) -> None:
        self.add([(total, 1.0), *((p, -1.0) for p in parts)], 0.0, 0.0)

    def cover(self, total: int, parts: list[int]) -> None:
        self.add([(total, 1.0), *((p, -1.0) for p in parts)], -math.inf, 0.0)
        for p in parts:
            self.add([(p, 1.0), (total, -1.0)], -math.inf, 0.0)

    def at_most(self, small: list[int], large: int) -> None:
        self.add([*((s, 1.0) for s in small), (large, -1.0)], -math.inf, 0.0)


class Attack:
    def __init__(
        self,
        evaluation: pl.DataFrame,
        participation: pl.DataFrame,
        courses: pl.DataFrame,
        method: Method,
        means: bool = True,
    ):
        self.method = method
        self.evaluation = _numbers_as_floats(evaluation).with_row_index("row")
        self.participation = _numbers_as_floats(participation).with_row_index("row")
        self.courses = courses
        self.e_counts = [c for c in EVALUATION_COUNTS if c in evaluation.columns]
        self.p_counts = [c for c in PARTICIPATION_COUNTS if c in participation.columns]
        self.n_e = self.evaluation.height * len(self.e_counts)
        self.n_counts = self.n_e + self.participation.height * len(self.p_counts)
        self.means = [
            m for m, (count, *_) in MEANS.items()
            if means and m in evaluation.columns and count in self.e_counts
        ]  # fmt: skip
        self.p_means = [
            m for m, (count, *_) in PARTICIPATION_MEANS.items()
            if means and m in participation.columns and count in self.p_counts
        ]  # fmt: skip
        self.n_e_sums = self.evaluation.height * len(self.means)
        self.size = self.n_counts + self.n_e_sums + self.participation.height * len(self.p_means)
        self.low = np.zeros(self.size)
        self.high = np.zeros(self.size)
        self.high[self.n_counts :] = math.inf
        self.c = _Constraints()
        self._bounds()
        self._evaluation_relations()
        self._participation_relations()
        self._cross_relations()
        self._score_sums()

    def tightened(self) -> tuple[np.ndarray, np.ndarray]:
        """The bounds the relations give row by row (no LP)."""
        matrix = csr_array(
            (self.c.vals, (self.c.rows, self.c.cols)), shape=(len(self.c.low), self.size)
        )
        return _tighten(
            matrix, np.asarray(self.c.low), np.asarray(self.c.high), self.low, self.high
        )

    def e(self, row: int, count: str) -> int:
        return row * len(self.e_counts) + self.e_counts.index(count)

    def p(self, row: int, count: str) -> int:
        return self.n_e + row * len(self.p_counts) + self.p_counts.index(count)

    def s(self, row: int, mean: str) -> int:
        """The true sum of scores behind an evaluation row's mean (not a count)."""
        return self.n_counts + row * len(self.means) + self.means.index(mean)

    def ps(self, row: int, mean: str) -> int:
        """The true sum behind a participation row's mean (not a count)."""
        return self.n_counts + self.n_e_sums + row * len(self.p_means) + self.p_means.index(mean)

    def _score_sums(self) -> None:
        """Each row's true sum between its count x the lowest and x the highest value,
        or, where the mean is shown, within half a rounding step of mean x count; and
        sums of years, margins and breakdowns are the sums of their parts (as their
        counts are: these counts are exact sums)."""
        for frame, means, table, total_of, count_of in (
            (self.evaluation, self.means, MEANS, self.s, self.e),
            (self.participation, self.p_means, PARTICIPATION_MEANS, self.ps, self.p),
        ):
            for mean in means:
                count, lowest, highest, half_step, _ = table[mean]
                if self.method.mean_half_step is not None:
                    half_step = self.method.mean_half_step
                for r in frame.iter_rows(named=True):
                    total, n = total_of(r["row"], mean), count_of(r["row"], count)
                    shown = not r["suppressed"] and r[mean] is not None
                    low = max(float(r[mean]) - half_step, lowest) if shown else lowest
                    high = min(float(r[mean]) + half_step, highest) if shown else highest
                    self.c.add([(total, 1.0), (n, -low)], 0.0, math.inf)
                    if math.isfinite(high):
                        self.c.add([(total, 1.0), (n, -high)], -math.inf, 0.0)
        for total, parts, _ in self._evaluation_sums():
            for mean in self.means:
                self.c.equal(self.s(total, mean), [self.s(p, mean) for p in parts])
        for total, parts, _ in self._participation_sums():
            for mean in self.p_means:
                self.c.equal(self.ps(total, mean), [self.ps(p, mean) for p in parts])

    def _published_interval(self, value: float | None, exists: bool) -> tuple[float, float]:
        if value is None:
            return (1.0 if exists else 0.0), math.inf
        if value == 0:
            return 0.0, 0.0
        d = self.method.max_noise
        return max(1.0, value - d), value + d

    def _bounds(self) -> None:
        for frame, counts, var, existing in (
            (self.evaluation, self.e_counts, self.e, {"participants", "enrolments"}),
            (self.participation, self.p_counts, self.p, {"requested_enrolments"}),
        ):
            for r in frame.iter_rows(named=True):
                for count in counts:
                    value = None if r["suppressed"] else r[count]
                    lo, hi = self._published_interval(value, count in existing)
                    self.low[var(r["row"], count)] = lo
                    self.high[var(r["row"], count)] = hi

    def _rates(self, frame: pl.DataFrame, rates: dict, var) -> None:
        d = self.method.max_noise
        for r in frame.iter_rows(named=True):
            if r["suppressed"]:
                continue
            for rate, (num, den) in rates.items():
                value = r.get(rate)
                if value is None or r.get(num) is None or r.get(den) is None:
                    continue
                slack = d * (1 + value) + 1e-6 * max(1.0, r[den])
                if d and value >= 1.0:
                    continue  # a capped rate only says numerator >= denominator - noise
                self.c.add([(var(r["row"], num), 1.0), (var(r["row"], den), -value)], -slack, slack)

    def _gates(self, frame: pl.DataFrame, gates: dict[str, str], var) -> None:
        """What a figure's being shown or NULL says about its count. If in every row it
        is shown exactly where the published count is at least min_cell_size + noise,
        it says nothing the count does not; else the gate is on the true count, and
        each row gives a bound on it."""
        m, d = self.method.min_cell_size, self.method.max_noise
        for figure, count in gates.items():
            if figure not in frame.columns or count not in frame.columns:
                continue
            rows = frame.filter(~pl.col("suppressed") & (pl.col(count) > 0))
            shown = rows[figure].is_not_null()
            if (shown == (rows[count] >= m + d)).all():
                continue  # the gate is on the published count
            possible = pl.when(shown).then(rows[count] + d >= m).otherwise(rows[count] - d < m)
            if not rows.select(possible).to_series().all():
                continue  # not a gate on this count's true value either
            for row, is_shown in zip(rows["row"], shown, strict=True):
                j = var(row, count)
                if is_shown:
                    self.low[j] = max(self.low[j], m)
                else:
                    self.high[j] = min(self.high[j], m - 1)

    def _hours(self) -> None:
        """Course rows: hours = duration x completions; margins: the sum over courses."""
        duration = dict(zip(self.courses["course_id"], self.courses["duration_hours"], strict=True))
        d = self.method.max_noise
        course_rows = self.evaluation.filter(pl.col("level") == "course")
        members: dict[tuple, list[tuple[int, float]]] = defaultdict(list)
        for r in course_rows.iter_rows(named=True):
            hours = duration.get(r["entity"])
            if hours is None:
                continue
            hours = float(hours)
            members[("supplier", r["supplier_id"], r["period_type"], r["period"])].append(
                (r["row"], hours)
            )
            members[("category", r["category_code"], r["period_type"], r["period"])].append(
                (r["row"], hours)
            )
            if r["suppressed"] or r["training_hours"] is None or hours == 0:
                continue
            published = float(r["training_hours"])
            slack = d * hours + 1e-6
            self.c.add(
                [(self.e(r["row"], "completions"), hours)], published - slack, published + slack
            )
        published_hours = {
            r["row"]: float(r["training_hours"])
            for r in course_rows.iter_rows(named=True)
            if not r["suppressed"] and r["training_hours"] is not None
        }
        for r in self.evaluation.filter(pl.col("level") != "course").iter_rows(named=True):
            if r["suppressed"] or r["training_hours"] is None:
                continue
            terms = members.get((r["level"], r["entity"], r["period_type"], r["period"]))
            if not terms:
                continue
            # The method says a margin's hours add up its courses' published hours: what
            # is left after the courses that show theirs is the hidden courses' share.
            hidden = [(row, h) for row, h in terms if row not in published_hours]
            if not hidden:
                continue  # the courses' own hours say it all
            left = float(r["training_hours"]) - sum(
                published_hours[row] for row, _ in terms if row in published_hours
            )
            slack = d * sum(h for _, h in hidden) + 0.01 * len(terms)  # cents rounded
            self.c.add(
                [(self.e(row, "completions"), h) for row, h in hidden], left - slack, left + slack
            )

    def _evaluation_sums(self) -> list[tuple[int, list[int], str]]:
        """(row, the rows it adds up, "year" or "margin"): a year is the sum of its
        quarters, a supplier or category the sum of its courses."""
        ev = self.evaluation
        sums: list[tuple[int, list[int], str]] = []
        quarters: dict[tuple, list[int]] = defaultdict(list)
        for r in ev.filter(pl.col("period_type") == "quarter").iter_rows(named=True):
            quarters[(r["level"], r["entity"], r["year"])].append(r["row"])
        for r in ev.filter(pl.col("period_type") == "year").iter_rows(named=True):
            parts = quarters.get((r["level"], r["entity"], r["year"]))
            if parts:
                sums.append((r["row"], parts, "year"))
        courses: dict[tuple, list[int]] = defaultdict(list)
        for r in ev.filter(pl.col("level") == "course").iter_rows(named=True):
            courses[("supplier", r["supplier_id"], r["period_type"], r["period"])].append(r["row"])
            courses[("category", r["category_code"], r["period_type"], r["period"])].append(
                r["row"]
            )
        for r in ev.filter(pl.col("level") != "course").iter_rows(named=True):
            parts = courses.get((r["level"], r["entity"], r["period_type"], r["period"]))
            if parts:
                sums.append((r["row"], parts, "margin"))
        return sums

    def _evaluation_relations(self) -> None:
        ev = self.evaluation
        for total, parts, kind in self._evaluation_sums():
            for count in self.e_counts:
                members = [self.e(p, count) for p in parts]
                if kind == "margin" and count == "participants":
                    self.c.cover(self.e(total, count), members)
                else:
                    self.c.equal(self.e(total, count), members)
        for row in range(ev.height):
            v = functools.partial(self.e, row)
            self.c.at_most([v("participants")], v("enrolments"))
            self.c.at_most([v("completions"), v("no_shows")], v("enrolments"))
            self.c.at_most([v("examined")], v("enrolments"))
            self.c.at_most([v("passed")], v("examined"))
            self.c.at_most([v("passed_first_attempt")], v("passed"))
            self.c.at_most([v("overall_responses")], v("responses"))
            self.c.at_most([v("recommend_responses")], v("responses"))
            self.c.at_most([v("promoters"), v("detractors")], v("recommend_responses"))
        self._rates(ev, EVALUATION_RATES, self.e)
        self._gates(ev, EVALUATION_GATES, self.e)
        self._hours()

    def _participation_sums(self) -> list[tuple[int, list[int], str]]:
        """(row, the rows it adds up, "year" or the breakdown): a year is the sum of its
        quarters, a department's total the sum of each breakdown's rows."""
        pa = self.participation
        sums: list[tuple[int, list[int], str]] = []
        quarters: dict[tuple, list[int]] = defaultdict(list)
        for r in pa.filter(pl.col("period_type") == "quarter").iter_rows(named=True):
            key = (r["department_code"], r["breakdown"], r["breakdown_value"], r["year"])
            quarters[key].append(r["row"])
        for r in pa.filter(pl.col("period_type") == "year").iter_rows(named=True):
            key = (r["department_code"], r["breakdown"], r["breakdown_value"], r["year"])
            if key in quarters:
                sums.append((r["row"], quarters[key], "year"))
        totals = {
            (r["department_code"], r["period_type"], r["period"]): r["row"]
            for r in pa.filter(pl.col("breakdown") == "total").iter_rows(named=True)
        }
        breakdown_rows: dict[tuple, list[int]] = defaultdict(list)
        for r in pa.filter(pl.col("breakdown") != "total").iter_rows(named=True):
            key = (r["department_code"], r["period_type"], r["period"], r["breakdown"])
            breakdown_rows[key].append(r["row"])
        for key, members in breakdown_rows.items():
            total = totals.get(key[:3])
            if total is not None:
                sums.append((total, members, key[3]))
        return sums

    def _participation_relations(self) -> None:
        pa = self.participation
        for total, parts, kind in self._participation_sums():
            for count in self.p_counts:
                members = [self.p(x, count) for x in parts]
                if kind == "delivery_mode" and count == "participants":
                    self.c.cover(self.p(total, count), members)
                else:
                    self.c.equal(self.p(total, count), members)
        for row in range(pa.height):
            v = functools.partial(self.p, row)
            self.c.at_most([v("participants")], v("enrolments"))
            self.c.at_most([v("enrolments")], v("requested_enrolments"))
            self.c.at_most([v("completions")], v("enrolments"))
            self.c.at_most([v("waitlisted_enrolments")], v("requested_enrolments"))
            self.c.at_most([v("approved_enrolments")], v("requested_enrolments"))
        self._rates(pa, PARTICIPATION_RATES, self.p)
        self._gates(pa, PARTICIPATION_GATES, self.p)

    def _cross_relations(self) -> None:
        categories: dict[tuple, list[int]] = defaultdict(list)
        for r in self.evaluation.filter(pl.col("level") == "category").iter_rows(named=True):
            categories[(r["period_type"], r["period"])].append(r["row"])
        departments: dict[tuple, list[int]] = defaultdict(list)
        for r in self.participation.filter(pl.col("breakdown") == "total").iter_rows(named=True):
            departments[(r["period_type"], r["period"])].append(r["row"])
        for key, cats in categories.items():
            deps = departments.get(key)
            if not deps:
                continue
            for count in ("enrolments", "completions"):
                terms = [(self.e(c, count), 1.0) for c in cats] + [
                    (self.p(d, count), -1.0) for d in deps
                ]
                self.c.add(terms, 0.0, 0.0)

    def solve(
        self, truth: np.ndarray, describe, progress: bool = False, max_single_lps: int | None = None
    ) -> AttackResult:
        """Min and max of every true count of 1..9; the pinned ones are recoveries.

        A count is safe once two feasible points differ in it by a whole person. The
        truth is one such point (checked against every constraint first). Solving
        "max / min the sum of the unresolved counts" gives two more points that resolve
        most counts at once; what stays unresolved gets its own two LPs, exactly.

        Counts that share no relation, directly or through others, are independent: the
        LPs are solved per connected part of the system (a year, a table), each much
        smaller than the whole and with the same optima (the truth makes every part
        feasible).
        """
        matrix = csr_array(
            (self.c.vals, (self.c.rows, self.c.cols)), shape=(len(self.c.low), self.size)
        )
        row_lo = np.asarray(self.c.low)
        row_hi = np.asarray(self.c.high)
        activity = matrix @ truth
        violated = (activity < row_lo - 1e-6) | (activity > row_hi + 1e-6)
        outside = (truth < self.low - 1e-9) | (truth > self.high + 1e-9)
        assert not violated.any() and not outside.any(), (
            "the attacker's model contradicts the truth"
        )
        is_count = np.arange(self.size) < self.n_counts  # not the score sums
        candidates = np.flatnonzero(is_count & (truth >= 1) & (truth <= 9))
        result = AttackResult(candidates=len(candidates))
        seen_low = truth.astype(float).copy()
        seen_high = truth.astype(float).copy()
        parts = _PartLPs(matrix, row_lo, row_hi, self.low, self.high, seen_low, seen_high)

        tight_low, tight_high = _tighten(matrix, row_lo, row_hi, self.low, self.high)
        fixed = candidates[tight_low[candidates] == tight_high[candidates]]
        for j in fixed:  # published as it is, or pinned by the relations row by row
            table, cell, count = describe(int(j))
            derived = bool(self.low[j] != self.high[j])
            result.recovered.append(
                Recovery(table, cell, count, int(truth[j]), tight_low[j], tight_high[j], derived)
            )
        open_ = candidates[tight_low[candidates] != tight_high[candidates]]
        rng = np.random.default_rng(0)
        before = len(open_)
        for _ in range(20):
            open_ = open_[seen_high[open_] - seen_low[open_] < 1.0 - 1e-6]
            if len(open_) <= 20 or (_ > 0 and before - len(open_) < 0.05 * before):
                break
            before = len(open_)
            for sense in (1.0, -1.0):
                parts.run_bulk(open_, sense * rng.uniform(0.5, 1.5, len(open_)))
            if progress:
                print(
                    f"  attacker: {before} counts unresolved before a pair of bulk LPs", flush=True
                )
        open_ = open_[seen_high[open_] - seen_low[open_] < 1.0 - 1e-6]
        result.unresolved = len(open_)
        if max_single_lps is not None:
            open_ = open_[:max_single_lps]  # a sample, for a quick negative control
        for n, j in enumerate(open_):
            if seen_high[j] - seen_low[j] >= 1.0 - 1e-6:
                continue
            bounds = []
            for sense in (1.0, -1.0):
                if _two_integers_apart(seen_low[j], seen_high[j]):
                    break  # the max LP's point and the truth: not pinned, whatever the min is
                value = parts.run_single(int(j), sense)
                bounds.append(
                    (-math.inf if sense > 0 else math.inf) if value is None else sense * value
                )
            if progress and n % 100 == 0:
                print(f"  attacker: {n} of {len(open_)} single LP pairs", flush=True)
            if len(bounds) < 2:
                continue
            low, high = bounds
            if (
                math.isfinite(low)
                and math.isfinite(high)
                and math.ceil(low - 1e-6) == math.floor(high + 1e-6)
            ):
                table, cell, count = describe(int(j))
                result.recovered.append(
                    Recovery(
                        table,
                        cell,
                        count,
                        int(truth[j]),
                        low,
                        high,
                        derived=True,
                        by_single_lp=True,
                    )
                )
        return result

    def describe(self, j: int) -> tuple[str, tuple, str]:
        if j < self.n_e:
            row, k = divmod(j, len(self.e_counts))
            r = self.evaluation.row(row, named=True)
            return "evaluation", (r["level"], r["entity"], r["period"]), self.e_counts[k]
        row, k = divmod(j - self.n_e, len(self.p_counts))
        r = self.participation.row(row, named=True)
        return (
            "participation",
            (r["department_code"], r["breakdown"], r["breakdown_value"], r["period"]),
            self.p_counts[k],
        )

    def truth_vector(
        self, evaluation_truth: pl.DataFrame, participation_truth: pl.DataFrame
    ) -> np.ndarray:
        """True counts aligned to the attacker's variables (from the restricted zone)."""
        truth = np.zeros(self.size)
        e_index = {
            (r["evaluation_level"], r["entity_id"], r["period"]): r
            for r in evaluation_truth.iter_rows(named=True)
        }
        for r in self.evaluation.iter_rows(named=True):
            t = e_index[(r["level"], r["entity"], r["period"])]
            for count in self.e_counts:
                truth[self.e(r["row"], count)] = t[count]
        p_index = {
            (r["department_code"], r["breakdown"], r["breakdown_value"], r["period"]): r
            for r in participation_truth.iter_rows(named=True)
        }
        for r in self.participation.iter_rows(named=True):
            t = p_index[(r["department_code"], r["breakdown"], r["breakdown_value"], r["period"])]
            for count in self.p_counts:
                truth[self.p(r["row"], count)] = t[count]
        for mean in self.means:
            column = MEANS[mean][4]
            for r in self.evaluation.iter_rows(named=True):
                t = e_index[(r["level"], r["entity"], r["period"])]
                truth[self.s(r["row"], mean)] = t[column]
        for mean in self.p_means:
            column = PARTICIPATION_MEANS[mean][4]
            for r in self.participation.iter_rows(named=True):
                key = (r["department_code"], r["breakdown"], r["breakdown_value"], r["period"])
                truth[self.ps(r["row"], mean)] = p_index[key][column]
        return truth


def true_cells_from_parquet(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (
        pl.read_parquet(folder / "true_evaluation_cells.parquet"),
        pl.read_parquet(folder / "true_participation_cells.parquet"),
    )


def true_cells(restricted: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The true counts of every cell, from the restricted zone (the attacker's answer key)."""
    with duckdb.connect(str(restricted), read_only=True) as con:
        evaluation = _read(
            con,
            "select evaluation_level, entity_id, period, "
            + ", ".join([*EVALUATION_COUNTS, *(m[4] for m in MEANS.values())])
            + " from int_evaluation_cells",
        )
        participation = _read(
            con,
            "select department_code, breakdown, breakdown_value, period, "
            + ", ".join([*PARTICIPATION_COUNTS, *(m[4] for m in PARTICIPATION_MEANS.values())])
            + " from int_participation_cells",
        )
    return evaluation, participation


def attack(
    evaluation: pl.DataFrame,
    participation: pl.DataFrame,
    courses: pl.DataFrame,
    evaluation_truth: pl.DataFrame,
    participation_truth: pl.DataFrame,
    method: Method,
    progress: bool = False,
    max_single_lps: int | None = None,
) -> AttackResult:
    sums = all(m[4] in evaluation_truth.columns for m in MEANS.values()) and all(
        m[4] in participation_truth.columns for m in PARTICIPATION_MEANS.values()
    )
    model = Attack(evaluation, participation, courses, method, means=sums)
    return model.solve(
        model.truth_vector(evaluation_truth, participation_truth),
        model.describe,
        progress,
        max_single_lps,
    )
