"""Bounds propagation over a system of homogeneous linear inequalities.

Every relation a reader can write down between published counts is of the form
sum(a_i * x_i) <= 0 with a_i in {-1, +1} (a margin equals or covers its parts, a count
is at most another), and every published count gives bounds lo <= x <= hi. Tightening
each variable's bounds with each row until nothing changes is what a reader can derive
with certainty; x are integers, so bounds are rounded inwards. This is weaker than
linear programming, which combines rows: a difference of two sums (year enrolments -
year completions) bounds what no single row does. The reader model therefore adds such
differences as variables of their own (leerdata.sdc.reader_model), and
tests/test_disclosure_attack.py attacks the result with an LP attacker that shares no
code with this module.
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

    def add_variables(self, count: int, low: float, high: float) -> int:
        """Append `count` variables with the same bounds; returns the first one's index."""
        first = len(self.low)
        self.low = np.concatenate([self.low, np.full(count, low, dtype=float)])
        self.high = np.concatenate([self.high, np.full(count, high, dtype=float)])
        return first

    def add_rows(self, row_members: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Each item (variables, coefficients) is one row sum(c * x) <= 0."""
        for variables, coefficients in row_members:
            self.rows.append(np.full(len(variables), self.row_count, dtype=np.int64))
            self.columns.append(np.asarray(variables, dtype=np.int64))
            self.coefficients.append(np.asarray(coefficients, dtype=np.int8))
            self.row_count += 1

    def add_equal(self, total: np.ndarray, parts: np.ndarray, lengths: np.ndarray) -> None:
        """total[k] = the sum of its parts: parts[sum(lengths[:k]):][:lengths[k]]."""
        self._add_margin_rows(total, parts, lengths, both_ways=True)

    def add_covered(self, total: np.ndarray, parts: np.ndarray, lengths: np.ndarray) -> None:
        """total[k] <= the sum of its parts, and every part <= total[k] (parts overlap)."""
        self._add_margin_rows(total, parts, lengths, both_ways=False)
        self.add_at_most(parts, np.repeat(total, lengths))

    def _add_margin_rows(
        self, total: np.ndarray, parts: np.ndarray, lengths: np.ndarray, both_ways: bool
    ) -> None:
        n = len(total)
        if n == 0:
            return
        members = np.concatenate([total, parts]).astype(np.int64)
        owner = np.concatenate([np.arange(n), np.repeat(np.arange(n), lengths)])
        signs = np.concatenate([np.ones(n, dtype=np.int8), -np.ones(len(parts), dtype=np.int8)])
        # total - sum(parts) <= 0 (a margin is at most the sum of its parts)
        self.rows.append(self.row_count + owner)
        self.columns.append(members)
        self.coefficients.append(signs)
        if both_ways:
            # sum(parts) - total <= 0 as well: equality
            self.rows.append(self.row_count + n + owner)
            self.columns.append(members)
            self.coefficients.append(-signs)
        self.row_count += 2 * n if both_ways else n

    def add_zero_sums(self, members: np.ndarray, signs: np.ndarray) -> None:
        """sum(signs * members[k]) = 0 for every row k of the 2-d index array."""
        n, width = members.shape
        owner = np.repeat(np.arange(n, dtype=np.int64), width)
        coefficients = np.tile(signs.astype(np.int8), n)
        for direction in (1, -1):
            self.rows.append(self.row_count + owner)
            self.columns.append(members.ravel().astype(np.int64))
            self.coefficients.append((direction * coefficients).astype(np.int8))
            self.row_count += n

    def add_at_most(self, small: np.ndarray, large: np.ndarray) -> None:
        """small[k] <= large[k] for every k (both index arrays)."""
        n = len(small)
        base = self.row_count
        self.rows.append(np.repeat(np.arange(base, base + n, dtype=np.int64), 2))
        self.columns.append(np.column_stack([small, large]).ravel().astype(np.int64))
        self.coefficients.append(np.tile(np.array([1, -1], dtype=np.int8), n))
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
    """The tightest bounds row-by-row propagation reaches (a fixpoint).

    Each round tightens every variable with every row, from the bounds of the round
    before. After the first round only the rows holding a variable that changed are
    recomputed: a row whose members kept their bounds gives the same bounds as before,
    which are already applied, so the rounds and the result are the same as recomputing
    every row (tests/test_sdc_propagation.py compares the two)."""
    rows, cols, coef = system.frozen()
    low = system.low.astype(float).copy()
    high = system.high.astype(float).copy()
    if len(rows) == 0:
        return low, high
    n_rows = system.row_count
    positive = coef > 0
    members = np.arange(len(rows))
    for _ in range(max_rounds):
        row, col, pos = rows[members], cols[members], positive[members]
        # each member's contribution to its row's minimum activity
        contribution = np.where(pos, low[col], -high[col])
        infinite = np.isinf(contribution)
        finite = np.where(infinite, 0.0, contribution)
        finite_part = np.bincount(row, weights=finite, minlength=n_rows)
        infinite_count = np.bincount(row, weights=infinite.astype(float), minlength=n_rows)
        usable = (infinite_count[row] - infinite) == 0
        # a*x <= -others  =>  x <= -others (a=+1)  or  x >= others (a=-1)
        others = finite_part[row] - finite
        upper = np.where(usable & pos, np.floor(-others + 1e-9), np.inf)
        lower = np.where(usable & ~pos, np.ceil(others - 1e-9), -np.inf)
        new_high = high.copy()
        new_low = low.copy()
        np.minimum.at(new_high, col, upper)
        np.maximum.at(new_low, col, lower)
        changed = (new_high != high) | (new_low != low)
        if not changed.any():
            break
        low, high = new_low, new_high
        touched = np.zeros(n_rows, dtype=bool)
        touched[rows[changed[cols]]] = True
        members = np.flatnonzero(touched[rows])
    return low, high
