"""The build's audit on hand-made cells: a count a reader could pin is withheld, in the
open year where there is one, so a closed quarter keeps its figures."""

from __future__ import annotations

import polars as pl
import pytest

from leerdata.sdc import withhold
from leerdata.sdc.reader_model import EVALUATION_COUNTS, PARTICIPATION_COUNTS
from leerdata.sdc.withhold import withhold_pinned, withhold_pinned_together


def _evaluation(cells: list[tuple[str, str, int, int]]) -> pl.DataFrame:
    """(period_type, period, year, published enrolments) of one course; other counts 20."""
    rows = []
    for period_type, period, year, enrolments in cells:
        row = {
            "evaluation_level": "course",
            "entity_id": "C1",
            "category_code": "CAT",
            "supplier_id": "S1",
            "period_type": period_type,
            "period": period,
            "year": year,
        }
        for count in EVALUATION_COUNTS:
            row[f"perturbed_{count}"] = 20
        row["perturbed_enrolments"] = enrolments
        row["perturbed_participants"] = min(20, enrolments)
        for count in (
            "completions",
            "no_shows",
            "examined",
            "passed",
            "passed_first_attempt",
            "promoters",
            "detractors",
        ):
            row[f"perturbed_{count}"] = 0
        rows.append(row)
    return pl.DataFrame(rows)


def _participation() -> pl.DataFrame:
    row = {
        "department_code": "VWS",
        "breakdown": "total",
        "breakdown_value": "total",
        "period_type": "quarter",
        "period": "2020-Q1",
        "year": 2020,
    }
    for count in PARTICIPATION_COUNTS:
        row[f"perturbed_{count}"] = 50
    return pl.DataFrame([row])


def test_a_pinned_closed_quarter_is_withheld_itself() -> None:
    # quarter published 7 (true 5..9), its year (one quarter) 11 (true 9..13): pinned at 9
    evaluation = _evaluation([("quarter", "2023-Q2", 2023, 7), ("year", "2023", 2023, 11)])
    result = withhold_pinned(evaluation, _participation(), 10, open_from="2026-Q4")
    assert list(result.evaluation) == ["recomputable", None]


def test_a_pinned_closed_quarter_of_an_open_year_withholds_the_year() -> None:
    evaluation = _evaluation([("quarter", "2026-Q2", 2026, 7), ("year", "2026", 2026, 11)])
    result = withhold_pinned(evaluation, _participation(), 10, open_from="2026-Q4")
    assert list(result.evaluation) == [None, "recomputable"]


def test_nothing_is_withheld_where_nothing_is_pinned() -> None:
    evaluation = _evaluation([("quarter", "2023-Q2", 2023, 7), ("year", "2023", 2023, 8)])
    result = withhold_pinned(evaluation, _participation(), 10, open_from="2026-Q4")
    assert list(result.evaluation) == [None, None]


def _course_margins() -> pl.DataFrame:
    """2023-Q2 (closed, no year cells): course C1 (supplier S1, category CAT) published 9;
    CAT = C1 + C3 published 30 and 25, S1 = C1 + C2 published 30 and 17. With noise of at
    most 2, CAT pins C1 to 1..9 and S1 to 9..17: C1 is 9 without its own cell, and there
    is no year to withhold."""
    cells = [
        ("course", "C1", "CAT", "S1", 9),
        ("course", "C2", "CAT2", "S1", 17),
        ("course", "C3", "CAT", "S2", 25),
        ("category", "CAT", "CAT", None, 30),
        ("supplier", "S1", None, "S1", 30),
    ]
    rows = []
    for level, entity, category, supplier, enrolments in cells:
        row: dict[str, object] = {
            "evaluation_level": level,
            "entity_id": entity,
            "category_code": category,
            "supplier_id": supplier,
            "period_type": "quarter",
            "period": "2023-Q2",
            "year": 2023,
        }
        for count in EVALUATION_COUNTS:
            row[f"perturbed_{count}"] = 0
        row["perturbed_enrolments"] = enrolments
        row["perturbed_participants"] = enrolments
        rows.append(row)
    return pl.DataFrame(rows)


def test_a_cell_pinned_through_two_margins_withholds_a_partner_in_them() -> None:
    """Withholding the pinned cell leaves it pinned by the margins, and it has no year:
    the audit withholds a cell it shares a relation with (the smallest, C2), not
    nothing, and nothing small stays recomputable."""
    result = withhold_pinned(_course_margins(), _participation(), 10, open_from="2026-Q4")
    assert list(result.evaluation) == ["recomputable", "recomputable", None, None, None]


