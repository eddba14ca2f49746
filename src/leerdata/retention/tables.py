"""Tables the retention code keeps in restricted.duckdb (created on first use)."""

from __future__ import annotations

import duckdb

RETAINED_ENROLMENTS = "retained_enrolment_attributes"
RETAINED_PERSONS = "retained_person_attributes"
RUNS = "retention_runs"

# The HR state of the person on the session start date, as the build resolved it just
# before the enrolment lost its link (models prefer these values when present).
RETAINED_ENROLMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("enrolment_id", "VARCHAR PRIMARY KEY"),
    ("session_start_date", "DATE"),
    ("department_code", "VARCHAR"),
    ("directorate", "VARCHAR"),
    ("unit", "VARCHAR"),
    ("team", "VARCHAR"),
    ("salary_scale", "BIGINT"),
    ("job_title", "VARCHAR"),
    ("gender", "VARCHAR"),
    ("birth_year", "BIGINT"),
    ("hire_date", "DATE"),
    ("exit_date", "DATE"),
    ("payer_department_code", "VARCHAR"),  # enrolment's code, else HR department
    ("frozen_at", "TIMESTAMP"),
)

# Birth year per HR snapshot of an erased person (the birth date itself is erased);
# employee_id is the person's random surrogate, never the personnel number.
RETAINED_PERSON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("employee_id", "VARCHAR"),
    ("snapshot_date", "DATE"),
    ("birth_year", "BIGINT"),
    ("frozen_at", "TIMESTAMP"),
)

# Counts only: never an id, a name or anything that says who.
RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR"),
    ("run_at", "TIMESTAMP"),
    ("run_kind", "VARCHAR"),  # retention | erasure
    ("as_of_date", "DATE"),
    ("person_years_after_exit", "BIGINT"),
    ("enrolment_link_months", "BIGINT"),
    ("persons_erased", "BIGINT"),
    ("enrolments_unlinked", "BIGINT"),
    ("run_seconds", "DOUBLE"),
)


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[tuple[str, str], ...]):
    body = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
    con.execute(f"create table if not exists main.{table} ({body})")


def ensure_retention_tables(con: duckdb.DuckDBPyConnection) -> None:
    _create(con, RETAINED_ENROLMENTS, RETAINED_ENROLMENT_COLUMNS)
    _create(con, RETAINED_PERSONS, RETAINED_PERSON_COLUMNS)
    _create(con, RUNS, RUN_COLUMNS)
