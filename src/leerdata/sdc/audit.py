"""The attacker's view: how narrowly can a suppressed cell be pinned down?

For every suppressed cell we solve min x and max x subject to every relation of the
table (published cells become constants), x >= 0 for every suppressed cell, with
HiGHS (leerdata.sdc.lp: one warm model per component, only the objective changes). A
cell is exposed when max - min is below what ProtectionRule.required_width asks. The LP works on the
published values only: the true value of a suppressed cell is never needed, so the audit
runs on a built mart exactly as a reader would.

Only relations that touch a suppressed cell matter, and suppressed cells that share no
relation cannot inform each other, so the LP is solved per connected component. The
relations are one sparse matrix built once per table (`TableAudit`); a round of
complementary suppression only re-slices it, so a round costs milliseconds plus the LPs
of the cells it asks about.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import bmat, csc_array, csr_array
from scipy.sparse.csgraph import connected_components

from leerdata.sdc.lp import LPError, WarmBounds
from leerdata.sdc.tables import SOLVER_TOLERANCE, ProtectionRule, Relation


class AuditError(RuntimeError):
    """The published relations contradict each other (the LP is infeasible)."""


@dataclass(frozen=True)
class CellInterval:
    cell: int
    low: float
    high: float  # math.inf when nothing published bounds the cell from above

    @property
    def width(self) -> float:
        return self.high - self.low


def _relation_rows(relations: Sequence[Relation], n_cells: int) -> tuple[csc_array, np.ndarray]:
    """Every relation as homogeneous rows `A @ cells (= or <=) 0`, and which are equalities.

    sum: total - parts = 0. cover: part - total <= 0 for each part, total - parts <= 0.
    """
    row_of, col_of, coef_of, equality = [], [], [], []

    def add(terms: list[tuple[int, float]], is_equality: bool) -> None:
        row = len(equality)
        for cell, coef in terms:
            row_of.append(row)
            col_of.append(cell)
            coef_of.append(coef)
        equality.append(is_equality)

    for relation in relations:
        total_minus_parts = [(relation.total, 1.0)] + [(p, -1.0) for p in relation.parts]
        add(total_minus_parts, relation.kind == "sum")
        if relation.kind == "cover":
            for part in relation.parts:
                add([(part, 1.0), (relation.total, -1.0)], False)
    matrix = csr_array(
        (np.array(coef_of), (np.array(row_of), np.array(col_of))),
        shape=(len(equality), n_cells),
    )
    matrix.sum_duplicates()  # a cell twice in one relation counts twice
    return csc_array(matrix), np.array(equality, dtype=bool)


class TableAudit:
    """The audit of one table (cells and relations fixed) under changing suppression."""

    def __init__(self, values: Sequence[float | None], relations: Sequence[Relation]) -> None:
        self.n_cells = len(values)
        self.values = np.array([float(v or 0) for v in values])
        self.matrix, self.equality = _relation_rows(relations, self.n_cells)

    def intervals(
        self,
        suppressed: set[int] | Sequence[int],
        cells: set[int] | None = None,
        enough: Callable[[float], float] | None = None,
    ) -> dict[int, CellInterval]:
        """min/max of every suppressed cell (or only of `cells`) given the published cells.

        With `enough` (the width that suffices for a cell whose least feasible value is
        the argument), a cell is solved only as far as needed to show it is that wide:
        its interval may then be reported as the spread of feasible points seen, a
        sub-interval at least that wide.
        """
        hidden = np.zeros(self.n_cells, dtype=bool)
        hidden[list(suppressed)] = True
        wanted = hidden.copy()
        if cells is not None:
            wanted[:] = False
            wanted[[c for c in cells if hidden[c]]] = True

        variables = np.flatnonzero(hidden)
        a_hidden = csr_array(self.matrix[:, variables])
        rhs = -(self.matrix[:, ~hidden] @ self.values[~hidden])
        active = np.flatnonzero(np.diff(a_hidden.indptr) > 0)  # rows with a variable
        a_active = a_hidden[active]
        labels = _component_labels(a_active)
        row_labels, column_labels = labels[: active.size], labels[active.size :]

        intervals: dict[int, CellInterval] = {}
        in_rows = np.diff(csc_array(a_active).indptr) > 0
        for position in np.flatnonzero(wanted[variables] & ~in_rows):
            cell = int(variables[position])
            intervals[cell] = CellInterval(cell, 0.0, math.inf)  # nothing bounds it
        targets_by_label: dict[int, list[int]] = {}
        for position in np.flatnonzero(wanted[variables] & in_rows):
            targets_by_label.setdefault(int(column_labels[position]), []).append(position)
        for label, targets in targets_by_label.items():
            columns = np.flatnonzero(column_labels == label)
            rows = np.flatnonzero(row_labels == label)
            block = csr_array(a_active[rows][:, columns])
            lp = WarmBounds(block, rhs[active[rows]], self.equality[active[rows]])
            index_in_block = {int(c): i for i, c in enumerate(columns)}
            for position in targets:
                cell = int(variables[position])
                try:
                    low, high = lp.low_high(index_in_block[position], enough)
                except LPError as exc:
                    raise AuditError(f"published cells around cell {cell}: {exc}") from exc
                intervals[cell] = CellInterval(cell, max(low, 0.0), high)
        return intervals

    def exposed(
        self,
        suppressed: set[int] | Sequence[int],
        rule: ProtectionRule,
        cells: set[int] | None = None,
    ) -> list[CellInterval]:
        """Suppressed cells (or those of `cells`) whose feasible interval is narrower
        than the rule requires (ProtectionRule.required_width); a small tolerance absorbs
        solver round-off, and an interval of exactly the width passes."""
        intervals = self.intervals(
            suppressed, cells, enough=lambda low: rule.required_width(low) + SOLVER_TOLERANCE
        )
        narrow = [
            i for i in intervals.values() if i.width < rule.required_width(i.low) - SOLVER_TOLERANCE
        ]
        return sorted(narrow, key=lambda i: i.cell)


def _component_labels(a_active: csr_array) -> np.ndarray:
    """Connected components of the bipartite graph rows × variables: rows first."""
    n_rows, n_columns = a_active.shape
    if n_rows == 0:
        return np.zeros(n_columns, dtype=np.int64)
    links = csr_array((np.ones(a_active.nnz), a_active.indices, a_active.indptr), a_active.shape)
    graph = bmat([[None, links], [links.T, None]], format="csr")
    return connected_components(graph, directed=False)[1]


def feasible_intervals(
    values: Sequence[float | None],
    suppressed: set[int] | Sequence[int],
    relations: Sequence[Relation],
    cells: set[int] | None = None,
) -> dict[int, CellInterval]:
    """min/max of every suppressed cell (or only of `cells`) given the published cells;
    values of suppressed cells are ignored."""
    return TableAudit(values, relations).intervals(suppressed, cells)


def exposed_cells(
    values: Sequence[float | None],
    suppressed: set[int] | Sequence[int],
    relations: Sequence[Relation],
    rule: ProtectionRule,
    cells: set[int] | None = None,
) -> list[CellInterval]:
    """Suppressed cells (or those of `cells`) whose feasible interval is narrower than
    the rule requires (see TableAudit.exposed)."""
    return TableAudit(values, relations).exposed(suppressed, rule, cells)
