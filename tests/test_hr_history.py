"""HR history on generated data, checked against an independent reading of the contract.

The oracle below works on the raw HR rows in Python: "the state on date X is the latest
snapshot dated on or before X in which the person appears; before the first snapshot,
the first one" (docs/contract.md, interpretation #6). The warehouse answers the same question
with a range join on int_employees_historised (effective_from <= X < effective_to, the
join the hr_state_on macro renders). Both must agree on every probe date.
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from leerdata.config import DataPaths
from leerdata.privacy.keys import load_or_create_key
from leerdata.privacy.pseudonyms import REPORTING_DOMAIN, Pseudonymiser

# All on one worker, so the module fixtures (the HR history frames) are built once per run.
pytestmark = pytest.mark.xdist_group("hr_history")

STATE_COLUMNS = (
    "department_code",
    "directorate",
    "unit",
    "team",
    "salary_scale",
    "job_title",
    "gender",
    "birth_year",
    "hire_date",
    "exit_date",
)


def _raw_snapshots(restricted_db: Path) -> pl.DataFrame:
    """One row per (employee, export date), by the contract's rules, read straight from raw."""
    with duckdb.connect(str(restricted_db), read_only=True) as con:
        raw = con.sql("select * from raw_hr").pl()
        manifest = con.sql("select batch_id, file_name, status from load_manifest").pl()
    batches = pl.concat(
        [
            manifest.filter(pl.col("status") != "failed").select("file_name", "batch_id"),
            raw.select(file_name="_file_name", batch_id="_batch_id").unique(),
        ]
    )
    newest = batches.group_by("file_name").agg(pl.col("batch_id").max())
    # Interpretation #1: per file name only the newest batch counts.
    current = raw.join(
        newest, left_on=["_file_name", "_batch_id"], right_on=["file_name", "batch_id"]
    )
    # Interpretation #6: one row per person and date; later batch, then higher department.
    return (
        current.with_columns(pl.col("birth_date").dt.year().cast(pl.Int64).alias("birth_year"))
        .sort(["_batch_id", "department_code", "_line_number"], descending=True)
        .unique(["employee_id", "_file_date"], keep="first", maintain_order=True)
        .sort(["employee_id", "_file_date"])
    )


def _expected_states(
    snapshots: pl.DataFrame, probes: dict[str, list[date]]
) -> dict[tuple[str, date], tuple]:
    expected: dict[tuple[str, date], tuple] = {}
    for (employee_id,), rows in snapshots.group_by(["employee_id"]):
        dates = rows["_file_date"].to_list()
        states = rows.select(STATE_COLUMNS).rows()
        for probe in probes[employee_id]:
            index = bisect.bisect_right(dates, probe) - 1
            expected[(employee_id, probe)] = states[max(index, 0)]
    return expected


