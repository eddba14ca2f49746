"""`leerdata retention apply`: erase and unlink, with every published aggregate unchanged.

One retention run on a copy of the tiny warehouse (short periods from a data-dir
leerdata.toml, so the one-year tiny data has people and enrolments that are due), then a
second run with the same as_of. The tests look at the state before, after one run and
after two.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from leerdata import catalog
from leerdata.config import DataPaths
from leerdata.retention import RetentionResult, apply_retention
from leerdata.retention.surrogates import SURROGATE_REGEX
from tests.build_moment import BUILD_MOMENT_COLUMNS

# All on one worker, so the module fixtures (the retention scenario) are built once per run.
pytestmark = pytest.mark.xdist_group("retention")

KEY_COLUMNS = {"person_key", "enrolment_key", "counting_key"}
# Describe the build, not the data: a new build id and the retention run log itself.
BUILD_METADATA_TABLES = {"mart_quality_build", "mart_quality_retention_runs"}
PERSON_YEARS, LINK_MONTHS = 1, 12


def published_aggregates(reporting_db: Path) -> dict[str, list[str]]:
    """Every table of the reporting database as a sorted multiset of rows, keys left out."""
    out: dict[str, list[str]] = {}
    with duckdb.connect(str(reporting_db), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' order by 1"
            ).fetchall()
            if t not in BUILD_METADATA_TABLES
        ]
        for table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where table_name = ? "
                    "order by column_index",
                    [table],
                ).fetchall()
                if c not in KEY_COLUMNS and c not in BUILD_MOMENT_COLUMNS.get(table, ())
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = sorted(
                repr(r) for r in con.execute(f'select {select} from "{table}"').fetchall()
            )
    return out


def raw_fingerprint(restricted_db: Path) -> dict[str, str]:
    out = {}
    with duckdb.connect(str(restricted_db), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where table_name like 'raw_%' "
                "or table_name in ('quarantine', 'retained_enrolment_attributes', "
                "'retained_person_attributes') order by 1"
            ).fetchall()
        ]
        for table in tables:
            rows = sorted(repr(r) for r in con.execute(f'select * from "{table}"').fetchall())
            out[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


@dataclass
class Erased:
    employee_ids: list[str]
    emails: list[str]
    unique_last_names: list[str]
    comments: list[str]


@dataclass
class Scenario:
    paths: DataPaths
    as_of: date
    original_db_bytes: bytes
    erased: Erased
    enrolment_owner: dict[str, str]  # enrolment_id → employee_id before retention
    before: dict[str, list[str]]
    first: RetentionResult
    after_first: dict[str, list[str]]
    raw_after_first: dict[str, str]
    second: RetentionResult
    after_second: dict[str, list[str]]
    raw_after_second: dict[str, str]


def _as_of(con: duckdb.DuckDBPyConnection) -> date:
    """One year after the second-latest exit: some leavers are erased, not all."""
    exits = [
        r[0]
        for r in con.execute(
            "select distinct exit_date from raw_hr where exit_date is not null order by 1"
        ).fetchall()
    ]
    assert len(exits) >= 2, "tiny data needs at least two exit dates"
    second_latest = exits[-2]
    return date(second_latest.year + PERSON_YEARS, second_latest.month, 1) + timedelta(days=31)


def _erased(con: duckdb.DuckDBPyConnection, as_of: date) -> Erased:
    ids = [
        r[0]
        for r in con.execute(
            """
            select employee_id from raw_hr
            qualify row_number() over (partition by employee_id
                order by _file_date desc, _batch_id desc, _line_number desc) = 1
                and exit_date is not null and exit_date + to_years(?) <= ?
            """,
            [PERSON_YEARS, as_of],
        ).fetchall()
    ]
    emails = [
        r[0]
        for r in con.execute(
            "select distinct email from raw_hr where list_contains(?, employee_id) "
            "and email is not null",
            [ids],
        ).fetchall()
    ]
    names = [
        r[0]
        for r in con.execute(
            "select distinct last_name from raw_hr where list_contains(?, employee_id) "
            "and length(last_name) >= 5 and last_name not in "
            "(select last_name from raw_hr where not list_contains(?, employee_id) "
            " and last_name is not null) "
            "and lower(last_name) not in (select lower(partner_last_name) from raw_hr "
            " where partner_last_name is not null and not list_contains(?, employee_id))",
            [ids, ids, ids],
        ).fetchall()
    ]
    comments = [
        r[0]
        for r in con.execute(
            "select distinct comment from raw_evaluations where length(comment) >= 12 "
            "and enrolment_id in (select enrolment_id from raw_enrolments "
            "                     where list_contains(?, employee_id)) "
            "and comment not in (select comment from raw_evaluations where comment is not null "
            "  and coalesce(enrolment_id, '') not in (select enrolment_id from raw_enrolments "
            "  where list_contains(?, employee_id)))",
            [ids, ids],
        ).fetchall()
    ]
    return Erased(ids, emails, names, comments)


@pytest.fixture(scope="module")
def scenario(tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("retention") / "data"
    shutil.copytree(tiny_warehouse.root, root, ignore=shutil.ignore_patterns("logs"))
    paths = DataPaths.of(root)
    (root / "leerdata.toml").write_text(
        f"[retention]\nperson_years_after_exit = {PERSON_YEARS}\n"
        f"enrolment_link_months = {LINK_MONTHS}\n"
    )
    with duckdb.connect(str(paths.restricted_db)) as con:
        as_of = _as_of(con)
        erased = _erased(con, as_of)
        assert erased.employee_ids and erased.emails
        owners = dict(
            con.execute("select distinct enrolment_id, employee_id from raw_enrolments").fetchall()
        )
    before = published_aggregates(paths.reporting_db)
    original = paths.restricted_db.read_bytes()
    first = apply_retention(paths, as_of, show_progress=False)
    after_first = published_aggregates(paths.reporting_db)
    raw_first = raw_fingerprint(paths.restricted_db)
    second = apply_retention(paths, as_of, show_progress=False)
    return Scenario(
        paths=paths,
        as_of=as_of,
        original_db_bytes=original,
        erased=erased,
        enrolment_owner=owners,
        before=before,
        first=first,
        after_first=after_first,
        raw_after_first=raw_first,
        second=second,
        after_second=published_aggregates(paths.reporting_db),
        raw_after_second=raw_fingerprint(paths.restricted_db),
    )


def test_retention_erases_and_unlinks_something(scenario: Scenario) -> None:
    assert scenario.first.persons_erased == len(scenario.erased.employee_ids) > 0
    assert scenario.first.enrolments_unlinked > 0
    assert scenario.first.enrolments_unlinked < len(scenario.enrolment_owner), "not all due"
    assert scenario.first.rebuilt


def test_every_published_aggregate_is_unchanged(scenario: Scenario) -> None:
    assert len(scenario.before) >= 10, sorted(scenario.before)
    assert set(scenario.after_first) == set(scenario.before)
    changed = {
        t: (
            sorted(set(scenario.before[t]) - set(scenario.after_first[t]))[:3],
            sorted(set(scenario.after_first[t]) - set(scenario.before[t]))[:3],
        )
        for t in scenario.before
        if scenario.before[t] != scenario.after_first[t]
    }
    assert changed == {}


def test_frozen_attributes_are_what_keeps_aggregates_equal(scenario: Scenario) -> None:
    """Negative control: without the frozen attributes the attributed person-quarters
    change, so the equality above is not an accident of the data."""
    # The model is a table, so its compiled SQL is what recomputes it from its inputs.
    target = scenario.paths.dbt_target
    compiled = next(target.rglob("compiled/**/int_person_quarters_attributed.sql"))
    query = (
        "select department_code, directorate, age_band, gender, count(*) "
        f"from ({compiled.read_text()}) group by all order by all"
    )
    with duckdb.connect(str(scenario.paths.restricted_db)) as con:
        with_frozen = con.execute(query).fetchall()
        assert (
            with_frozen
            == con.execute(
                query.replace(compiled.read_text(), "select * from int_person_quarters_attributed")
            ).fetchall()
        ), "the compiled SQL recomputes the published table"
        con.execute("begin transaction")
        con.execute("delete from stg_retention__enrolment_attributes")
        without_frozen = con.execute(query).fetchall()
        con.execute("rollback")
    assert with_frozen != without_frozen


def test_second_run_with_same_as_of_changes_nothing(scenario: Scenario) -> None:
    assert (scenario.second.persons_erased, scenario.second.enrolments_unlinked) == (0, 0)
    assert not scenario.second.rebuilt
    assert scenario.raw_after_second == scenario.raw_after_first
    assert scenario.after_second == scenario.after_first


def test_erased_values_are_gone_from_the_file_bytes(scenario: Scenario) -> None:
    erased = scenario.erased
    needles = [
        *erased.emails,
        *erased.employee_ids,
        *erased.unique_last_names,
        *erased.comments,
    ]
    assert erased.unique_last_names, "need a name to look for"
    present_before = [n for n in needles if n.encode() in scenario.original_db_bytes]
    assert set(erased.emails) <= set(present_before), "the byte scan must be able to see them"
    data = scenario.paths.restricted_db.read_bytes()
    assert [n for n in needles if n.encode() in data] == []
    assert not scenario.paths.restricted_db.with_name("restricted.duckdb.wal").exists()


def test_hr_rows_of_erased_persons_keep_no_identifiers(scenario: Scenario) -> None:
    # Every raw_hr column the dbt sources tag pii, derived, so a new one is checked too;
    # the personnel number itself is the surrogate the rows are selected by.
    identifiers = [c for c in catalog.identifier_columns("raw_hr") if c != "employee_id"]
    assert len(identifiers) >= 12
    counts = ", ".join(f"count({column})" for column in identifiers)
    with duckdb.connect(str(scenario.paths.restricted_db), read_only=True) as con:
        rows = con.execute(
            f"select count(*), {counts} from raw_hr where regexp_full_match(employee_id, ?)",
            [SURROGATE_REGEX],
        ).fetchone()
    assert rows is not None and rows[0] > 0
    assert dict(zip(identifiers, rows[1:], strict=True)) == dict.fromkeys(identifiers, 0)


def test_links_are_replaced_per_person_and_quarter(scenario: Scenario) -> None:
    with duckdb.connect(str(scenario.paths.restricted_db), read_only=True) as con:
        rows = con.execute(
            """
            select raw.enrolment_id, raw.employee_id,
                strftime(s.start_date, '%Y') || '-Q' || quarter(s.start_date)
            from (select distinct enrolment_id, employee_id from raw_enrolments) as raw
            left join stg_lms__enrolments as e using (enrolment_id)
            left join stg_catalogue__sessions as s on s.session_id = e.session_id
            """
        ).fetchall()
        hr_ids = {r[0] for r in con.execute("select distinct employee_id from raw_hr").fetchall()}
    import re

    surrogate = re.compile(SURROGATE_REGEX)
    groups: dict[str, set[tuple[str, str]]] = {}
    for enrolment_id, employee_id, quarter in rows:
        if not surrogate.fullmatch(employee_id) or employee_id in hr_ids:
            continue  # still linked, or an erased person's surrogate shared with raw_hr
        groups.setdefault(employee_id, set()).add((scenario.enrolment_owner[enrolment_id], quarter))
    assert groups, "some enrolments must have been unlinked"
    # One surrogate stands for exactly one (person, quarter) ...
    assert all(len(members) == 1 for members in groups.values())
    # ... and one (person, quarter) has exactly one surrogate (distinct persons kept).
    owners = [next(iter(members)) for members in groups.values()]
    assert len(owners) == len(set(owners))
    assert not any(s in scenario.enrolment_owner.values() for s in groups)


def test_run_log_holds_counts_only(scenario: Scenario) -> None:
    with duckdb.connect(str(scenario.paths.restricted_db), read_only=True) as con:
        runs = con.execute(
            "select run_kind, as_of_date, persons_erased, enrolments_unlinked from "
            "retention_runs order by run_at"
        ).fetchall()
    assert runs == [
        (
            "retention",
            scenario.as_of,
            scenario.first.persons_erased,
            scenario.first.enrolments_unlinked,
        ),
        ("retention", scenario.as_of, 0, 0),
    ]
    log = (scenario.paths.logs / "retention.log").read_text()
    assert len(log.splitlines()) == 2
    assert f"persons_erased={scenario.first.persons_erased}" in log
    everyone = set(scenario.enrolment_owner.values()) | set(scenario.erased.emails)
    assert not [value for value in everyone if value in log]
