"""min and max of each variable of one LP, solved with one warm HiGHS instance.

The audit asks the same question of every suppressed cell of a component: over the same
constraints, how small and how large can this cell be? Only the objective changes from
one question to the next, so the previous optimal basis stays primal feasible and the
primal simplex restarts from it (a handful of iterations) instead of solving from
scratch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# The public highspy.Highs prints a banner on construction, before `output_flag` can be
# switched off (ERGO-Code/HiGHS#2749), which would cut through the build's progress bar.
# Its base class is the same solver without the Python callback plumbing we do not use.
from highspy import HighsLp, HighsModelStatus, MatrixFormat, kHighsInf
from highspy.highs import _Highs
from scipy.sparse import csr_array

_PRIMAL_SIMPLEX = 4  # HiGHS kSimplexStrategyPrimal


class LPError(RuntimeError):
    """The constraints are contradictory, or HiGHS failed."""


class WarmBounds:
    """`low_high(j)`: min and max of variable j subject to `matrix @ x (= or <=) rhs`
    (row by row as `equality` says) and x >= 0.

    Every optimum the solver reaches is a feasible point; their per-variable minimum
    and maximum are kept, so a variable already seen to move far enough needs no solve
    of its own (`enough`).
    """

    def __init__(self, matrix: csr_array, rhs: np.ndarray, equality: np.ndarray) -> None:
        n_rows, n_columns = matrix.shape
        self._highs = _Highs()
        self._highs.setOptionValue("output_flag", False)
        # After an objective change the last optimal basis is still primal feasible, so
        # the primal simplex goes on from it. Measured on a 488-cell component, all its
        # questions: 3.4k simplex iterations and 0.38 ms per question, against 204k and
        # 3.4 ms with HiGHS's default strategy.
        self._highs.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
        lp = HighsLp()
        lp.num_col_, lp.num_row_ = n_columns, n_rows
        lp.col_cost_ = np.zeros(n_columns)
        lp.col_lower_ = np.zeros(n_columns)
        lp.col_upper_ = np.full(n_columns, kHighsInf)
        lp.row_lower_ = np.where(equality, rhs, -kHighsInf)
        lp.row_upper_ = np.asarray(rhs, dtype=float)
        lp.a_matrix_.format_ = MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_columns, n_rows
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(float)
        self._highs.passModel(lp)
        self._costed: int | None = None
        self._seen_low = np.full(n_columns, np.inf)
        self._seen_high = np.full(n_columns, -np.inf)

    def _optimum(self, column: int, sign: float) -> float:
        """min (sign +1) or -max (sign -1) of the column; -inf when unbounded."""
        if self._costed is not None and self._costed != column:
            self._highs.changeColCost(self._costed, 0.0)
        self._highs.changeColCost(column, sign)
        self._costed = column
        self._highs.run()
        status = self._highs.getModelStatus()
        if status == HighsModelStatus.kUnboundedOrInfeasible:
            # presolve cannot tell which; the simplex can
            self._highs.setOptionValue("presolve", "off")
            self._highs.run()
            status = self._highs.getModelStatus()
        if status == HighsModelStatus.kOptimal:
            point = np.asarray(self._highs.getSolution().col_value)
            np.minimum(self._seen_low, point, out=self._seen_low)
            np.maximum(self._seen_high, point, out=self._seen_high)
            return float(self._highs.getInfo().objective_function_value)
        if status == HighsModelStatus.kUnbounded:
            return -math.inf
        if status == HighsModelStatus.kInfeasible:
            raise LPError("the constraints contradict each other")
        raise LPError(f"HiGHS stopped with {self._highs.modelStatusToString(status)}")

    def low_high(
        self, column: int, enough: Callable[[float], float] | None = None
    ) -> tuple[float, float]:
        """min and max of the column. With `enough` (the width that suffices given the
        column's minimum; largest at 0), possibly only a sub-interval of the feasible
        points already seen that is at least that wide."""
        if enough is not None and self._seen_high[column] - self._seen_low[column] >= enough(0.0):
            return float(self._seen_low[column]), float(self._seen_high[column])
        low = self._optimum(column, 1.0)
        if enough is not None and self._seen_high[column] - low >= enough(low):
            return low, float(self._seen_high[column])
        high = -self._optimum(column, -1.0)
        return low, high
