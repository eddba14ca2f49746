"""The evaluation and participation marts on tiny data: protection and arithmetic.

Checked with plain SQL on the published file (not through leerdata.sdc), and against
the restricted zone where the truth is needed.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from leerdata.config import DataPaths, load_settings
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
# rate column -> (numerator, denominator, factor)
RATES = {
    "completion_rate": ("completions", "enrolments", 1.0),
    "no_show_rate": ("no_shows", "enrolments", 1.0),
    "attendance_rate": ("days_present", "days_scheduled", 1.0),
    "pass_rate": ("passed", "examined", 1.0),
    "first_attempt_pass_rate": ("passed_first_attempt", "examined", 1.0),
    "mean_exam_score": ("exam_score_sum", "examined", 1.0),
    "response_rate": ("responses", "enrolments", 1.0),
    "mean_overall": ("overall_score_sum", "overall_responses", 1.0),
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


@pytest.mark.parametrize("mart", EVALUATION_MARTS + PARTICIPATION_MARTS)
def test_every_published_cell_has_at_least_min_cell_size_persons(
    reporting: duckdb.DuckDBPyConnection, min_cell_size: int, mart: str
) -> None:
    (rows,) = reporting.execute(f"select count(*) from {mart}").fetchone()
    assert rows > 0, f"{mart} is empty: nothing was tested"
    (small,) = reporting.execute(
        f"select count(*) from {mart} where not suppressed and participants < ?",
        [min_cell_size],
    ).fetchone()
    assert small == 0


@pytest.mark.parametrize("mart", EVALUATION_MARTS + PARTICIPATION_MARTS)
def test_suppressed_cells_publish_no_measure(
    reporting: duckdb.DuckDBPyConnection, mart: str
) -> None:
    columns = measure_columns(reporting, mart)
    leaked = " or ".join(f"{c} is not null" for c in columns)
    (count,) = reporting.execute(
        f"select count(*) from {mart} where suppressed and ({leaked})"
    ).fetchone()
    assert count == 0
    # The reason is not published: "group_disclosure" would say a small group shares
    # one outcome, "small_cell" that a cell holds fewer than min_cell_size persons.
    assert "suppression_reason" not in columns


def test_tiny_data_exercises_every_kind_of_suppression(
    tiny_warehouse: DataPaths, reporting: duckdb.DuckDBPyConnection
) -> None:
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        reasons = {
            reason
            for table in ("int_evaluation_cells_protected", "int_participation_cells_protected")
            for (reason,) in con.execute(
                f"select distinct suppression_reason from {table} where is_suppressed"
            ).fetchall()
        }
    assert {"small_cell", "complementary"} <= reasons
    (published,) = reporting.execute(
        "select count(*) from mart_participation where not suppressed"
    ).fetchone()
    assert published > 0, "everything suppressed would pass every other test trivially"


@pytest.mark.parametrize("mart", EVALUATION_MARTS)
def test_rates_are_ratios_of_the_published_counts(
    reporting: duckdb.DuckDBPyConnection, mart: str
) -> None:
    for rate, (numerator, denominator, factor) in RATES.items():
        (wrong,) = reporting.execute(
            f"select count(*) from {mart} where not suppressed and "
            f"not (({rate} is null and coalesce({denominator}, 0) = 0) or "
            f"abs({rate} - {factor} * {numerator} / {denominator}) < 1e-9)"
        ).fetchone()
        assert wrong == 0, rate
    (wrong_nps,) = reporting.execute(
        f"select count(*) from {mart} where not suppressed and recommend_responses > 0 and "
        f"abs(nps - 100.0 * (promoters - detractors) / recommend_responses) > 1e-9"
    ).fetchone()
    assert wrong_nps == 0
    (wrong_cost,) = reporting.execute(
        f"select count(*) from {mart} where not suppressed and completions > 0 and "
        f"abs(cost_per_completion_eur - spend_eur / completions) > 0.005"
    ).fetchone()
    assert wrong_cost == 0


@pytest.mark.parametrize("level", ["course", "supplier", "category"])
def test_a_year_is_the_sum_of_its_quarters_and_its_rate_is_not_an_average(
    tiny_warehouse: DataPaths, level: str
) -> None:
    # Compared on the unsuppressed truth in the restricted zone, where every cell exists.
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        (mismatches,) = con.execute(
            """
            with q as (
                select entity_id, year, sum(participants) as participants,
                       sum(completions) as completions, sum(enrolments) as enrolments
                from int_evaluation_cells_protected
                where evaluation_level = ? and period_type = 'quarter'
                group by all
            )
            select count(*) from q
            join int_evaluation_cells_protected as y
              on y.evaluation_level = ? and y.period_type = 'year'
             and y.entity_id = q.entity_id and y.year = q.year
            where y.participants <> q.participants or y.completions <> q.completions
               or y.enrolments <> q.enrolments
            """,
            [level, level],
        ).fetchone()
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
    for level, column in LEVEL_COLUMN.items():
        marts = (
            (f"mart_{level}_evaluation", "quarter"),
            (f"mart_{level}_evaluation_yearly", "year"),
        )
        for mart, period in marts:
            for entity, when, participants in reporting.execute(
                f"select {column}, {period}, participants from {mart} where not suppressed"
            ).fetchall():
                assert participants == truth[(level, entity, when)], (mart, entity, when)
                compared += 1
        (cells,) = reporting.execute(f"select count(*) from mart_{level}_evaluation").fetchone()
        assert cells == sum(1 for k in truth if k[0] == level and isinstance(k[2], str))
    assert compared > 0, "no published evaluation cell to compare"


def test_participation_breakdowns_add_up_to_the_department_total(
    reporting: duckdb.DuckDBPyConnection,
) -> None:
    """Where a department's cells are all published, the additive breakdowns sum to the
    total and delivery modes cover it (>= total)."""
    rows = reporting.execute(
        """
        select p.quarter, p.department_code, p.breakdown, sum(p.participants),
               bool_and(not p.suppressed), any_value(t.participants)
        from mart_participation p
        join mart_participation t
          on t.quarter = p.quarter and t.department_code = p.department_code
         and t.breakdown = 'total' and not t.suppressed
        where p.breakdown <> 'total'
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
