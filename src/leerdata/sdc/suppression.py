"""Primary and secondary (complementary) cell suppression.

Primary: a cell describing fewer than min_cell_size distinct persons, and a cell with a
group disclosure (see `group_disclosure`). Secondary: starting from the primary pattern,
(1) every additive relation with exactly one suppressed member gets a second one (the
cheap, classic "no lonely suppression" pass), then (2) the LP audit runs and every cell
it still finds exposed makes us suppress one more cell in a relation around it. We
repeat until the audit passes, so the pattern we publish is the one the audit accepts
by construction; it always terminates because every round suppresses at least one more
cell and a fully suppressed table cannot be exposed.

A round audits only the cells not yet proven protected. That is exact, not a shortcut:
suppressing one more cell turns a published constant into a variable, and every old
solution stays feasible with that variable at its true value, so each suppressed cell's
feasible interval can only widen from round to round. A cell once wide enough stays so.

The complement chosen is the smallest published part of a relation around the exposed
cell (least information lost); a margin is only chosen when no part is left, since a
suppressed margin exposes the next level up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from leerdata.sdc.audit import TableAudit
from leerdata.sdc.tables import ProtectionRule, Relation, relations_touching

PRIMARY_SMALL = "small_cell"
PRIMARY_GROUP = "group_disclosure"
SECONDARY = "complementary"


@dataclass(frozen=True)
class BinaryOutcome:
    """A yes/no outcome counted per cell, and which unanimous values disclose.

    `disclose_none`: "nobody had it" is sensitive (nobody passed); `disclose_all`:
    "everybody had it" is sensitive (everybody failed = nobody passed, everybody was a
    no-show).
    """

    numerator: str
    denominator: str
    disclose_none: bool = True
    disclose_all: bool = True


@dataclass
class SuppressionResult:
    reasons: dict[int, str] = field(default_factory=dict)  # cell -> reason
    rounds: int = 0

    @property
    def suppressed(self) -> set[int]:
        return set(self.reasons)


def small_cells(persons: Sequence[int | None], rule: ProtectionRule) -> set[int]:
    """Cells with fewer than min_cell_size persons (a cell with 0 persons describes nobody
    but is suppressed too: publishing 0 next to small neighbours narrows them)."""
    return {i for i, n in enumerate(persons) if (n or 0) < rule.min_cell_size}


def group_disclosure(
    persons: Sequence[int | None],
    outcomes: Sequence[tuple[BinaryOutcome, Sequence[int | None], Sequence[int | None]]],
    rule: ProtectionRule,
) -> set[int]:
    """Cells under the group threshold where a sensitive outcome is unanimous.

    Our rule: in a cell with fewer than `rule.group_size` persons (2 × min_cell_size by
    default), if every counted person shares a sensitive outcome (all passed or all
    failed an exam, all were no-shows, nobody completed), the cell is suppressed whole,
    because publishing "100%" tells the reader the outcome of each person they know was
    there. Larger groups publish the rate: a unanimous outcome among 20+ persons is a
    property of the course, not of a person one can single out.
    """
    flagged: set[int] = set()
    for outcome, numerators, denominators in outcomes:
        for i, (num, den) in enumerate(zip(numerators, denominators, strict=True)):
            if not den or (persons[i] or 0) >= rule.group_size:
                continue
            if (outcome.disclose_none and num == 0) or (outcome.disclose_all and num == den):
                flagged.add(i)
    return flagged


def _complement_for(
    cell: int,
    persons: Sequence[int | None],
    suppressed: set[int],
    around: Iterable[Relation],
) -> int | None:
    """The cheapest published cell of the relations `around` whose suppression frees `cell`."""
    candidates: list[tuple[int, int, int]] = []  # (is_margin, persons, cell)
    for relation in around:
        for member in relation.members:
            if member in suppressed or member == cell:
                continue
            is_margin = int(member == relation.total)
            candidates.append((is_margin, persons[member] or 0, member))
    return min(candidates)[2] if candidates else None


def _lonely_pass(
    persons: Sequence[int | None], reasons: dict[int, str], relations: Sequence[Relation]
) -> None:
    """Until no additive relation holds exactly one suppressed cell (it would be its
    margin minus the rest)."""
    changed = True
    while changed:
        changed = False
        for relation in relations:
            if relation.kind != "sum":
                continue
            hidden = [m for m in relation.members if m in reasons]
            if len(hidden) != 1:
                continue
            complement = _complement_for(hidden[0], persons, set(reasons), [relation])
            if complement is not None:
                reasons[complement] = SECONDARY
                changed = True


def _nearest_complement(
    cell: int,
    persons: Sequence[int | None],
    suppressed: set[int],
    relations: Sequence[Relation],
    touching: list[list[int]],
) -> int | None:
    """The cheapest published cell in the relations nearest to `cell`.

    First the relations around the cell; when those are fully suppressed, the cell is
    pinned down through a chain of suppressed cells (a course that is its supplier's
    only course, a quarter that is its year's only quarter), so we walk outwards through
    suppressed cells, relation by relation, to the first ring that still has a
    published cell.
    """
    seen_cells = {cell}
    seen_relations: set[int] = set()
    ring = list(touching[cell])
    while ring:
        fresh = [i for i in ring if i not in seen_relations]
        seen_relations.update(fresh)
        complement = _complement_for(cell, persons, suppressed, [relations[i] for i in fresh])
        if complement is not None:
            return complement
        ring = []
        for index in fresh:
            for member in relations[index].members:
                if member not in seen_cells:
                    seen_cells.add(member)
                    ring.extend(touching[member])
    return None


def suppress(
    persons: Sequence[int | None],
    relations: Sequence[Relation],
    rule: ProtectionRule,
    primary_group: set[int] | None = None,
    max_rounds: int = 10_000,
) -> SuppressionResult:
    """The suppression pattern of a table whose cells count `persons`."""
    reasons: dict[int, str] = {i: PRIMARY_SMALL for i in small_cells(persons, rule)}
    for cell in primary_group or set():
        reasons.setdefault(cell, PRIMARY_GROUP)
    touching = relations_touching(relations, len(persons))
    result = SuppressionResult(reasons=reasons)
    audit = TableAudit(persons, relations)
    protected: set[int] = set()  # proven wide enough; stays so (see the module doc)
    for result.rounds in range(1, max_rounds + 1):
        _lonely_pass(persons, reasons, relations)
        unproven = set(reasons) - protected
        exposed = audit.exposed(set(reasons), rule, unproven)
        if not exposed:
            return result
        protected |= unproven - {interval.cell for interval in exposed}
        # One complement per exposed cell whose relations got none yet this round: the
        # next audit may find its neighbours already freed (avoids over-suppression).
        widened: set[int] = set()
        for interval in exposed:
            if widened.intersection(touching[interval.cell]):
                continue
            complement = _nearest_complement(
                interval.cell, persons, set(reasons), relations, touching
            )
            if complement is None:
                continue
            reasons[complement] = SECONDARY
            widened.update(touching[complement])
        if not widened:
            # Every relation reachable from an exposed cell is fully suppressed and still
            # tight: only an inconsistent table can do that.
            raise RuntimeError(f"cannot protect cell {exposed[0].cell}: nothing left to suppress")
    raise RuntimeError("suppression did not converge")
