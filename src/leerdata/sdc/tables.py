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
    protection_width: a suppressed cell's feasible interval (what a reader can derive
        from everything published) must be at least this wide; by default as wide as
        min_cell_size, so a suppressed cell can never be narrowed to less than the
        span of one small cell.
    group_threshold: below this many persons a unanimous sensitive outcome (everybody
        failed, everybody passed, everybody was a no-show) is a group disclosure and the
        cell is suppressed; 2 × min_cell_size by default.
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


def relations_touching(relations: Sequence[Relation], n_cells: int) -> list[list[int]]:
    """For every cell, the indices of the relations it is a member of."""
    touching: list[list[int]] = [[] for _ in range(n_cells)]
    for index, relation in enumerate(relations):
        for member in relation.members:
            touching[member].append(index)
    return touching