def _department_2026(published: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """VWS totals of 2026 per period: (published enrolments, published completions); every
    participant enrols once, 20 more are requested and approved per quarter."""
    rows = []
    for period, (enrolments, completions) in published.items():
        quarters = 4 if period == "2026" else 1
        row: dict[str, object] = {
            "department_code": "VWS",
            "breakdown": "total",
            "breakdown_value": "total",
            "period_type": "year" if period == "2026" else "quarter",
            "period": period,
            "year": 2026,
            "perturbed_participants": enrolments,
            "perturbed_enrolments": enrolments,
            "perturbed_requested_enrolments": enrolments + 20 * quarters,
            "perturbed_completions": completions,
            "perturbed_waitlisted_enrolments": 0,
            "perturbed_approved_enrolments": enrolments + 20 * quarters,
        }
        rows.append(row)
    return pl.DataFrame(rows)


# published (enrolments, completions) of the recorded leak's shape: see the test below
SLACK_CASE = {
    "2026-Q1": (4, 4),
    "2026-Q2": (4, 4),
    "2026-Q3": (3, 3),
    "2026-Q4": (3, 0),
    "2026": (10, 13),
}


def test_an_open_quarter_pinned_by_the_difference_of_two_year_sums_withholds_the_year() -> None:
    """The recorded leak's shape (README, "Disclosure control"). True enrolments and
    completions: 4/4, 4/4, 3/3 in the closed quarters, 1/0 in the open 2026-Q4; the year
    12/11, published 10 and 13. Each count on its own stays uncertain (2026-Q4's
    enrolments 3 means 1..5), but year enrolments - completions is at most 12 - 11 = 1,
    the closed quarters' differences are at least 0 and 2026-Q4 has no completions: its
    enrolments are at most 1. The open year is withheld."""
    participation = _department_2026(SLACK_CASE)
    evaluation = _evaluation([("quarter", "2023-Q2", 2023, 30), ("year", "2023", 2023, 30)])
    result = withhold_pinned(evaluation, participation, 10, open_from="2026-Q4")
    assert list(result.participation) == [None, None, None, None, "recomputable"]


def _three_years() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A closed year (2023), the running year (2026) and an all-open year (2027), each
    with a course quarter published 7 and its year 11; the departments of the slack case."""
    evaluation = _evaluation(
        [
            ("quarter", "2023-Q2", 2023, 7),
            ("year", "2023", 2023, 11),
            ("quarter", "2026-Q2", 2026, 7),
            ("year", "2026", 2026, 11),
            ("quarter", "2027-Q1", 2027, 7),
            ("year", "2027", 2027, 11),
        ]
    )
    return evaluation, _department_2026(SLACK_CASE)


def test_auditing_year_by_year_withholds_what_auditing_all_years_together_does() -> None:
    """A closed year (2023: the quarter goes), the running year (2026: the year cell
    goes, for a course and for the department of the slack case), and a year that is
    open throughout (2027: only the open phase runs; the year cell goes)."""
    evaluation, participation = _three_years()
    by_year = withhold_pinned(evaluation, participation, 10, open_from="2026-Q4")
    together = withhold_pinned_together(evaluation, participation, 10, open_from="2026-Q4")
    assert list(by_year.evaluation) == list(together.evaluation)
    assert list(by_year.participation) == list(together.participation)
    withheld = "recomputable"
    assert list(by_year.evaluation) == [withheld, None, None, withheld, None, withheld]
    assert list(by_year.participation) == [None, None, None, None, withheld]


def test_years_audited_side_by_side_withhold_what_one_thread_does() -> None:
    evaluation, participation = _three_years()
    alone = withhold_pinned(evaluation, participation, 10, open_from="2026-Q4", threads=1)
    side_by_side = withhold_pinned(evaluation, participation, 10, open_from="2026-Q4", threads=3)
    assert list(side_by_side.evaluation) == list(alone.evaluation)
    assert list(side_by_side.participation) == list(alone.participation)
    assert side_by_side.rounds == alone.rounds
    assert any(alone.evaluation) and any(alone.participation)


def test_an_audit_failing_in_one_year_fails_the_whole_audit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A year that does not settle must stop the build, also from a worker thread."""
    evaluation, participation = _three_years()
    real = withhold.withhold_pinned_together

    def failing_in_2026(
        evaluation: pl.DataFrame, participation: pl.DataFrame, min_cell_size: int, open_from: str
    ) -> withhold.WithholdResult:
        if 2026 in set(evaluation["year"]) | set(participation["year"]):
            raise RuntimeError("disclosure audit did not settle in 50 rounds")
        return real(evaluation, participation, min_cell_size, open_from)

    monkeypatch.setattr(withhold, "withhold_pinned_together", failing_in_2026)
    with pytest.raises(RuntimeError, match="did not settle"):
        withhold_pinned(evaluation, participation, 10, open_from="2026-Q4", threads=3)


def test_audit_threads_stay_within_the_cores_and_the_years() -> None:
    assert withhold.audit_threads(0) == 1
    assert withhold.audit_threads(1) == 1
    assert 1 <= withhold.audit_threads(12) <= 12
