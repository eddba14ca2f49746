"""A protected table: cells with a person count, and the relations between them.

A relation ties a margin cell to its parts. `sum`: the margin is exactly the sum of its
parts (quarters add up to the year because the counting unit is person × quarter; the
directorates of a department add up to the department because each person-quarter is
attributed to one directorate). `cover`: the parts may overlap (a person can follow an
e-learning and a classroom course in one quarter), so only
max(part) <= margin <= sum(parts) is known. Both are what a reader of the published
table can write down, so both go into the audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

RelationKind = Literal["sum", "cover"]
RECOMPUTE_WIDTH = 1.0  # an interval narrower than one person gives the count away
# LP optima carry round-off (19.9999999 for 20): every comparison of a solved bound
# allows this much, so the suppression engine and the audit of the built file, which
# reach the same bound from different simplex bases, always judge a cell alike.
SOLVER_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Relation:
    total: int  # cell index of the margin
    parts: tuple[int, ...]  # cell indices of its parts
    kind: RelationKind = "sum"

    @property
    def members(self) -> tuple[int, ...]:
        return (self.total, *self.parts)


@dataclass(frozen=True)
class ProtectionRule:
    """What "protected" means for one table.

    min_cell_size: primary suppression below this many distinct persons.
    protection_width: a suppressed cell that may be sensitive must keep a feasible
        interval (what a reader can derive from everything published) at least this
        wide; by default as wide as min_cell_size, so such a cell can never be narrowed
        to less than the span of one small cell.
    group_threshold: below this many persons a unanimous sensitive outcome (everybody
        failed, everybody passed, everybody was a no-show) is a group disclosure and the
        cell is suppressed; 2 × min_cell_size by default.

    "May be sensitive" is judged from the reader's side, so the suppression engine and
    the audit of a built mart (which cannot tell primary from complementary cells)
    apply the same test: a suppressed cell whose feasible interval reaches below the
    group threshold could be a small cell or a group disclosure and needs the full
    protection width. A cell that provably has at least group_threshold persons is
    large whatever its exact value (a complement), so it must only not be recomputable:
    counts are whole persons, so its interval must be at least one person wide.
    """

    min_cell_size: int = 10
    protection_width: float | None = None
    group_threshold: int | None = None

    @property
    def width(self) -> float:
        return float(self.protection_width or self.min_cell_size)

    @property
    def group_size(self) -> int:
        return self.group_threshold if self.group_threshold is not None else 2 * self.min_cell_size

    def required_width(self, low: float) -> float:
        """How wide the feasible interval of a suppressed cell whose least feasible value
        is `low` must be (never more than required_width(0))."""
        return self.width if low < self.group_size - SOLVER_TOLERANCE else RECOMPUTE_WIDTH


def relations_touching(relations: Sequence[Relation], n_cells: int) -> list[list[int]]:
    """For every cell, the indices of the relations it is a member of."""
    touching: list[list[int]] = [[] for _ in range(n_cells)]
    for index, relation in enumerate(relations):
        for member in relation.members:
            touching[member].append(index)
    return touching
