"""The warm-started audit LP against an independent solver, and the incremental
suppression against a full audit, on random linked tables."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_array

from leerdata.sdc.audit import exposed_cells, feasible_intervals
from leerdata.sdc.lp import LPError, WarmBounds
from leerdata.sdc.suppression import suppress
from leerdata.sdc.tables import ProtectionRule, Relation

RULE = ProtectionRule(min_cell_size=10)


def linked_table(rng: random.Random) -> tuple[list[int], list[Relation]]:
    """Entities × quarters with yearly sums, and groups of entities whose quarter cell
    covers its members' quarter cells (the shape of the evaluation tables)."""
    n_entities, n_quarters = rng.randint(4, 9), 4
    persons: list[int] = []
    quarter_cell: dict[tuple[int, int], int] = {}
    relations: list[Relation] = []
    for entity in range(n_entities):
        parts = []
        for quarter in range(n_quarters):
            quarter_cell[(entity, quarter)] = len(persons)
            parts.append(len(persons))
            persons.append(rng.choice([0, 1, 2, 3, 5, 8, 12, 15, 20, 40]))
        relations.append(Relation(total=len(persons), parts=tuple(parts)))
        persons.append(sum(persons[p] for p in parts))
    groups = [list(range(0, n_entities, 2)), list(range(1, n_entities, 2))]
    for members in groups:
        for quarter in range(n_quarters):
            parts = [quarter_cell[(e, quarter)] for e in members]
            # a person may be in two entities of a group: the group is between max and sum
            low, high = max(persons[p] for p in parts), sum(persons[p] for p in parts)
            relations.append(Relation(total=len(persons), parts=tuple(parts), kind="cover"))
            persons.append(rng.randint(low, high))
    return persons, relations


def scipy_interval(
    persons: list[int], suppressed: set[int], relations: list[Relation], cell: int
) -> tuple[float, float]:
    """min and max of `cell` with a fresh scipy linprog per bound (the reference)."""
    hidden = sorted(suppressed)
    column = {c: i for i, c in enumerate(hidden)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []

    def add(terms: list[tuple[int, float]], equality: bool) -> None:
        row, constant = np.zeros(len(hidden)), 0.0
        for c, coef in terms:
            if c in column:
                row[column[c]] += coef
            else:
                constant -= coef * persons[c]
        (a_eq if equality else a_ub).append(row)
        (b_eq if equality else b_ub).append(constant)

    for r in relations:
        total_minus_parts = [(r.total, 1.0)] + [(p, -1.0) for p in r.parts]
        if r.kind == "sum":
            add(total_minus_parts, equality=True)
        else:
            add(total_minus_parts, equality=False)
            for p in r.parts:
                add([(p, 1.0), (r.total, -1.0)], equality=False)
    bounds = []
    for sign in (1.0, -1.0):
        objective = np.zeros(len(hidden))
        objective[column[cell]] = sign
        result = linprog(
            objective,
            A_ub=np.array(a_ub) if a_ub else None,
            b_ub=np.array(b_ub) if b_ub else None,
            A_eq=np.array(a_eq) if a_eq else None,
            b_eq=np.array(b_eq) if b_eq else None,
            bounds=(0, None),
            method="highs",
        )
        if result.status == 3:
            bounds.append(math.inf)
        else:
            assert result.status == 0, result.message
            bounds.append(sign * result.fun)
    return bounds[0], bounds[1]


@pytest.mark.parametrize("seed", range(12))
def test_warm_audit_matches_a_fresh_scipy_solve_for_every_cell(seed: int) -> None:
    rng = random.Random(seed)
    persons, relations = linked_table(rng)
    suppressed = set(rng.sample(range(len(persons)), k=len(persons) // 3))
    intervals = feasible_intervals(persons, suppressed, relations)
    assert set(intervals) == suppressed
    for cell in suppressed:
        low, high = scipy_interval(persons, suppressed, relations, cell)
        assert intervals[cell].low == pytest.approx(low, abs=1e-6)
        assert intervals[cell].high == pytest.approx(high, abs=1e-6)
        # the true value is always feasible: the audit never excludes it
        assert low - 1e-6 <= persons[cell] <= high + 1e-6


def test_a_cell_that_is_provably_large_must_only_not_be_recomputable() -> None:
    """Cell 0 is hidden; cell 2 covers cells 0 and 1 (0 <= 2 <= 0 + 1), so a reader
    gets cell 0 within [cell 2 - cell 1, cell 2], 8 wide."""
    covers = [Relation(total=2, parts=(0, 1), kind="cover")]
    # [37, 45]: at least 37 persons whatever its value, no small group to protect
    assert exposed_cells([42, 8, 45], {0}, covers, RULE) == []
    # [7, 15]: could be a small cell, so it needs the full protection width
    (exposed,) = exposed_cells([12, 8, 15], {0}, covers, RULE)
    assert (exposed.low, exposed.high) == (7.0, 15.0)
    # a large cell a reader can recompute exactly is exposed all the same
    sums = [Relation(total=2, parts=(0, 1))]
    (recomputed,) = exposed_cells([42, 8, 50], {0}, sums, RULE)
    assert (recomputed.low, recomputed.high) == (42.0, 42.0)


def test_round_off_on_a_bound_does_not_change_the_required_width() -> None:
    """A rijk day build was refused: the engine solved a cell's minimum as 20 (only
    "not recomputable" needed), the audit as 19.9999999 (full width needed)."""
    assert RULE.required_width(20.0) == RULE.required_width(20.0 - 1e-9) == 1.0
    assert RULE.required_width(19.0) == RULE.width


@pytest.mark.parametrize("seed", range(12))
def test_incremental_suppression_passes_a_full_audit(seed: int) -> None:
    """suppress() audits only cells not yet proven protected; a full audit of every
    suppressed cell of the final pattern must find nothing."""
    persons, relations = linked_table(random.Random(seed))
    result = suppress(persons, relations, RULE)
    assert result.suppressed, "every random table has small cells"
    assert exposed_cells(persons, result.suppressed, relations, RULE) == []
    for cell in result.suppressed:  # and by the independent solver
        low, high = scipy_interval(persons, result.suppressed, relations, cell)
        assert high - low >= RULE.required_width(low) - 1e-6, (cell, low, high)


def warm(rows: list[list[float]], rhs: list[float], equality: list[bool]) -> WarmBounds:
    return WarmBounds(csr_array(np.array(rows)), np.array(rhs), np.array(equality))


def test_warm_bounds_reports_unbounded_and_contradiction() -> None:
    # x0 - x1 = 0 with x >= 0: both unbounded above
    assert warm([[1.0, -1.0]], [0.0], [True]).low_high(0) == (0.0, math.inf)
    # x0 = -5 with x0 >= 0 cannot hold
    with pytest.raises(LPError, match="contradict"):
        warm([[1.0]], [-5.0], [True]).low_high(0)


def test_enough_skips_solves_only_for_a_spread_already_seen() -> None:
    # x0 + x1 = 30, x0 <= 25: x0 in [0, 25], x1 in [5, 30]
    bounds = warm([[1.0, 1.0], [1.0, 0.0]], [30.0, 25.0], [True, False])
    assert bounds.low_high(0) == (0.0, 25.0)
    # the two optima of x0 were (0, 30) and (25, 5): x1 has been seen 25 apart
    low, high = bounds.low_high(1, enough=lambda low: 10.0)
    assert high - low >= 10.0 and (low, high) == (5.0, 30.0)
    # a spread not yet seen is solved exactly
    assert warm([[1.0, 1.0]], [4.0], [True]).low_high(1, enough=lambda low: 10.0) == (0.0, 4.0)
