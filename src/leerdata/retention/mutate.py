"""The statements that erase and unlink, on the plan's temp tables."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from leerdata import catalog
from leerdata.privacy.mentions import blank_text_naming, last_names
from leerdata.retention.surrogates import is_surrogate_sql, new_surrogate

PERSON_ID = "employee_id"  # replaced by the person's surrogate, never set to NULL


def hr_identifiers() -> tuple[str, ...]:
    """raw_hr columns that identify a person, as tagged pii in the dbt sources (one list:
    leerdata.catalog); erasure sets them to NULL."""
    return tuple(c for c in catalog.identifier_columns("raw_hr") if c != PERSON_ID)


REDACTED_RECORD = '{"redacted": true}'


def _temp_from_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(f"{name}_arrow", table)
    try:
        con.execute(f"create or replace temp table {name} as select * from {name}_arrow")
    finally:
        con.unregister(f"{name}_arrow")


def assign_surrogates(con: duckdb.DuckDBPyConnection) -> None:
    """One fresh surrogate per (person, quarter) group and one per erased person."""
    groups = con.execute("select distinct employee_id, quarter from _unlink").fetchall()
    _temp_from_arrow(
        con,
        "_group_surrogates",
        pa.table(
            {
                "employee_id": pa.array([g[0] for g in groups], pa.string()),
                "quarter": pa.array([g[1] for g in groups], pa.string()),
                "surrogate": pa.array([new_surrogate() for _ in groups], pa.string()),
            }
        ),
    )
    persons = [row[0] for row in con.execute("select employee_id from _erased_persons").fetchall()]
    _temp_from_arrow(
        con,
        "_person_surrogates",
        pa.table(
            {
                "employee_id": pa.array(persons, pa.string()),
                "surrogate": pa.array([new_surrogate() for _ in persons], pa.string()),
            }
        ),
    )


def reattach_redelivered_rows(con: duckdb.DuckDBPyConnection) -> int:
    """A row delivered again with the personnel number of an enrolment already unlinked
    takes that enrolment's surrogate (otherwise the next build would link it again).
    Returns the number of rows changed."""
    row = con.execute(
        f"""
        update main.raw_enrolments as raw
        set employee_id = unlinked.surrogate
        from (
            select enrolment_id, max(employee_id) as surrogate
            from main.raw_enrolments
            where {is_surrogate_sql("employee_id")}
            group by enrolment_id
        ) as unlinked
        where raw.enrolment_id = unlinked.enrolment_id
          and not {is_surrogate_sql("raw.employee_id")}
        """
    ).fetchone()
    return int(row[0]) if row else 0


def erase_free_text(con: duckdb.DuckDBPyConnection) -> None:
    """Comments and invoice item names of an erased person's enrolments may name them;
    other people's comments and item names that name an erased person are blanked too
    (leerdata.privacy.mentions). Runs before erase_persons, while names are known."""
    blank_text_naming(con, last_names(con, "select employee_id from _erased_persons"))
    con.execute(
        """
        update main.raw_evaluations set comment = null
        where comment is not null
          and enrolment_id in (select enrolment_id from _erased_enrolments)
        """
    )
    con.execute(
        """
        update main.raw_invoice_lines set item_name = null
        where item_name is not null
          and order_line_ref in (select enrolment_id from _erased_enrolments)
        """
    )


def redact_quarantine(con: duckdb.DuckDBPyConnection) -> None:
    """Quarantined rows that mention an erased person (personnel number or e-mail)."""
    con.execute(
        """
        create or replace temp table _erased_needles as
        select '"' || employee_id || '"' as quoted, employee_id as plain
        from _erased_persons
        union
        select distinct '"' || lower(email) || '"', lower(email)
        from main.raw_hr
        where email is not null
          and employee_id in (select employee_id from _erased_persons)
        """
    )
    con.execute(
        """
        update main.quarantine set raw_value = null, raw_record = ?
        where exists (
            select 1 from _erased_needles as needles
            where lower(quarantine.raw_value) = lower(needles.plain)
               or contains(lower(quarantine.raw_record), lower(needles.quoted))
        )
        """,
        [REDACTED_RECORD],
    )


def unlink_enrolments(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        update main.raw_enrolments as raw
        set employee_id = mapping.surrogate
        from (
            select _unlink.enrolment_id, _unlink.employee_id, groups.surrogate
            from _unlink
            inner join _group_surrogates as groups using (employee_id, quarter)
        ) as mapping
        where raw.enrolment_id = mapping.enrolment_id
          and raw.employee_id = mapping.employee_id
        """
    )


def erase_persons(con: duckdb.DuckDBPyConnection) -> None:
    """Identifiers to NULL; the personnel number to the person's surrogate everywhere."""
    nulls = ", ".join(f"{column} = null" for column in hr_identifiers())
    con.execute(
        f"""
        update main.raw_hr as raw
        set {nulls}, employee_id = persons.surrogate
        from _person_surrogates as persons
        where raw.employee_id = persons.employee_id
        """
    )
    con.execute(
        """
        update main.raw_enrolments as raw
        set employee_id = persons.surrogate
        from _person_surrogates as persons
        where raw.employee_id = persons.employee_id
        """
    )
