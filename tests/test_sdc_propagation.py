"""Bounds propagation that recomputes only the rows whose variables changed gives exactly
the bounds of recomputing every row every round (the plain fixpoint written out below,
independently of leerdata.sdc.propagation), and probing finds a value impossible exactly
when that plain fixpoint, started with the variable fixed at the value, crosses a bound."""

from __future__ import annotations

import numpy as np
import pytest

from leerdata.sdc.propagation import INF, Prober, System, propagate


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


# Two-step gadgets probing pins and propagation does not (variables, bounds, rows):
# x in [0, 2] with x <= y, x + y <= 3 and x + w >= 1, w <= x: fixing x at 2 forces
# y <= 1 and y >= 2, fixing it at 0 forces w >= 1 and w <= 0, so only x = 1 is left,
# between its bounds; a, b in [0, 1] with a + b <= 1 and a <= b: a = 1 forces b <= 0 and
# b >= 1, so a = 0, at a bound. Constants are variables fixed at their value.
GADGET_NAMES = ("x", "y", "w", "three", "one", "a", "b")
GADGET_LOW = np.array([0, 0, 0, 3, 1, 0, 0], dtype=float)
GADGET_HIGH = np.array([2, 3, 2, 3, 1, 1, 1], dtype=float)
GADGET_ROWS = [
    (("x", 1), ("y", -1)),
    (("x", 1), ("y", 1), ("three", -1)),
    (("one", 1), ("x", -1), ("w", -1)),
    (("w", 1), ("x", -1)),
    (("a", 1), ("b", 1), ("one", -1)),
    (("a", 1), ("b", -1)),
]
GADGET_PINNED = {"x": 1.0, "a": 0.0}


def _with_gadgets(seed: int) -> tuple[System, int]:
    """A random system of counts of 0..3 and constants, and the gadgets on variables of
    their own after it; returns the system and the first gadget variable."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 12))
    true = rng.integers(0, 4, n).astype(float)
    low = np.maximum(true - rng.integers(0, 3, n), 0)
    high = true + rng.integers(0, 3, n)
    constant = rng.random(n) < 0.2
    low[constant] = high[constant] = true[constant]
    rows = []
    for _ in range(int(rng.integers(2, 3 * n))):
        members = rng.choice(n, int(rng.integers(2, 4)), replace=False)
        signs = rng.choice([-1, 1], len(members))
        if (signs * true[members]).sum() <= 0:
            rows.append((members, signs))
    at = {name: n + k for k, name in enumerate(GADGET_NAMES)}
    for row in GADGET_ROWS:
        rows.append((np.array([at[v] for v, _ in row]), np.array([c for _, c in row])))
    system = System(low=np.concatenate([low, GADGET_LOW]), high=np.concatenate([high, GADGET_HIGH]))
    system.add_rows(rows)
    return system, n


def test_only_possible_values_is_the_one_value_probing_keeps() -> None:
    """only_possible_values probes both bounds first and the values between them only
    when needed; its answer must be that of probing every value of the bounds, and the
    gadgets' values worked out by hand."""
    pinned_by_probing = 0
    for seed in range(100):
        system, first_gadget = _with_gadgets(seed)
        low, high = propagate(system)
        prober = Prober(system, low, high)
        variables = np.flatnonzero(np.isfinite(high))
        found = prober.only_possible_values(variables)
        for variable, value in zip(variables, found, strict=True):
            values = np.arange(low[variable], high[variable] + 1)
            impossible = prober.impossible(np.full(len(values), variable), values)
            kept = values[~impossible]
            expected = kept[0] if len(kept) == 1 else np.nan
            same = value == expected or (np.isnan(value) and np.isnan(expected))
            assert same, (seed, variable, value, expected)
            pinned_by_probing += len(kept) == 1 and len(values) > 1
        gadget = dict(zip(GADGET_NAMES, range(first_gadget, len(low)), strict=True))
        for name, variable in gadget.items():
            assert (
                low[variable] < high[variable]
                or low[variable] == GADGET_LOW[GADGET_NAMES.index(name)]
            ), "propagation alone narrowed a gadget"
            value = found[np.searchsorted(variables, variable)]
            if name in GADGET_PINNED:
                assert value == GADGET_PINNED[name], (seed, name, value)
            elif low[variable] < high[variable]:
                assert np.isnan(value), (seed, name, value)
    assert pinned_by_probing >= 200


def test_rows_and_variables_added_after_a_propagation_are_propagated_and_probed() -> None:
    """The audit reuses a system's concatenated rows and incidence between rounds; a row
    or a variable added afterwards must still take part."""
    system = System(low=np.array([3.0, 0.0]), high=np.array([3.0, INF]))
    system.add_rows([(np.array([0, 1]), np.array([1, -1]))])  # x0 <= x1
    low, high = propagate(system)
    assert (low[1], high[1]) == (3.0, INF)
    assert not Prober(system, low, high).impossible(np.array([1]), np.array([9.0]))[0]

    system.add_rows([(np.array([1, 0]), np.array([1, -1]))])  # x1 <= x0: now x1 = 3
    low, high = propagate(system)
    assert (low[1], high[1]) == (3.0, 3.0)
    first = system.add_variables(1, 0.0, INF)
    system.add_rows([(np.array([first, 1]), np.array([1, -1]))])  # x2 <= x1
    low, high = propagate(system)
    assert high[first] == 3.0
    assert Prober(system, low, high).impossible(np.array([first]), np.array([4.0]))[0]


