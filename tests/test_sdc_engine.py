"""The suppression engine and the LP audit on hand-made tables whose answers are known."""

from __future__ import annotations

import math

import pytest

from leerdata.sdc.audit import exposed_cells, feasible_intervals
from leerdata.sdc.suppression import (
    PRIMARY_GROUP,
    PRIMARY_SMALL,
    SECONDARY,
    BinaryOutcome,
    group_disclosure,
    suppress,
)
from leerdata.sdc.tables import ProtectionRule, Relation

RULE = ProtectionRule(min_cell_size=10)


def one_row(parts: list[int]) -> tuple[list[int], list[Relation]]:
    """cells 0..n-1 are the parts, cell n their published total."""
    persons = [*parts, sum(parts)]
    return persons, [Relation(total=len(parts), parts=tuple(range(len(parts))))]


def grid(rows: list[list[int]]) -> tuple[list[int], list[Relation], dict[tuple, int]]:
    """A two-way table with row totals, column totals and a grand total."""
    index: dict[tuple, int] = {}
    persons: list[int] = []

    def cell(key: tuple, value: int) -> int:
        index[key] = len(persons)
        persons.append(value)
        return index[key]

    n_rows, n_cols = len(rows), len(rows[0])
    for r in range(n_rows):
        for c in range(n_cols):
            cell((r, c), rows[r][c])
    for r in range(n_rows):
        cell((r, "T"), sum(rows[r]))
    for c in range(n_cols):
        cell(("T", c), sum(row[c] for row in rows))
    cell(("T", "T"), sum(map(sum, rows)))
    relations = [
        Relation(index[(r, "T")], tuple(index[(r, c)] for c in range(n_cols)))
        for r in range(n_rows)
    ]
    relations += [
        Relation(index[("T", c)], tuple(index[(r, c)] for r in range(n_rows)))
        for c in range(n_cols)
    ]
    relations.append(Relation(index[("T", "T")], tuple(index[(r, "T")] for r in range(n_rows))))
    relations.append(Relation(index[("T", "T")], tuple(index[("T", c)] for c in range(n_cols))))
    return persons, relations, index


def test_cell_of_three_persons_is_suppressed() -> None:
    persons, relations = one_row([3, 40, 55])
    result = suppress(persons, relations, RULE)
    assert result.reasons[0] == PRIMARY_SMALL
    assert 1 not in result.reasons or result.reasons[1] == SECONDARY


def test_single_suppression_next_to_a_published_total_forces_a_complement() -> None:
    persons, relations = one_row([3, 40, 55, 12])
    result = suppress(persons, relations, RULE)
    secondaries = [c for c, why in result.reasons.items() if why == SECONDARY]
    assert secondaries, "a lonely suppressed cell beside its total is recomputable"
    assert 4 not in result.suppressed, "the total should stay: a part can hide the cell"
    assert secondaries == [3], "the cheapest complement is the smallest published part"
    assert exposed_cells(persons, result.suppressed, relations, RULE) == []


def test_audit_pins_down_a_cell_protected_by_primary_suppression_only() -> None:
    persons, relations = one_row([3, 40, 55, 12])
    exposed = exposed_cells(persons, {0}, relations, RULE)
    assert [e.cell for e in exposed] == [0]
    assert exposed[0].low == pytest.approx(3) and exposed[0].high == pytest.approx(3)


def test_audit_narrowing_two_small_cells_to_an_interval_under_the_protection_width() -> None:
    # 3 and 4 hidden beside a published total: each lies in [0, 7], narrower than 10.
    persons, relations = one_row([3, 4, 80, 90])
    exposed = exposed_cells(persons, {0, 1}, relations, RULE)
    assert sorted(e.cell for e in exposed) == [0, 1]
    assert exposed[0].high == pytest.approx(7)
    result = suppress(persons, relations, RULE)
    assert len(result.suppressed) == 3, "a third cell must widen the interval"
    assert exposed_cells(persons, result.suppressed, relations, RULE) == []


def test_feasible_interval_of_a_suppressed_rectangle_matches_the_hand_computation() -> None:
    # Rows: [3, 20, 30], [25, 4, 40]; suppress (0,0), (0,1), (1,0), (1,1).
    persons, relations, at = grid([[3, 20, 30], [25, 4, 40]])
    hidden = {at[(0, 0)], at[(0, 1)], at[(1, 0)], at[(1, 1)]}
    intervals = feasible_intervals(persons, hidden, relations)
    # x00 + x01 = 23, x00 + x10 = 28, x10 + x11 = 29, x01 + x11 = 24 -> x00 in [0, 23]
    assert intervals[at[(0, 0)]].low == pytest.approx(0)
    assert intervals[at[(0, 0)]].high == pytest.approx(23)
    assert intervals[at[(1, 1)]].low == pytest.approx(1)  # x11 = 29 - x10, x10 <= 28
    assert intervals[at[(1, 1)]].high == pytest.approx(24)


def test_two_way_table_with_margins_is_protected_by_the_engine() -> None:
    persons, relations, at = grid([[3, 20, 30, 14], [25, 40, 40, 18], [11, 12, 60, 2]])
    result = suppress(persons, relations, RULE)
    assert {at[(0, 0)], at[(2, 3)]} <= result.suppressed
    intervals = feasible_intervals(persons, result.suppressed, relations)
    for cell in result.suppressed:
        assert intervals[cell].width >= RULE.width, (cell, intervals[cell])
        assert intervals[cell].low <= persons[cell] <= intervals[cell].high


def test_cover_relation_bounds_a_hidden_part_from_below() -> None:
    # Persons per delivery mode overlap; total 50 <= 3 + 20 + x, x <= 50.
    persons = [3, 20, 30, 50]
    relations = [Relation(3, (0, 1, 2), kind="cover")]
    interval = feasible_intervals(persons, {2}, relations)[2]
    assert interval.low == pytest.approx(27)
    assert interval.high == pytest.approx(50)


def test_unbounded_cell_is_not_exposed() -> None:
    persons = [3, 9, 12]  # a quarter and its year, both hidden, nothing else published
    relations = [Relation(2, (0, 1))]
    intervals = feasible_intervals(persons, {0, 1, 2}, relations)
    assert all(math.isinf(i.high) for i in intervals.values())


def test_group_disclosure_suppresses_unanimous_outcomes_in_small_groups() -> None:
    persons = [12, 12, 25, 15, 15]
    passed = [12, 6, 25, 0, 15]
    examined = [12, 12, 25, 15, 15]
    no_shows = [0, 1, 0, 2, 15]
    enrolled = [12, 12, 25, 15, 15]
    outcomes = [
        (BinaryOutcome("passed", "examined"), passed, examined),
        (BinaryOutcome("no_shows", "enrolments", disclose_none=False), no_shows, enrolled),
    ]
    flagged = group_disclosure(persons, outcomes, RULE)
    # 0: everybody passed (12 < 20); 2: everybody passed but 25 persons is a large group;
    # 3: nobody passed; 4: everybody passed and everybody was a no-show.
    assert flagged == {0, 3, 4}
    persons_row, relations = one_row([12, 40, 55])
    result = suppress(persons_row, relations, RULE, primary_group={0})
    assert result.reasons[0] == PRIMARY_GROUP
    assert exposed_cells(persons_row, result.suppressed, relations, RULE) == []
