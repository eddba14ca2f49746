"""min and max of each variable of one LP, solved with one warm HiGHS instance.

The audit asks the same question of every suppressed cell of a component: over the same
constraints, how small and how large can this cell be? Only the objective changes from
one question to the next, so the previous optimal basis stays primal feasible and the
primal simplex restarts from it (a handful of iterations) instead of solving from
scratch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# The public highspy.Highs prints a banner on construction, before `output_flag` can be
# switched off (ERGO-Code/HiGHS#2749), which would cut through the build's progress bar.
# Its base class is the same solver without the Python callback plumbing we do not use.
from highspy import HighsLp, HighsModelStatus, MatrixFormat, kHighsInf
from highspy.highs import _Highs

_PRIMAL_SIMPLEX = 4  # HiGHS kSimplexStrategyPrimal


class LPError(RuntimeError):
    """The constraints are contradictory, or HiGHS failed."""


class WarmBounds:
    """`low_high(j)`: min and max of variable j subject to
    `rows` (coefficients by column, right-hand side, equality or <=) and every variable >= 0.
    """

    def __init__(
        self,
        n_columns: int,
        rows: Sequence[tuple[dict[int, float], float, bool]],
    ) -> None:
        self._n = n_columns
        self._highs = _Highs()
        self._highs.setOptionValue("output_flag", False)
        # After an objective change the last optimal basis is still primal feasible, so
        # the primal simplex goes on from it; HiGHS's default (dual) simplex starts a
        # phase 1 instead: measured 0.38 vs 3.4 ms per question on a 488-cell component.
        self._highs.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
        self._highs.passModel(_lp(n_columns, rows))
        self._costed: int | None = None

    def _optimum(self, column: int, sign: float) -> float:
        """min (sign +1) or -max (sign -1) of the column; ±inf when unbounded."""
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
            return float(self._highs.getInfo().objective_function_value)
        if status == HighsModelStatus.kUnbounded:
            return -math.inf
        if status == HighsModelStatus.kInfeasible:
            raise LPError("the constraints contradict each other")
        raise LPError(f"HiGHS stopped with {self._highs.modelStatusToString(status)}")

    def low_high(self, column: int) -> tuple[float, float]:
        low = self._optimum(column, 1.0)
        high = -self._optimum(column, -1.0)
        return low, high


def _lp(n_columns: int, rows: Sequence[tuple[dict[int, float], float, bool]]) -> HighsLp:
    lp = HighsLp()
    lp.num_col_ = n_columns
    lp.num_row_ = len(rows)
    lp.col_cost_ = np.zeros(n_columns)
    lp.col_lower_ = np.zeros(n_columns)
    lp.col_upper_ = np.full(n_columns, kHighsInf)
    lp.row_lower_ = np.array([rhs if equality else -kHighsInf for _, rhs, equality in rows])
    lp.row_upper_ = np.array([rhs for _, rhs, _ in rows], dtype=float)
    starts, index, value = [0], [], []
    for coefficients, _, _ in rows:
        for column, coefficient in coefficients.items():
            index.append(column)
            value.append(coefficient)
        starts.append(len(index))
    lp.a_matrix_.format_ = MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n_columns
    lp.a_matrix_.num_row_ = len(rows)
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    return lp