def _mean_system(seed: int) -> tuple[System, np.ndarray, list[np.ndarray]]:
    """Small counts with the sums behind rounded means, as the reader model writes them:
    count * (mean - half step) <= sum <= count * (mean + half step), sums adding up like
    their counts. Returns the system, which variables are counts, and every integer
    point of the counts (with some sums) that satisfies it, found by enumeration."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 4))  # parts; variable n is their total
    counts = rng.integers(0, 5, n)
    scores = [rng.integers(1, 11, c) for c in counts]  # whole scores 1..10
    true_sums = np.array([s.sum() for s in scores], dtype=float)
    # counts 0..n, sums n+1..2n+1; noise: each count known within +-1 or not at all
    low = np.concatenate([np.maximum(counts - 1, 0), [0], np.zeros(n + 1)]).astype(float)
    high = np.concatenate([counts + 1, [INF], np.full(n + 1, INF)])
    known = rng.random(n) < 0.7
    low[:n][~known], high[:n][~known] = 0, INF
    system = System(low=low, high=high)
    parts = np.arange(n)
    system.add_equal(np.array([n]), parts, np.array([n]))
    system.add_equal(np.array([2 * n + 1]), parts + n + 1, np.array([n]))
    total_count, total_sum = counts.sum(), true_sums.sum()
    shown = [(i, counts[i], true_sums[i]) for i in range(n) if counts[i] and rng.random() < 0.6]
    if total_count:
        shown.append((n, total_count, total_sum))
    means = {}
    for i, c, s in shown:
        mean = np.round(s / c, 1)
        means[i] = mean
        sum_var = i + n + 1
        system.add_two_term(
            np.array([sum_var]), np.array([-1.0]), np.array([i]), np.array([mean - 0.05])
        )
        system.add_two_term(
            np.array([sum_var]), np.array([1.0]), np.array([i]), np.array([-(mean + 0.05)])
        )
    for i in range(n + 1):  # unshown: 1..10 per contributor
        system.add_two_term(np.array([i + n + 1]), np.array([-1.0]), np.array([i]), np.array([1.0]))
        system.add_two_term(
            np.array([i + n + 1]), np.array([1.0]), np.array([i]), np.array([-10.0])
        )
    # every count vector within reach, with a sum per part that fits its mean and range
    feasible = []
    for candidate in np.ndindex(*([7] * n)):
        c = np.array(candidate)
        if np.any(c < low[:n]) or np.any(c > np.minimum(high[:n], 6)):
            continue
        ranges = []
        for i in range(n):
            lo, hi = c[i], 10 * c[i]
            if i in means:
                lo, hi = max(lo, c[i] * (means[i] - 0.05)), min(hi, c[i] * (means[i] + 0.05))
            ranges.append((np.ceil(lo - 1e-9), np.floor(hi + 1e-9)))
        if any(lo > hi for lo, hi in ranges):
            continue
        t = c.sum()
        lo_t, hi_t = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        if n in means:
            lo_t, hi_t = max(lo_t, t * (means[n] - 0.05)), min(hi_t, t * (means[n] + 0.05))
        if np.ceil(lo_t - 1e-9) <= np.floor(hi_t + 1e-9):
            feasible.append(c)
    assert any(np.array_equal(c, counts) for c in feasible)  # the truth is among them
    return system, np.arange(n), feasible


@pytest.mark.parametrize("seed", range(60))
def test_bounds_from_rounded_means_hold_every_count_that_fits_them(seed: int) -> None:
    """Real coefficients (a rounded mean's ends): propagation and probing never rule out
    a count vector that fits every published figure, found here by enumeration (whole
    scores 1..10, counts 0..6). A rule that rounds a bound the wrong way, or takes an
    end of a mean for exact, cuts one off."""
    system, counts, feasible = _mean_system(seed)
    low, high = propagate(system)
    prober = Prober(system, low, high)
    for c in feasible:
        assert np.all(low[counts] <= c) and np.all(c <= high[counts]), (c, low, high)
        assert not prober.impossible(counts, c.astype(float)).any(), c


def test_rounded_means_narrow_the_counts_over_the_seeds() -> None:
    """The test above is not empty: over its seeds the means narrow some count below
    what the counts' own bounds and sums give."""
    narrowed = 0
    for seed in range(60):
        system, counts, _ = _mean_system(seed)
        with_means = propagate(system)
        plain = System(low=system.low.copy(), high=system.high.copy())
        n = len(counts)
        plain.add_equal(np.array([n]), counts, np.array([n]))
        without = propagate(plain)
        narrowed += int(
            np.sum(with_means[1][counts] < without[1][counts])
            + np.sum(with_means[0][counts] > without[0][counts])
        )
    assert narrowed >= 5, narrowed


def test_a_continuous_variable_is_not_rounded() -> None:
    """A sum of exam scores may have decimals: 2 * 62.85 <= s <= 2 * 62.95 bounds s to
    [125.7, 125.9] (eased by the tolerance), not to whole numbers, which would leave none."""
    system = System(low=np.array([2.0, 0.0]), high=np.array([2.0, INF]))
    system.whole[1] = False
    system.add_two_term(np.array([1]), np.array([-1.0]), np.array([0]), np.array([62.85]))
    system.add_two_term(np.array([1]), np.array([1.0]), np.array([0]), np.array([-62.95]))
    low, high = propagate(system)
    assert 125.69 < low[1] <= 125.7 and 125.9 <= high[1] < 125.91
    assert not Prober(system, low, high).impossible(np.array([0]), np.array([2.0]))[0]
    system.whole[1] = True  # whole, no sum fits: the count 2 is impossible
    low, high = propagate(system)
    assert low[1] > high[1]
