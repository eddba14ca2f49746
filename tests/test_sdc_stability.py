"""Stable closed periods: a second build on unchanged data, and a build after one extra
landing day, leave every published figure of a closed quarter unchanged, except where
the quarter's own data changed (a late evaluation, a correction)."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from leerdata_bench.extra_day import write_extra_day

from leerdata.builder.warehouse import build_warehouse
from leerdata.config import DataPaths
from leerdata.ingest import run_ingest

pytestmark = pytest.mark.xdist_group("sdc_stability")

EVALUATION = {
    "mart_course_evaluation": ("course", "course_id"),
    "mart_supplier_evaluation": ("supplier", "supplier_id"),
    "mart_category_evaluation": ("category", "category_code"),
}
TRUE_COLUMNS = (
    "participants, enrolments, completions, no_shows, days_scheduled, days_present, examined, "
    "passed_first_attempt, passed, exam_score_sum, training_hours, responses, "
    "overall_responses, overall_score_sum, recommend_responses, promoters, detractors, spend_eur"
)


def _published(paths: DataPaths) -> dict[tuple, tuple]:
    """Every published quarter row of the protected marts, keyed by table and cell."""
    rows: dict[tuple, tuple] = {}
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        for mart, (_level, column) in EVALUATION.items():
            for row in con.execute(f"select * from {mart} order by all").fetchall():
                names = [d[0] for d in con.description]
                record = dict(zip(names, row, strict=True))
                rows[(mart, record[column], record["quarter"])] = row
        for row in con.execute("select * from mart_participation order by all").fetchall():
            names = [d[0] for d in con.description]
            r = dict(zip(names, row, strict=True))
            key = (r["department_code"], r["breakdown"], r["breakdown_value"], r["quarter"])
            rows[("mart_participation", *key)] = row
    return rows


def _truth(paths: DataPaths) -> dict[tuple, tuple]:
    """The true cells behind them (restricted zone), keyed alike."""
    truth: dict[tuple, tuple] = {}
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        for mart, (level, _column) in EVALUATION.items():
            for entity, quarter, *values in con.execute(
                f"select entity_id, quarter, {TRUE_COLUMNS} from int_evaluation_cells "
                "where evaluation_level = ? and period_type = 'quarter'",
                [level],
            ).fetchall():
                truth[(mart, entity, quarter)] = tuple(values)
        for *key, values in con.execute(
            "select department_code, breakdown, breakdown_value, quarter, "
            "[participants, enrolments, requested_enrolments, completions, training_hours, "
            "spend_eur, waitlisted_enrolments, approved_enrolments, approval_lead_days_sum] "
            "from int_participation_cells where period_type = 'quarter'"
        ).fetchall():
            truth[("mart_participation", *key)] = tuple(values)
    return truth


@pytest.fixture(scope="module")
def rebuilt(tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    copy = tmp_path_factory.mktemp("stability") / "data"
    shutil.copytree(tiny_warehouse.root, copy, ignore=shutil.ignore_patterns("*.lock"))
    paths = DataPaths.of(copy)
    build_warehouse(paths, show_progress=False)
    return paths


def test_a_second_build_on_unchanged_data_changes_nothing(
    tiny_warehouse: DataPaths, rebuilt: DataPaths
) -> None:
    before, after = _published(tiny_warehouse), _published(rebuilt)
    assert before and before == after


def test_an_extra_day_leaves_closed_quarters_unchanged(rebuilt: DataPaths) -> None:
    before, truth_before = _published(rebuilt), _truth(rebuilt)
    extra = write_extra_day(rebuilt)
    run_ingest(rebuilt, show_progress=False)
    build_warehouse(rebuilt, show_progress=False)
    after, truth_after = _published(rebuilt), _truth(rebuilt)
    open_quarter = f"{extra.day.year}-Q{(extra.day.month - 1) // 3 + 1}"
    compared = changed_data = 0
    for key, row in before.items():
        quarter = key[-1]
        if quarter >= open_quarter:
            continue
        if truth_before.get(key) != truth_after.get(key):
            changed_data += 1  # the quarter's own data changed: its figures may change
            continue
        assert after.get(key) == row, key
        compared += 1
    assert compared > 100, (compared, changed_data)
