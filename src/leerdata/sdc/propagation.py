"""Bounds propagation over a system of homogeneous linear inequalities.

Every relation a reader can write down between published figures is of the form
sum(a_i * x_i) <= 0, and every published count gives bounds lo <= x <= hi. Between
counts the coefficients are -1 and +1 (a margin equals or covers its parts, a count is
at most another); a rounded mean ties the true sum of scores behind it to its count with
the mean's ends as coefficients (sum >= (mean - half a step) * count). Tightening each
variable's bounds with each row until nothing changes is what a reader can derive with
certainty; counts and sums of whole scores are integers, so their bounds are rounded
inwards (a sum of exam scores, which may have decimals, is not). This is weaker than
linear programming, which combines rows: a difference of two sums (year enrolments -
year completions) bounds what no single row does. The reader model therefore adds such
differences as variables of their own (leerdata.sdc.reader_model), Prober probes the
counts propagation leaves narrow, and tests/test_disclosure_attack.py and
tests/test_disclosure_redraw.py attack the result with an LP attacker that shares no
code with this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

INF = np.inf
# Slack for floating-point error: a bound within this of a whole number is that number,
# and a row's least activity counts as above 0 only beyond it. Sums of scores reach ~1e7
# at rijk, where float64's rounding is ~1e-9.
TOLERANCE = 1e-6


@dataclass
class System:
    """Variables with bounds, and rows sum(coefficient * x) <= 0 in coordinate form.
    Variables are whole numbers unless marked continuous (`whole` False)."""

    low: np.ndarray
    high: np.ndarray
    whole: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rows: list[np.ndarray] = field(default_factory=list)
    columns: list[np.ndarray] = field(default_factory=list)
    coefficients: list[np.ndarray] = field(default_factory=list)
    row_count: int = 0
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.whole) != len(self.low):
            self.whole = np.ones(len(self.low), dtype=bool)

    def add_variables(self, count: int, low: float, high: float) -> int:
        """Append `count` variables with the same bounds; returns the first one's index."""
        first = len(self.low)
        self.low = np.concatenate([self.low, np.full(count, low, dtype=float)])
        self.high = np.concatenate([self.high, np.full(count, high, dtype=float)])
        self.whole = np.concatenate([self.whole, np.ones(count, dtype=bool)])
        return first

    def add_rows(self, row_members: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Each item (variables, coefficients) is one row sum(c * x) <= 0."""
        for variables, coefficients in row_members:
            self.rows.append(np.full(len(variables), self.row_count, dtype=np.int64))
            self.columns.append(np.asarray(variables, dtype=np.int64))
            self.coefficients.append(np.asarray(coefficients, dtype=float))
            self.row_count += 1

    def add_equal(self, total: np.ndarray, parts: np.ndarray, lengths: np.ndarray) -> None:
        """total[k] = the sum of its parts: parts[sum(lengths[:k]):][:lengths[k]]."""
        self._add_margin_rows(total, parts, lengths, both_ways=True)

    def add_covered(self, total: np.ndarray, parts: np.ndarray, lengths: np.ndarray) -> None:
        """total[k] <= the sum of its parts, and every part <= total[k] (parts overlap)."""
        self._add_margin_rows(total, parts, lengths, both_ways=False)
        self.add_at_most(parts, np.repeat(total, lengths))

    def add_at_least_sum(self, total: np.ndarray, parts: np.ndarray, lengths: np.ndarray) -> None:
        """total[k] >= the sum of its parts."""
        n = len(total)
        if n == 0:
            return
        members = np.concatenate([total, parts]).astype(np.int64)
        owner = np.concatenate([np.arange(n), np.repeat(np.arange(n), lengths)])
        signs = np.concatenate([-np.ones(n), np.ones(len(parts))])
        self.rows.append(self.row_count + owner)
        self.columns.append(members)
        self.coefficients.append(signs)
        self.row_count += n

    def _add_margin_rows(
        self, total: np.ndarray, parts: np.ndarray, lengths: np.ndarray, both_ways: bool
    ) -> None:
        n = len(total)
        if n == 0:
            return
        members = np.concatenate([total, parts]).astype(np.int64)
        owner = np.concatenate([np.arange(n), np.repeat(np.arange(n), lengths)])
        signs = np.concatenate([np.ones(n), -np.ones(len(parts))])
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
        coefficients = np.tile(signs.astype(float), n)
        for direction in (1, -1):
            self.rows.append(self.row_count + owner)
            self.columns.append(members.ravel().astype(np.int64))
            self.coefficients.append(direction * coefficients)
            self.row_count += n

    def add_at_most(self, small: np.ndarray, large: np.ndarray) -> None:
        """small[k] <= large[k] for every k (both index arrays)."""
        n = len(small)
        base = self.row_count
        self.rows.append(np.repeat(np.arange(base, base + n, dtype=np.int64), 2))
        self.columns.append(np.column_stack([small, large]).ravel().astype(np.int64))
        self.coefficients.append(np.tile(np.array([1.0, -1.0]), n))
        self.row_count += n

    def add_short_rows(self, members: np.ndarray, coefficients: np.ndarray) -> None:
        """sum(coefficients[k] * x[members[k]]) <= 0 for every row k of the two 2-d arrays
        (one shape: a row per relation, a column per term)."""
        n, width = members.shape
        base = self.row_count
        self.rows.append(np.repeat(np.arange(base, base + n, dtype=np.int64), width))
        self.columns.append(members.ravel().astype(np.int64))
        self.coefficients.append(coefficients.ravel().astype(float))
        self.row_count += n

    def add_two_term(
        self, first: np.ndarray, a: np.ndarray, second: np.ndarray, b: np.ndarray
    ) -> None:
        """a[k] * first[k] + b[k] * second[k] <= 0 for every k (index and coefficient
        arrays of one length)."""
        self.add_short_rows(np.column_stack([first, second]), np.column_stack([a, b]))

    def _shape(self) -> tuple[int, int, int]:
        """Changes whenever a row or a variable is added (the add_* methods append)."""
        return len(self.rows), self.row_count, len(self.low)

    def frozen(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows in coordinate form (rows, columns, coefficients), concatenated once
        per shape of the system: the disclosure audit propagates the same rows in every
        round, with other bounds (3.6 ms a call on a medium year)."""
        cached = self._cache.get("frozen")
        if cached is not None and cached[0] == self._shape():
            return cached[1]
        if not self.rows:
            empty = np.zeros(0, dtype=np.int64)
            arrays = empty, empty, empty.astype(float)
        else:
            arrays = (
                np.concatenate(self.rows),
                np.concatenate(self.columns),
                np.concatenate(self.coefficients),
            )
        self._cache["frozen"] = (self._shape(), arrays)
        return arrays

    def incidence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The entries of frozen() by variable and by row, in compressed form: (variable
        pointers, entries by variable, row pointers, entries by row). Cached as frozen()."""
        cached = self._cache.get("incidence")
        if cached is not None and cached[0] == self._shape():
            return cached[1]
        rows, cols, _ = self.frozen()
        by_variable = np.argsort(cols, kind="stable")
        variable_ptr = np.searchsorted(cols[by_variable], np.arange(len(self.low) + 1))
        by_row = np.argsort(rows, kind="stable")
        row_ptr = np.searchsorted(rows[by_row], np.arange(self.row_count + 1))
        arrays = variable_ptr, by_variable, row_ptr, by_row
        self._cache["incidence"] = (self._shape(), arrays)
        return arrays


def implied_bounds(
    coefficient: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    row: np.ndarray,
    n_rows: int,
    whole: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For the members of rows sum(a * x) <= 0 (each member's coefficient, bounds, row
    number and wholeness): the upper and lower bound the rest of its row implies on it
    (inf / -inf where none), and each row's least activity over its finite terms with
    its number of infinite terms."""
    positive = coefficient > 0
    # each member's contribution to its row's least activity
    contribution = coefficient * np.where(positive, low, high)
    infinite = np.isinf(contribution)
    finite = np.where(infinite, 0.0, contribution)
    finite_part = np.bincount(row, weights=finite, minlength=n_rows)
    infinite_count = np.bincount(row, weights=infinite.astype(float), minlength=n_rows)
    usable = (infinite_count[row] - infinite) == 0
    # a*x <= -others  =>  x <= -others/a (a > 0)  or  x >= -others/a (a < 0)
    bound = -(finite_part[row] - finite) / coefficient
    upper = np.where(usable & positive, bound, np.inf)
    lower = np.where(usable & ~positive, bound, -np.inf)
    # whole numbers round inwards; a continuous bound is eased outwards by the tolerance,
    # so that float noise neither cuts off a true value nor counts as progress
    upper = np.where(whole, np.floor(upper + TOLERANCE), upper + TOLERANCE * (1 + np.abs(upper)))
    lower = np.where(whole, np.ceil(lower - TOLERANCE), lower - TOLERANCE * (1 + np.abs(lower)))
    return upper, lower, finite_part, infinite_count


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
    members = np.arange(len(rows))
    for _ in range(max_rounds):
        row, col = rows[members], cols[members]
        upper, lower, _, _ = implied_bounds(
            coef[members], low[col], high[col], row, n_rows, system.whole[col]
        )
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


class Prober:
    """Probing: fix one variable at a value and propagate from that change alone; a bound
    crossing proves that no integer solution has the variable at that value.

    Propagation reads one row at a time, and on a two-way table (courses x quarters with
    their year and margin sums) an LP attacker combines rows it cannot: it bounded a
    count propagation left in [5, 6] to [5, 5.5], so 5 (README, Disclosure control). Fixing the
    count at 6 and propagating the consequences through those rows crosses a bound, so
    the count is 5. Each probe touches only the rows its change reaches, and probes run
    in batches: every round handles the changed (probe, variable) pairs of the whole
    batch at once (one probe at a time cost ~1 ms of numpy calls)."""

    def __init__(
        self, system: System, low: np.ndarray, high: np.ndarray, max_rounds: int = 60
    ) -> None:
        rows, cols, coef = system.frozen()
        self._rows, self._cols, self._coefficients = rows, cols, coef
        self._whole = system.whole
        self._low, self._high = low, high
        self._n_rows = system.row_count
        self._max_rounds = max_rounds
        (
            self._variable_ptr,
            self._variable_members,
            self._row_ptr,
            self._row_members,
        ) = system.incidence()

    @staticmethod
    def _gather(ptr: np.ndarray, members: np.ndarray, keys: np.ndarray):
        """The members of each key (CSR), and for each member the position of its key."""
        starts = ptr[keys]
        lengths = ptr[keys + 1] - starts
        owner = np.repeat(np.arange(len(keys)), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return members[starts[owner] + offsets], owner

    def impossible(self, variables: np.ndarray, values: np.ndarray, batch: int = 64) -> np.ndarray:
        """Per probe (variable, value): True when propagation from the variable fixed at
        the value crosses a bound."""
        variables = np.asarray(variables, dtype=np.int64)
        values = np.asarray(values, dtype=float)
        out = np.zeros(len(variables), dtype=bool)
        for first in range(0, len(variables), batch):
            part = slice(first, first + batch)
            out[part] = self._impossible_batch(variables[part], values[part])
        return out

    def _impossible_batch(self, variables: np.ndarray, values: np.ndarray) -> np.ndarray:
        # Each probe's bounds are the shared ones plus its own changes, kept sparse:
        # sorted keys probe * n_vars + variable (a dense copy per probe cost more than
        # the propagation itself).
        n_probes, n_vars = len(variables), len(self._low)
        probe_ids = np.arange(n_probes, dtype=np.int64)
        changes = _SparseBounds(probe_ids * n_vars + variables, values, values.copy())
        failed = np.zeros(n_probes, dtype=bool)
        changed_probe, changed_var = probe_ids, variables
        for _ in range(self._max_rounds):
            entries, owner = self._gather(self._variable_ptr, self._variable_members, changed_var)
            keys = np.unique(changed_probe[owner] * self._n_rows + self._rows[entries])
            probe_of_row, row_of_key = np.divmod(keys, self._n_rows)
            members, local_row = self._gather(self._row_ptr, self._row_members, row_of_key)
            probe = probe_of_row[local_row]
            col = self._cols[members]
            flat = probe * n_vars + col
            low, high = changes.bounds(flat, self._low[col], self._high[col])
            upper, lower, finite_part, infinite_count = implied_bounds(
                self._coefficients[members], low, high, local_row, len(keys), self._whole[col]
            )
            # a row whose least activity is above 0 holds for no value
            failed[probe_of_row[(infinite_count == 0) & (finite_part > TOLERANCE)]] = True
            targets, inverse = np.unique(flat, return_inverse=True)
            old_low, old_high = np.zeros(len(targets)), np.zeros(len(targets))
            old_low[inverse], old_high[inverse] = low, high
            new_low, new_high = old_low.copy(), old_high.copy()
            np.maximum.at(new_low, inverse, lower)
            np.minimum.at(new_high, inverse, upper)
            moved = ((new_low != old_low) | (new_high != old_high)) & ~failed[targets // n_vars]
            targets, new_low, new_high = targets[moved], new_low[moved], new_high[moved]
            crossed = new_low > new_high + TOLERANCE * (1 + np.abs(new_high))
            failed[targets[crossed] // n_vars] = True
            keep = ~failed[targets // n_vars]
            targets, new_low, new_high = targets[keep], new_low[keep], new_high[keep]
            if targets.size == 0:
                break
            changes.update(targets, new_low, new_high)
            changed_probe, changed_var = np.divmod(targets, n_vars)
        return failed

    def only_possible_values(self, variables: np.ndarray) -> np.ndarray:
        """Per variable: its one value within its bounds that probing leaves possible, or
        NaN when two or more are. Both bounds are probed first; the values between them
        only for a variable with at most one possible bound, since two possible bounds
        already make two possible values (at rijk this saved the middle probe of 7,405
        of 8,732 probed counts)."""
        variables = np.asarray(variables, dtype=np.int64)
        low, high = self._low[variables], self._high[variables]
        wide = np.flatnonzero(high > low)
        owner = np.concatenate([np.arange(len(variables)), wide])
        ends = np.concatenate([low, high[wide]])
        possible = ~self.impossible(variables[owner], ends)
        n_ends = np.bincount(owner, weights=possible.astype(float), minlength=len(variables))
        inner = np.flatnonzero((n_ends < 2) & (high - low >= 2))
        widths = (high[inner] - low[inner]).astype(np.int64) - 1  # values strictly inside
        inner_owner = np.repeat(inner, widths)
        step = 1 + np.arange(len(inner_owner)) - np.repeat(np.cumsum(widths) - widths, widths)
        inner_values = low[inner_owner] + step
        inner_possible = ~self.impossible(variables[inner_owner], inner_values)
        owner = np.concatenate([owner, inner_owner])
        values = np.concatenate([ends, inner_values])
        possible = np.concatenate([possible, inner_possible])
        n_possible = np.bincount(owner, weights=possible.astype(float), minlength=len(variables))
        value_sum = np.bincount(
            owner, weights=np.where(possible, values, 0.0), minlength=len(variables)
        )
        return np.where(n_possible == 1, value_sum, np.nan)


class _SparseBounds:
    """Bounds that differ from the shared ones, by sorted flat key."""

    def __init__(self, keys: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self.keys, self.low, self.high = keys[order], low[order], high[order]

    def bounds(
        self, keys: np.ndarray, shared_low: np.ndarray, shared_high: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        own = self.keys[at] == keys
        return np.where(own, self.low[at], shared_low), np.where(own, self.high[at], shared_high)

    def update(self, keys: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
        """Set the bounds of `keys` (unique), adding the keys not held yet."""
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        held = self.keys[at] == keys
        self.low[at[held]], self.high[at[held]] = low[held], high[held]
        if not held.all():
            merged = np.concatenate([self.keys, keys[~held]])
            order = np.argsort(merged, kind="stable")
            self.keys = merged[order]
            self.low = np.concatenate([self.low, low[~held]])[order]
            self.high = np.concatenate([self.high, high[~held]])[order]
