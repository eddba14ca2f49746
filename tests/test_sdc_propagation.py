"""Bounds propagation that recomputes only the rows whose variables changed gives exactly
the bounds of recomputing every row every round (the plain fixpoint written out below,
independently of leerdata.sdc.propagation), and probing finds a value impossible exactly
when that plain fixpoint, started with the variable fixed at the value, crosses a bound."""

from __future__ import annotations

import numpy as np
import pytest

from leerdata.sdc.propagation import Prober, System, propagate


def _every_row_every_round(
    low: np.ndarray, high: np.ndarray, rows: list[list[tuple[int, int]]], max_rounds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows sum(c * x) <= 0 with c in {-1, +1}; one round tightens every variable with
    every row from the previous round's bounds, integers rounded inwards."""
    low, high = low.astype(float).copy(), high.astype(float).copy()
    for _ in range(max_rounds):
        new_low, new_high = low.copy(), high.copy()
        for row in rows:
            minimum = [low[v] if c > 0 else -high[v] for v, c in row]
            for k, (v, c) in enumerate(row):
                others = [m for j, m in enumerate(minimum) if j != k]
                if any(np.isinf(m) for m in others):
                    continue
                rest = sum(others)
                if c > 0:
                    new_high[v] = min(new_high[v], np.floor(-rest + 1e-9))
                else:
                    new_low[v] = max(new_low[v], np.ceil(rest - 1e-9))
        if np.array_equal(new_low, low) and np.array_equal(new_high, high):
            break
        low, high = new_low, new_high
    return low, high


def _random_system(seed: int) -> tuple[np.ndarray, np.ndarray, list[list[tuple[int, int]]]]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 25))
    true = rng.integers(0, 30, n)
    low = np.where(rng.random(n) < 0.5, true - rng.integers(0, 5, n), 0).astype(float)
    high = np.where(rng.random(n) < 0.6, true + rng.integers(0, 5, n), np.inf)
    rows = []
    for _ in range(int(rng.integers(1, 3 * n))):
        size = int(rng.integers(2, min(n, 6) + 1))
        members = rng.choice(n, size, replace=False)
        # a margin and its parts (total - parts <= 0 or parts - total <= 0), true values
        # satisfy it, so the system is feasible
        total, parts = int(members[0]), [int(v) for v in members[1:]]
        if true[total] <= true[parts].sum():
            rows.append([(total, 1), *((v, -1) for v in parts)])
        if true[total] >= true[parts].sum():
            rows.append([(total, -1), *((v, 1) for v in parts)])
    return low, high, rows


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("max_rounds", [1, 2, 100])
def test_the_worklist_reaches_the_bounds_of_every_row_every_round(
    seed: int, max_rounds: int
) -> None:
    low, high, rows = _random_system(seed)
    system = System(low=low, high=high)
    system.add_rows(
        [(np.array([v for v, _ in row]), np.array([c for _, c in row])) for row in rows]
    )
    expected = _every_row_every_round(low, high, rows, max_rounds)
    found = propagate(system, max_rounds)
    np.testing.assert_array_equal(found[0], expected[0])
    np.testing.assert_array_equal(found[1], expected[1])


def _probes_and_plain_verdicts(seed: int) -> tuple[list[bool], list[bool]]:
    """Probing's verdict on every value of every variable that propagation leaves within
    4 values, and the plain fixpoint's from the variable fixed at the value."""
    low, high, rows = _random_system(seed)
    system = System(low=low, high=high)
    system.add_rows(
        [(np.array([v for v, _ in row]), np.array([c for _, c in row])) for row in rows]
    )
    settled_low, settled_high = propagate(system)
    probes = [
        (v, float(value))
        for v in range(len(low))
        if np.isfinite(settled_high[v]) and settled_high[v] - settled_low[v] <= 4
        for value in range(int(settled_low[v]), int(settled_high[v]) + 1)
    ]
    expected = []
    for v, value in probes:
        fixed_low, fixed_high = settled_low.copy(), settled_high.copy()
        fixed_low[v] = fixed_high[v] = value
        end_low, end_high = _every_row_every_round(fixed_low, fixed_high, rows, 200)
        expected.append(bool((end_low > end_high).any()))
    found = Prober(system, settled_low, settled_high).impossible(
        np.array([v for v, _ in probes], dtype=np.int64),
        np.array([x for _, x in probes]),
        batch=7,  # several batches, and probes of one variable in one batch
    )
    return list(found), expected


@pytest.mark.parametrize("seed", range(40))
def test_probing_rules_out_a_value_exactly_when_the_plain_fixpoint_crosses_a_bound(
    seed: int,
) -> None:
    found, expected = _probes_and_plain_verdicts(seed)
    assert found == expected