def _probe_dates(snapshots: pl.DataFrame) -> dict[str, list[date]]:
    """Every export date, the day before and after it, and far before and after."""
    probes: dict[str, list[date]] = {}
    all_dates = sorted(set(snapshots["_file_date"].to_list()))
    extremes = [all_dates[0] - timedelta(days=800), all_dates[-1] + timedelta(days=800)]
    for (employee_id,), rows in snapshots.group_by(["employee_id"]):
        own = rows["_file_date"].to_list()
        around = {d + timedelta(days=k) for d in own for k in (-1, 0, 1)}
        probes[employee_id] = sorted(around | set(extremes) | {all_dates[len(all_dates) // 2]})
    return probes


@pytest.fixture(scope="module")
def raw_snapshots(tiny_warehouse: DataPaths) -> pl.DataFrame:
    return _raw_snapshots(tiny_warehouse.restricted_db)


@pytest.fixture(scope="module")
def history(tiny_warehouse: DataPaths) -> pl.DataFrame:
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        return con.sql("select * from int_employees_historised").pl()


def test_generated_history_exercises_transfers_exits_scale_changes_and_gaps(
    raw_snapshots: pl.DataFrame,
) -> None:
    """The comparison below only means something if the data has the hard cases.

    (Tiny data has no rehire; the dbt unit test hr_history_rehire_* covers that case.)
    """
    all_dates = sorted(set(raw_snapshots["_file_date"].to_list()))
    per_person = raw_snapshots.group_by("employee_id").agg(
        pl.col("department_code").n_unique().alias("departments"),
        pl.col("exit_date").is_not_null().any().alias("exited"),
        pl.col("salary_scale").n_unique().alias("scales"),
        pl.col("_file_date").min().alias("first"),
        pl.col("_file_date").max().alias("last"),
        pl.len().alias("snapshots"),
    )
    exports_between = per_person.with_columns(
        pl.struct("first", "last")
        .map_elements(
            lambda r: sum(r["first"] <= d <= r["last"] for d in all_dates), return_dtype=pl.Int64
        )
        .alias("exports_between")
    )
    assert len(all_dates) >= 3, "need several exports to have a history"
    assert per_person.filter(pl.col("departments") > 1).height > 0, "no transfer"
    assert per_person.filter(pl.col("exited")).height > 0, "no exit"
    assert per_person.filter(pl.col("scales") > 1).height > 0, "no scale change"
    gaps = exports_between.filter(pl.col("exports_between") > pl.col("snapshots"))
    assert gaps.height > 0, "nobody is missing from an export between two of theirs"


def test_state_on_any_date_matches_the_latest_snapshot_on_or_before_it(
    tiny_warehouse: DataPaths, key_file: Path, raw_snapshots: pl.DataFrame
) -> None:
    probes = _probe_dates(raw_snapshots)
    expected = _expected_states(raw_snapshots, probes)
    pseudonymiser = Pseudonymiser(load_or_create_key(key_file), REPORTING_DOMAIN)
    key_of = {e: pseudonymiser.one(e) for e in probes}
    probe_frame = pl.DataFrame(
        [(key_of[e], e, d) for e, dates in probes.items() for d in dates],
        schema={"person_key": pl.String, "employee_id": pl.String, "probe_date": pl.Date},
        orient="row",
    )
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        con.register("probes", probe_frame)
        found = con.execute(
            f"""
            select probes.employee_id, probes.probe_date, count(history.person_key) as states,
                {", ".join(f"any_value(history.{c})" for c in STATE_COLUMNS)}
            from probes
            left join int_employees_historised as history
                on history.person_key = probes.person_key
                and probes.probe_date >= history.effective_from
                and probes.probe_date < history.effective_to
            group by all
            """
        ).fetchall()
    assert len(found) == len(expected)
    not_exactly_one = [d for _, d, n, *_ in found if n != 1]
    assert not not_exactly_one, f"{len(not_exactly_one)} probes find 0 or >1 states"
    # Only dates in the message: employee ids must not reach a test log.
    wrong = [d for e, d, _, *state in found if tuple(state) != expected[(e, d)]]
    assert not wrong, f"{len(wrong)} of {len(found)} probes disagree, e.g. on {wrong[:5]}"


def test_intervals_collapse_exactly_the_consecutive_identical_snapshots(
    key_file: Path, raw_snapshots: pl.DataFrame, history: pl.DataFrame
) -> None:
    pseudonymiser = Pseudonymiser(load_or_create_key(key_file), REPORTING_DOMAIN)
    expected_starts: set[tuple[str, date]] = set()
    for (employee_id,), rows in raw_snapshots.group_by(["employee_id"]):
        previous = None
        for snapshot_date, *state in rows.select("_file_date", *STATE_COLUMNS).rows():
            if tuple(state) != previous:
                expected_starts.add((pseudonymiser.one(employee_id), snapshot_date))
            previous = tuple(state)
    actual_starts = set(history.select("person_key", "valid_from").rows())
    assert len(actual_starts) == history.height, "one row per (person_key, valid_from)"
    assert actual_starts == expected_starts


def test_open_interval_is_the_last_and_birth_year_is_the_only_birth_data(
    raw_snapshots: pl.DataFrame, history: pl.DataFrame
) -> None:
    assert (
        history.filter(pl.col("valid_to").is_null()).height
        == raw_snapshots["employee_id"].n_unique()
    ), "every person has exactly one open interval"
    assert history.filter(pl.col("is_current") != pl.col("valid_to").is_null()).height == 0
    assert not {"birth_date", "birth_place", "employee_id"} & set(history.columns)
    expected_years = set(raw_snapshots["birth_date"].dt.year().drop_nulls().to_list())
    assert set(history["birth_year"].drop_nulls().to_list()) == expected_years


HR_LOOKUP_TEST = "assert_hr_state_on_finds_the_snapshot_state"
HISTORY = "int_employees_historised"
INTERVAL = "person_key = ? and effective_from = ?"
# what is done to the second of a person's three or more states, or to the first
BROKEN_HISTORIES = [
    ("a gap", f"delete from {HISTORY} where {INTERVAL}"),
    ("an overlap", f"insert into {HISTORY} select * from {HISTORY} where {INTERVAL}"),
    ("a wrong department", f"update {HISTORY} set department_code = 'XX' where {INTERVAL}"),
    (
        "a state starting a day late",
        f"update {HISTORY} set effective_from = effective_from + 1 where {INTERVAL}",
    ),
    # the day-before check: the first state no longer reaches back before the first snapshot
    (
        "a first state starting on the first snapshot",
        f"update {HISTORY} set effective_from = (select min(snapshot_date) "
        "from stg_hr__employee_snapshots where person_key = ?) "
        "where person_key = ? and effective_from = date '0001-01-01' and ? is not null",
    ),
]


@pytest.mark.parametrize(
    ("broken_by", "change"), BROKEN_HISTORIES, ids=[name for name, _ in BROKEN_HISTORIES]
)
def test_the_hr_lookup_data_test_fails_on_a_broken_history(
    tiny_warehouse: DataPaths, tmp_path: Path, broken_by: str, change: str
) -> None:
    """The data test guarding hr_state_on(), as the build compiled it, passes on the built
    history and returns exactly the damaged person's snapshots after each kind of damage
    (to the second of a person's three or more states, or to the first)."""
    (compiled,) = tiny_warehouse.dbt_target.glob(f"compiled/**/{HR_LOOKUP_TEST}.sql")
    test_sql = compiled.read_text(encoding="utf-8")
    copy = tmp_path / "restricted.duckdb"  # the same name: the compiled SQL says "restricted"
    copy.write_bytes(tiny_warehouse.restricted_db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        ((person, second_from),) = con.execute(
            """
            select person_key, effective_from from (
                select person_key, effective_from,
                    row_number() over (partition by person_key order by effective_from) as n,
                    count(*) over (partition by person_key) as states
                from int_employees_historised
            )
            where n = 2 and states >= 3
            order by person_key
            limit 1
            """
        ).fetchall()
        assert con.execute(test_sql).fetchall() == []
        params = (
            [person, person, second_from]
            if "min(snapshot_date)" in change
            else [person, second_from]
        )
        ((changed_rows,),) = con.execute(change, params).fetchall()
        assert changed_rows == 1, broken_by
        failing = {row[0] for row in con.execute(test_sql).fetchall()}
    assert failing == {person}, broken_by
