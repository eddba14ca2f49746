"""The evaluation and participation marts on tiny data: protection and arithmetic.

Checked with plain SQL on the published file (not through leerdata.sdc), and against
the restricted zone where the truth is needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import duckdb
import pytest

from leerdata.config import DataPaths, load_settings
from leerdata.duckdb_rows import one_row
from leerdata.privacy.udf import register_pseudonym_udf

# All on one worker, so the module fixtures (a connection) are built once per run.
pytestmark = pytest.mark.xdist_group("evaluation_marts")

EVALUATION_MARTS = [
    f"mart_{level}_evaluation{grain}"
    for level in ("course", "supplier", "category")
    for grain in ("", "_yearly")
]
PARTICIPATION_MARTS = ["mart_participation", "mart_participation_yearly"]
KEYS = {
    "course_id",
    "supplier_id",
    "category_code",
    "quarter",
    "year",
    "department_code",
    "breakdown",
    "breakdown_value",
    "suppressed",
}
# rate column -> (numerator, denominator): perturbed counts, capped at 1
RATES = {
    "completion_rate": ("completions", "enrolments"),
    "no_show_rate": ("no_shows", "enrolments"),
    "pass_rate": ("passed", "examined"),
    "first_attempt_pass_rate": ("passed_first_attempt", "examined"),
    "response_rate": ("responses", "enrolments"),
}
# figure -> the true count that must reach min_cell_size before it is published
DENOMINATORS = {
    "completion_rate": "enrolments",
    "no_show_rate": "enrolments",
    "attendance_rate": "enrolments",
    "response_rate": "enrolments",
    "pass_rate": "examined",
    "first_attempt_pass_rate": "examined",
    "mean_exam_score": "examined",
    "mean_overall": "overall_responses",
    "nps": "recommend_responses",
    "cost_per_completion_eur": "completions",
}
COUNTS = (
    "participants",
    "enrolments",
    "completions",
    "no_shows",
    "examined",
    "passed_first_attempt",
    "passed",
    "responses",
    "overall_responses",
    "recommend_responses",
    "promoters",
    "detractors",
)
MAX_NOISE = 2  # the published method (README, Disclosure control)
SMALL_VALUES = 2
MART_LEVEL = {
    f"mart_{level}_evaluation{grain}": (level, column, "quarter" if not grain else "year")
    for level, column in (
        ("course", "course_id"),
        ("supplier", "supplier_id"),
        ("category", "category_code"),
    )
    for grain in ("", "_yearly")
}


@pytest.fixture(scope="module")
def reporting(tiny_warehouse: DataPaths) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(tiny_warehouse.reporting_db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def min_cell_size(tiny_warehouse: DataPaths) -> int:
    return load_settings(tiny_warehouse.root).disclosure.min_cell_size


def measure_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[str]:
    rows = con.execute(
        "select column_name from duckdb_columns() where table_name = ? order by column_index",
        [mart],
    ).fetchall()
    return [name for (name,) in rows if name not in KEYS]


def _published_with_truth(tiny_warehouse: DataPaths, mart: str) -> list[dict]:
    """The published rows of an evaluation mart next to the true counts of their cells."""
    level, column, period_type = MART_LEVEL[mart]
    period = "p.quarter" if period_type == "quarter" else "cast(p.year as varchar)"
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        con.execute(f"attach '{tiny_warehouse.reporting_db}' as reporting (read_only)")
        true_columns = ", ".join(f"t.{c} as true_{c}" for c in COUNTS)
        rows = con.execute(
            f"select p.*, {true_columns} from reporting.{mart} as p "
            f"join int_evaluation_cells as t on t.evaluation_level = ? "
            f"and t.entity_id = p.{column} and t.period_type = ? and t.period = {period}",
            [level, period_type],
        )
        names = [d[0] for d in rows.description]
        return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]


@pytest.mark.parametrize("mart", EVALUATION_MARTS)
def test_counts_are_perturbed_within_the_published_bound(
    tiny_warehouse: DataPaths, mart: str
) -> None:
    rows = _published_with_truth(tiny_warehouse, mart)
    assert rows, f"{mart} is empty: nothing was tested"
    changed = 0
    for row in rows:
        if row["suppressed"]:
            continue
        for count in COUNTS:
            true, published = row[f"true_{count}"], row[count]
            assert abs(published - true) <= MAX_NOISE, (mart, count, row)
            assert (published == 0) == (true == 0), (mart, count, row)
            assert not 1 <= published <= SMALL_VALUES, (mart, count, row)
            changed += published != true
    assert changed > 0, "no count was perturbed: the method is not applied"


@pytest.mark.parametrize("mart", EVALUATION_MARTS)
def test_no_rate_or_mean_rests_on_fewer_than_min_cell_size_contributors(
    tiny_warehouse: DataPaths, min_cell_size: int, mart: str
) -> None:
    rows = _published_with_truth(tiny_warehouse, mart)
    published = 0
    for row in rows:
        for figure, denominator in DENOMINATORS.items():
            if row[figure] is not None:
                assert row[f"true_{denominator}"] >= min_cell_size, (mart, figure, row)
                published += 1
    assert published > 0, "no rate published at all"


def test_same_records_give_the_same_value_in_every_table(
    reporting: duckdb.DuckDBPyConnection,
) -> None:
    """A supplier-quarter with one course holds that course's records: the cell key
    method gives both cells the same noise, so differencing them gains nothing."""
    rows = reporting.execute(
        """
        with single as (
            select supplier_id, quarter, any_value(course_id) as course_id
            from mart_course_evaluation group by all having count(*) = 1
        )
        select c.enrolments, s.enrolments, c.completions, s.completions
        from single
        join mart_course_evaluation as c
          on c.course_id = single.course_id and c.quarter = single.quarter
        join mart_supplier_evaluation as s
          on s.supplier_id = single.supplier_id and s.quarter = single.quarter
        where not c.suppressed and not s.suppressed
        """
    ).fetchall()
    assert rows, "tiny data has no supplier with a single course in a quarter"
    for course_enrolments, supplier_enrolments, course_completions, supplier_completions in rows:
        assert course_enrolments == supplier_enrolments
        assert course_completions == supplier_completions


@pytest.mark.parametrize("mart", EVALUATION_MARTS + PARTICIPATION_MARTS)
def test_suppressed_cells_publish_no_measure(
    reporting: duckdb.DuckDBPyConnection, mart: str
) -> None:
    columns = measure_columns(reporting, mart)
    leaked = " or ".join(f"{c} is not null" for c in columns)
    (count,) = one_row(reporting, f"select count(*) from {mart} where suppressed and ({leaked})")
    assert count == 0
    # The reason is not published: "group_disclosure" would say a small group shares
    # one outcome, "small_cell" that a cell holds fewer than min_cell_size persons.
    assert "suppression_reason" not in columns


@pytest.mark.parametrize("mart", EVALUATION_MARTS)
def test_rates_are_ratios_of_the_published_counts(
    reporting: duckdb.DuckDBPyConnection, mart: str
) -> None:
    for rate, (numerator, denominator) in RATES.items():
        (wrong,) = one_row(
            reporting,
            f"select count(*) from {mart} where {rate} is not null and "
            f"abs({rate} - least(1.0, {numerator} / {denominator})) > 1e-9",
        )
        assert wrong == 0, rate
    (wrong_nps,) = one_row(
        reporting,
        f"select count(*) from {mart} where nps is not null and abs(nps - greatest(-100, "
        f"least(100, round(100.0 * (promoters - detractors) / recommend_responses)))) > 1e-9",
    )
    assert wrong_nps == 0
    (wrong_cost,) = one_row(
        reporting,
        f"select count(*) from {mart} where cost_per_completion_eur is not null and "
        f"abs(cost_per_completion_eur - spend_eur / completions) > 0.005",
    )
    assert wrong_cost == 0


@pytest.mark.parametrize("level", ["course", "supplier", "category"])
def test_a_year_is_the_sum_of_its_quarters_and_its_rate_is_not_an_average(
    tiny_warehouse: DataPaths, level: str
) -> None:
    # Compared on the unsuppressed truth in the restricted zone, where every cell exists.
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        (mismatches,) = one_row(
            con,
            """
            with q as (
                select entity_id, year, sum(participants) as participants,
                       sum(completions) as completions, sum(enrolments) as enrolments
                from int_evaluation_cells
                where evaluation_level = ? and period_type = 'quarter'
                group by all
            )
            select count(*) from q
            join int_evaluation_cells as y
              on y.evaluation_level = ? and y.period_type = 'year'
             and y.entity_id = q.entity_id and y.year = q.year
            where y.participants <> q.participants or y.completions <> q.completions
               or y.enrolments <> q.enrolments
            """,
            [level, level],
        )
    assert mismatches == 0


LEVEL_COLUMN = {"course": "course_id", "supplier": "supplier_id", "category": "category_code"}


def test_participants_are_distinct_admitted_persons_per_quarter(
    tiny_warehouse: DataPaths, reporting: duckdb.DuckDBPyConnection
) -> None:
    """Recount from staging (independent of the intermediate models) at every level."""
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        register_pseudonym_udf(con)
        truth = {
            (level, entity, quarter): persons
            for level, entity, quarter, persons in con.execute(
                """
                with course_of as (
                    select course_id, category_code, supplier_id from stg_catalogue__courses
                    qualify row_number() over (partition by course_id order by valid_from desc) = 1
                ),
                admitted as (
                    select e.person_key, s.course_id, c.category_code, c.supplier_id,
                           strftime(s.start_date, '%Y') || '-Q' || quarter(s.start_date) as quarter
                    from stg_lms__enrolments e
                    join stg_catalogue__sessions s using (session_id)
                    join course_of c using (course_id)
                    where e.enrolment_status in ('enrolled', 'completed', 'no_show')
                      and s.session_status <> 'cancelled_by_supplier'
                )
                select 'course', course_id, quarter, count(distinct person_key)
                from admitted group by all
                union all
                select 'supplier', supplier_id, quarter, count(distinct person_key)
                from admitted group by all
                union all
                select 'category', category_code, quarter, count(distinct person_key)
                from admitted group by all
                """
            ).fetchall()
        }
    # A year counts person-quarters: the sum of its quarters' distinct persons.
    for (level, entity, quarter), persons in list(truth.items()):
        year_key = (level, entity, int(quarter[:4]))
        truth[year_key] = truth.get(year_key, 0) + persons
    compared = 0
    for level in LEVEL_COLUMN:
        marts = (
            (f"mart_{level}_evaluation", "quarter"),
            (f"mart_{level}_evaluation_yearly", "year"),
        )
        for mart, period in marts:
            period_type = "quarter" if period == "quarter" else "year"
            with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
                cells = con.execute(
                    "select entity_id, period, participants from int_evaluation_cells "
                    "where evaluation_level = ? and period_type = ?",
                    [level, period_type],
                ).fetchall()
            for entity, when, participants in cells:
                key = (level, entity, when if period_type == "quarter" else int(when))
                assert participants == truth[key], (mart, entity, when)
                compared += 1
        (cells,) = one_row(reporting, f"select count(*) from mart_{level}_evaluation")
        assert cells == sum(1 for k in truth if k[0] == level and isinstance(k[2], str))
    assert compared > 0, "no published evaluation cell to compare"


def test_participation_breakdowns_add_up_to_the_department_total(
    tiny_warehouse: DataPaths,
) -> None:
    """Before perturbation, the additive breakdowns sum to the total and delivery modes
    cover it (>= total): the relations the disclosure audit and the attacker rely on."""
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        rows = con.execute(
            """
            select p.quarter, p.department_code, p.breakdown, sum(p.participants),
                   true, any_value(t.participants)
            from int_participation_cells p
            join int_participation_cells t
              on t.quarter = p.quarter and t.department_code = p.department_code
             and t.breakdown = 'total' and t.period_type = 'quarter'
            where p.breakdown <> 'total' and p.period_type = 'quarter'
            group by all
            """
        ).fetchall()
    checked = 0
    for _quarter, _dept, breakdown, summed, all_published, total in rows:
        if not all_published:
            continue
        checked += 1
        if breakdown == "delivery_mode":
            assert summed >= total
        else:
            assert summed == total, breakdown
    assert checked > 0


@pytest.mark.parametrize("mart", EVALUATION_MARTS)
def test_mean_completion_days_is_a_whole_day_mean_over_enough_true_contributors(
    tiny_warehouse: DataPaths, min_cell_size: int, mart: str
) -> None:
    """Time from enrolment to completion: the true mean rounded to whole days, published
    only over min_cell_size true contributors and where the published completions are at
    least min_cell_size + 2 (like every gated figure: README, "Disclosure control")."""
    level, column, period_type = MART_LEVEL[mart]
    period = "p.quarter" if period_type == "quarter" else "cast(p.year as varchar)"
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        con.execute(f"attach '{tiny_warehouse.reporting_db}' as reporting (read_only)")
        rows = con.execute(
            "select p.suppressed, p.mean_completion_days, t.completion_lead_days_contributors, "
            f"t.completion_lead_days_sum, p.completions from reporting.{mart} as p "
            "join int_evaluation_cells as t on t.evaluation_level = ? "
            f"and t.entity_id = p.{column} and t.period_type = ? and t.period = {period}",
            [level, period_type],
        ).fetchall()
    published = 0
    for suppressed, mean, contributors, days, completions in rows:
        if suppressed or contributors < min_cell_size or completions < min_cell_size + 2:
            assert mean is None, (mart, suppressed, contributors, completions)
            continue
        # DuckDB rounds half away from zero (Python's round() would go to even)
        assert mean == math.floor(days / contributors + 0.5), (mart, mean, days, contributors)
        published += 1
    assert published > 0, f"{mart}: no mean published, nothing was tested"
    assert any(c < min_cell_size for _, _, c, _, _ in rows), "no cell below the threshold"
