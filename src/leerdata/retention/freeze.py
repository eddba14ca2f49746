"""Freeze what reporting needs before ids are replaced, so aggregates stay the same.

Values are read from the models of the build that retention runs first (staging and
int_employees_historised in restricted.duckdb), i.e. exactly what the marts used.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from leerdata.duckdb_rows import scalar
from leerdata.privacy.keys import load_or_create_key
from leerdata.privacy.pseudonyms import REPORTING_DOMAIN, Pseudonymiser
from leerdata.retention.tables import RETAINED_ENROLMENTS, RETAINED_PERSONS


def freeze_enrolment_attributes(con: duckdb.DuckDBPyConnection) -> int:
    """The person's HR state on the session start date, per enrolment about to be unlinked.

    An enrolment frozen by an earlier run keeps its first values: after unlinking, the
    HR join would find nothing to refresh them with.
    """
    before = scalar(con, f"select count(*) from main.{RETAINED_ENROLMENTS}")
    con.execute(
        f"""
        insert into main.{RETAINED_ENROLMENTS}
        select
            enrolments.enrolment_id,
            sessions.start_date,
            history.department_code,
            history.directorate,
            history.unit,
            history.team,
            history.salary_scale,
            history.job_title,
            history.gender,
            history.birth_year,
            history.hire_date,
            history.exit_date,
            coalesce(enrolments.payer_department_code, history.department_code),
            current_timestamp
        from main.stg_lms__enrolments as enrolments
        left join main.stg_catalogue__sessions as sessions
            on enrolments.session_id = sessions.session_id
        left join main.int_employees_historised as history
            on history.person_key = enrolments.person_key
            and sessions.start_date >= history.effective_from
            and sessions.start_date < history.effective_to
        where enrolments.enrolment_id in (
            select enrolment_id from _unlink
            union select enrolment_id from _erased_enrolments
        )
          and enrolments.enrolment_id not in (
              select enrolment_id from main.{RETAINED_ENROLMENTS}
          )
        """
    )
    after = scalar(con, f"select count(*) from main.{RETAINED_ENROLMENTS}")
    return int(after - before)


def freeze_person_birth_years(con: duckdb.DuckDBPyConnection) -> None:
    """Birth year per HR snapshot of each erased person, under the person's surrogate.

    Needs _person_surrogates (employee_id, surrogate). The staging rows are found by the
    reporting pseudonym of the personnel number, computed here in-process.
    """
    employee_ids = [
        row[0] for row in con.execute("select employee_id from _person_surrogates").fetchall()
    ]
    worker = Pseudonymiser(load_or_create_key(), REPORTING_DOMAIN)
    keys = pa.table(
        {"employee_id": employee_ids, "person_key": worker.many(employee_ids)},
        schema=pa.schema([("employee_id", pa.string()), ("person_key", pa.string())]),
    )
    con.register("_person_keys_arrow", keys)
    try:
        con.execute(
            f"""
            insert into main.{RETAINED_PERSONS}
            select distinct surrogates.surrogate, snapshots.snapshot_date,
                snapshots.birth_year, current_timestamp
            from _person_surrogates as surrogates
            inner join _person_keys_arrow as person_keys using (employee_id)
            inner join main.stg_hr__employee_snapshots as snapshots
                on snapshots.person_key = person_keys.person_key
            where snapshots.birth_year is not null
            """
        )
    finally:
        con.unregister("_person_keys_arrow")
