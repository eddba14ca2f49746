"""Bounds propagation over a system of homogeneous linear inequalities.

Every relation a reader can write down between published counts is of the form
sum(a_i * x_i) <= 0 with a_i in {-1, +1} (a margin equals or covers its parts, a count
is at most another), and every published count gives bounds lo <= x <= hi. Tightening
each variable's bounds with each row until nothing changes is what a reader can derive
with certainty; x are integers, so bounds are rounded inwards. On the two-level
hierarchies of the protected tables this is as strong as linear programming per cell
for the exact recoveries it looks for (tests/test_disclosure_attack.py checks it with
an LP attacker that shares no code with this module).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

INF = np.inf


@dataclass
class System:
    """Variables with bounds, and rows sum(coefficient * x) <= 0 in coordinate form."""

    low: np.ndarray
    high: np.ndarray
    rows: list[np.ndarray] = field(default_factory=list)
    columns: list[np.ndarray] = field(default_factory=list)
    coefficients: list[np.ndarray] = field(default_factory=list)
    row_count: int = 0

    def add_rows(self, row_members: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Each item (variables, coefficients) is one row sum(c * x) <= 0."""
        for variables, coefficients in row_members:
            self.rows.append(np.full(len(variables), self.row_count, dtype=np.int64))
            self.columns.append(np.asarray(variables, dtype=np.int64))
            self.coefficients.append(np.asarray(coefficients, dtype=np.int8))
            self.row_count += 1

    def add_equal(self, total: np.ndarray, parts: np.ndarray) -> None:
        """Vectorised: total[k] = sum of parts[k] (parts: list of index arrays)."""
        for t, p in zip(total, parts, strict=True):
            members = np.concatenate(([t], p))
            signs = np.concatenate(([1], -np.ones(len(p), dtype=np.int8)))
            self.add_rows([(members, signs), (members, -signs)])

    def add_at_most(self, small: np.ndarray, large: np.ndarray) -> None:
        """small[k] <= large[k] for every k (both index arrays)."""
        n = len(small)
        base = self.row_count
        self.rows.append(np.repeat(np.arange(base, base + n, dtype=np.int64), 2))
        self.columns.append(np.column_stack([small, large]).ravel().astype(np.int64))
        self.coefficients.append(np.tile(np.array([1, -1], dtype=np.int8), n))
        self.row_count += n

    def add_sum_at_most(self, first: np.ndarray, second: np.ndarray, large: np.ndarray) -> None:
        """first[k] + second[k] <= large[k]."""
        n = len(first)
        base = self.row_count
        self.rows.append(np.repeat(np.arange(base, base + n, dtype=np.int64), 3))
        self.columns.append(np.column_stack([first, second, large]).ravel().astype(np.int64))
        self.coefficients.append(np.tile(np.array([1, 1, -1], dtype=np.int8), n))
        self.row_count += n

    def frozen(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty.astype(np.int8)
        return (
            np.concatenate(self.rows),
            np.concatenate(self.columns),
            np.concatenate(self.coefficients),
        )


def propagate(system: System, max_rounds: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The tightest bounds row-by-row propagation reaches (a fixpoint)."""
    rows, cols, coef = system.frozen()
    low = system.low.astype(float).copy()
    high = system.high.astype(float).copy()
    n_rows = system.row_count
    positive = coef > 0
    for _ in range(max_rounds):
        # each member's contribution to its row's minimum activity
        contribution = np.where(positive, low[cols], -high[cols])
        infinite = np.isinf(contribution)
        finite_part = np.bincount(
            rows, weights=np.where(infinite, 0.0, contribution), minlength=n_rows
        )
        infinite_count = np.bincount(rows, weights=infinite.astype(float), minlength=n_rows)
        others_infinite = infinite_count[rows] - infinite
        others_finite = finite_part[rows] - np.where(infinite, 0.0, contribution)
        usable = others_infinite == 0
        # a*x <= -others  =>  x <= -others (a=+1)  or  x >= others (a=-1)
        bound = -others_finite
        new_high = high.copy()
        new_low = low.copy()
        up = usable & positive
        down = usable & ~positive
        np.minimum.at(new_high, cols[up], np.floor(bound[up] + 1e-9))
        np.maximum.at(new_low, cols[down], np.ceil(-bound[down] - 1e-9))
        if np.array_equal(new_high, high) and np.array_equal(new_low, low):
            break
        low, high = new_low, new_high
    return low, high
