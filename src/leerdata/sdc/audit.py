"""The attacker's view: how narrowly can a suppressed cell be pinned down?

For every suppressed cell we solve min x and max x subject to every relation of the
table (published cells become constants), x >= 0 for every suppressed cell, with
HiGHS (leerdata.sdc.lp: one warm model per component, only the objective changes). A
cell is exposed when max - min is below the protection width. The LP works on the
published values only: the true value of a suppressed cell is never needed, so the audit
runs on a built mart exactly as a reader would.

Only relations that touch a suppressed cell matter, and suppressed cells that share no
relation cannot inform each other, so the LP is solved per connected component: small
problems, fast even on the big marts. A caller that audits repeatedly (complementary
suppression adds a few cells per round) asks only for the cells it has not yet proven
protected: see `feasible_intervals`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from leerdata.sdc.lp import LPError, WarmBounds
from leerdata.sdc.tables import Relation


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


def _components(variables: list[int], rows: list[list[int]]) -> list[list[int]]:
    parent = {v: v for v in variables}

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for row in rows:
        for other in row[1:]:
            a, b = find(row[0]), find(other)
            if a != b:
                parent[a] = b
    groups: dict[int, list[int]] = {}
    for v in variables:
        groups.setdefault(find(v), []).append(v)
    return list(groups.values())


@dataclass
class _Row:
    coefficients: dict[int, float]  # cell -> coefficient (suppressed cells only)
    constant: float  # right-hand side
    equality: bool


def _linear_rows(
    values: Sequence[float | None], suppressed: set[int], relations: Sequence[Relation]
) -> list[_Row]:
    """Every relation as rows `sum(coef * x) (=|<=) constant` over suppressed cells."""

    def row(terms: list[tuple[int, float]], equality: bool) -> _Row | None:
        coefficients: dict[int, float] = {}
        constant = 0.0
        for cell, coef in terms:
            if cell in suppressed:
                coefficients[cell] = coefficients.get(cell, 0.0) + coef
            else:
                constant -= coef * float(values[cell] or 0)
        if not coefficients:
            return None
        return _Row(coefficients, constant, equality)

    rows: list[_Row] = []
    for relation in relations:
        if not any(m in suppressed for m in relation.members):
            continue
        if relation.kind == "sum":
            terms = [(relation.total, 1.0)] + [(p, -1.0) for p in relation.parts]
            built = row(terms, equality=True)
            if built:
                rows.append(built)
        else:
            # part <= total for each part; total <= sum(parts)
            for part in relation.parts:
                built = row([(part, 1.0), (relation.total, -1.0)], equality=False)
                if built:
                    rows.append(built)
            terms = [(relation.total, 1.0)] + [(p, -1.0) for p in relation.parts]
            built = row(terms, equality=False)
            if built:
                rows.append(built)
    return rows


def feasible_intervals(
    values: Sequence[float | None],
    suppressed: set[int] | Sequence[int],
    relations: Sequence[Relation],
    cells: set[int] | None = None,
) -> dict[int, CellInterval]:
    """min/max of every suppressed cell (or only of `cells`) given the published cells;
    values of suppressed cells are ignored."""
    suppressed = set(suppressed)
    wanted = suppressed if cells is None else suppressed & set(cells)
    rows = _linear_rows(values, suppressed, relations)
    intervals: dict[int, CellInterval] = {}
    in_rows = {cell for r in rows for cell in r.coefficients}
    for cell in wanted - in_rows:
        intervals[cell] = CellInterval(cell, 0.0, math.inf)  # nothing bounds it
    components = _components(sorted(in_rows), [list(r.coefficients) for r in rows])
    component_of = {cell: n for n, component in enumerate(components) for cell in component}
    rows_of: list[list[_Row]] = [[] for _ in components]
    for r in rows:
        rows_of[component_of[next(iter(r.coefficients))]].append(r)
    for component, component_rows in zip(components, rows_of, strict=True):
        targets = [cell for cell in component if cell in wanted]
        if targets:
            intervals.update(_solve_component(component, component_rows, targets))
    return intervals


def _solve_component(
    component: list[int], component_rows: list[_Row], targets: list[int]
) -> dict[int, CellInterval]:
    """min and max of each target cell of one connected component (one warm LP)."""
    position = {cell: i for i, cell in enumerate(component)}
    lp = WarmBounds(
        len(component),
        [
            ({position[c]: coef for c, coef in r.coefficients.items()}, r.constant, r.equality)
            for r in component_rows
        ],
    )
    intervals: dict[int, CellInterval] = {}
    for cell in targets:
        try:
            low, high = lp.low_high(position[cell])
        except LPError as exc:
            raise AuditError(f"published cells around cell {cell}: {exc}") from exc
        intervals[cell] = CellInterval(cell, max(low, 0.0), high)
    return intervals


def exposed_cells(
    values: Sequence[float | None],
    suppressed: set[int] | Sequence[int],
    relations: Sequence[Relation],
    protection_width: float,
    cells: set[int] | None = None,
) -> list[CellInterval]:
    """Suppressed cells (or those of `cells`) whose feasible interval is narrower than
    the protection width.

    A small tolerance absorbs solver round-off; an interval of exactly the width passes.
    """
    intervals = feasible_intervals(values, suppressed, relations, cells)
    return sorted(
        (i for i in intervals.values() if i.width < protection_width - 1e-6),
        key=lambda i: i.cell,
    )
