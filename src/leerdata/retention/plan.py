"""Who is erased and which enrolment links are removed: temp tables, nothing persisted.

Temp tables made here (dropped with the connection):
  _enrolment_periods  enrolment_id → session start/end date and quarter (YYYY-Qn)
  _unlink             raw (enrolment_id, employee_id) pairs to unlink, with their group
                      (employee_id, quarter): one surrogate per group
  _erased_persons     personnel numbers to erase
  _erased_enrolments  every enrolment id of those persons (taken before any unlinking)
"""

from __future__ import annotations

from datetime import date

import duckdb

from leerdata.duckdb_rows import scalar
from leerdata.retention.surrogates import is_surrogate_sql

NOT_SURROGATE = f"not {is_surrogate_sql('employee_id')}"


def _periods(con: duckdb.DuckDBPyConnection) -> None:
    # The session of an enrolment is the one the build resolved (newest row wins); raw
    # rows of superseded batches fall back to their own session id.
    con.execute(
        """
        create or replace temp table _enrolment_periods as
        with raw_sessions as (
            select enrolment_id, max(session_id) as session_id
            from main.raw_enrolments group by enrolment_id
        )
        select
            raw_sessions.enrolment_id,
            sessions.start_date,
            sessions.end_date,
            strftime(sessions.start_date, '%Y') || '-Q' || quarter(sessions.start_date)
                as quarter
        from raw_sessions
        left join main.stg_lms__enrolments as enrolments
            on raw_sessions.enrolment_id = enrolments.enrolment_id
        left join main.stg_catalogue__sessions as sessions
            on sessions.session_id = coalesce(enrolments.session_id, raw_sessions.session_id)
        """
    )


def _links(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        create or replace temp table _links as
        select distinct raw.enrolment_id, raw.employee_id, periods.quarter, periods.end_date
        from main.raw_enrolments as raw
        left join _enrolment_periods as periods using (enrolment_id)
        where raw.employee_id is not null and not {is_surrogate_sql("raw.employee_id")}
        """
    )


def _erased_enrolments(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create or replace temp table _erased_enrolments as
        select distinct enrolment_id from main.raw_enrolments
        where employee_id in (select employee_id from _erased_persons)
        """
    )


def plan_retention(
    con: duckdb.DuckDBPyConnection, as_of: date, person_years: int, link_months: int
) -> None:
    _periods(con)
    _links(con)
    # Unlink per (person, quarter of session start): as soon as one enrolment of a person
    # in a quarter is due, all of that person's enrolments in the quarter go together, so
    # distinct persons per quarter - the unit of every published count - stay the same.
    con.execute(
        """
        create or replace temp table _unlink as
        with groups_due as (
            select employee_id, quarter
            from _links
            where quarter is not null
            group by employee_id, quarter
            having bool_or(end_date + to_months(?) <= ?)
        )
        select _links.enrolment_id, _links.employee_id, _links.quarter
        from _links
        inner join groups_due using (employee_id, quarter)
        """,
        [link_months, as_of],
    )
    # A person is erased when the latest HR snapshot shows an exit at least
    # person_years before as_of (a later rehire shows no exit date, so it protects them).
    con.execute(
        f"""
        create or replace temp table _erased_persons as
        with latest as (
            select employee_id, exit_date
            from main.raw_hr
            where employee_id is not null and {NOT_SURROGATE}
            qualify row_number() over (
                partition by employee_id order by _file_date desc, _batch_id desc,
                _line_number desc
            ) = 1
        )
        select employee_id from latest
        where exit_date is not null and exit_date + to_years(?) <= ?
        """,
        [person_years, as_of],
    )
    _erased_enrolments(con)


def plan_erasure(con: duckdb.DuckDBPyConnection, employee_ids: list[str]) -> None:
    """These persons, now: every enrolment unlinked (per quarter) and the person erased."""
    _periods(con)
    _links(con)
    con.execute(
        """
        create or replace temp table _unlink as
        select enrolment_id, employee_id, coalesce(quarter, 'unknown') as quarter
        from _links where list_contains($ids, employee_id)
        """,
        {"ids": employee_ids},
    )
    con.execute(
        """
        create or replace temp table _erased_persons as
        select distinct employee_id from (
            select employee_id from main.raw_hr where list_contains($ids, employee_id)
            union all
            select employee_id from main.raw_enrolments where list_contains($ids, employee_id)
        )
        """,
        {"ids": employee_ids},
    )
    _erased_enrolments(con)


def planned_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(persons to erase, enrolments to unlink)."""
    persons = scalar(con, "select count(*) from _erased_persons")
    enrolments = scalar(con, "select count(distinct enrolment_id) from _unlink")
    return int(persons), int(enrolments)
