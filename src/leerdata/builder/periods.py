"""Which years a day's build must recompute in the year-incremental models.

The enrolment outcomes, the person-quarters, the cells of the participation and
evaluation tables and the finance chain (enrolments and sessions billed, invoice lines
resolved, checked and netted, document adjustments, the cost pool and its allocation)
are kept per year (dbt incremental: the recomputed years are deleted, their new rows
appended). A build recomputes only the years its new batches can touch; the other years
keep their rows. The finance models also have a sentinel partition, year 0, for rows
without a session year (an enrolment on an unknown session, an invoice line whose
reference resolves to nothing); every incremental build of them recomputes it (dbt
macro `in_changed_years`), so it is not listed here.

The years come from the raw rows of every file delivered since the last published
build (older batches of a file delivered again included: their rows are superseded,
interpretation #1), followed to the sessions they belong to, and from a session to the
year of its start date:

- an enrolment, attendance or exam-result row: every session its enrolment was ever on
  (the old session as well as the new one, for an enrolment that moved);
- an evaluation: its session and its enrolment's sessions;
- an invoice: every line of every document in its chain (the invoices a credit note or
  correction refers to, and the documents that refer to it, followed until nothing new
  turns up), because netting and document-level allowances spread amounts over a
  chain's lines; a line's order reference is an enrolment or a session.

Then the years of every document a change can reach through a document-level
allowance or charge are added. Such an amount is spread over the document's lines with
an approved amount (int_document_adjustments_split, which reads the whole document), and
a document's lines can be in several years: when a line's approval changes (an
enrolment that stops being billable, a line that starts to resolve, a credit note that
nets it), the shares of the document's lines in other years change too. A line's
approval depends on its own reference's session (its enrolments, attendance, the other
lines on that reference), so the documents concerned are those with a document-level
amount and a line whose reference points, in any version of the raw rows, at a session
the change touched (as an enrolment of it or as the session itself); every year of
every line of those documents is recomputed. Nothing else crosses years: duplicates are
ranked and credit notes netted per order line reference, which resolves to one session
(one year) or to none (the sentinel), and a line without a session year never carries a
share of a document-level amount (it is an unknown reference, approved at 0). The
document's other lines keep their approvals, so recomputing their years reproduces the
other documents of those years as they were: no closure over years is needed (an
earlier version added the years of every document with a line in a recomputed year,
to a fixpoint, which at rijk made every day recompute a third year).

A session of a course that has no enrolment outcome yet recomputes every year: the
evaluation cells take a course's profile from all its outcomes. Anything else that
changed (an HR export: a person's first state reaches back to every earlier date; the
catalogue: a course's profile applies to all its sessions) recomputes every year. So
does a full build.

The result goes into `leerdata_build_changed_years` before dbt starts, where the
models' macros read it at run time (a dbt var would invalidate partial parsing on
every change). No row: nothing to recompute. A NULL row: every year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

CHANGED_YEARS_TABLE = "leerdata_build_changed_years"
# the sources whose effect on the year-incremental models this module can trace
TRACEABLE_SOURCES = frozenset(
    {"enrolments", "attendance", "exam_results", "evaluations", "invoices"}
)
OUTCOMES_TABLE = "int_enrolments_outcomes"
ENROLMENT_KEYED = {
    "enrolments": "raw_enrolments",
    "attendance": "raw_attendance",
    "exam_results": "raw_exam_results",
    "evaluations": "raw_evaluations",
}


def ensure_changed_years_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create table if not exists main.{CHANGED_YEARS_TABLE} (year INTEGER)")


def write_changed_years(con: duckdb.DuckDBPyConnection, years: Sequence[int] | None) -> None:
    """Replace the table's rows: `None` = every year."""
    ensure_changed_years_table(con)
    con.execute("begin transaction")
    con.execute(f"delete from main.{CHANGED_YEARS_TABLE}")
    if years is None:
        con.execute(f"insert into main.{CHANGED_YEARS_TABLE} values (null)")
    elif years:
        con.executemany(
            f"insert into main.{CHANGED_YEARS_TABLE} values (?)", [[year] for year in years]
        )
    con.execute("commit")


def _changed_rows(table: str, source: str, mark: int) -> str:
    """The rows of `table` in a file of `source` delivered after batch `mark`."""
    return f"""
        select * from main.{table}
        where _batch_id > {mark} or _file_name in (
            select file_name from main.load_manifest
            where source = '{source}' and batch_id > {mark} and status is distinct from 'failed'
        )
    """


def _invoice_chain(con: duckdb.DuckDBPyConnection, mark: int) -> None:
    """temp table changed_documents: the invoice ids of changed files and their chains."""
    con.execute(
        "create or replace temp table changed_documents as "
        f"select distinct invoice_id from ({_changed_rows('raw_invoices', 'invoices', mark)})"
    )
    while True:
        added = con.execute(
            """
            insert into changed_documents
            select distinct linked.invoice_id from (
                select documents.corrected_invoice_id as invoice_id
                from main.raw_invoices as documents
                where documents.invoice_id in (select invoice_id from changed_documents)
                union
                select documents.invoice_id
                from main.raw_invoices as documents
                where documents.corrected_invoice_id in (select invoice_id from changed_documents)
            ) as linked
            where linked.invoice_id is not null
                and linked.invoice_id not in (select invoice_id from changed_documents)
            """
        ).fetchone()
        if not added or not added[0]:
            return


def changed_years(
    con: duckdb.DuckDBPyConnection, published: Mapping[str, int], changed: Sequence[str]
) -> list[int] | None:
    """The years the sources in `changed` can touch, given the last published batch per
    source; None when a change cannot be traced to years (recompute every year)."""
    if any(source not in TRACEABLE_SOURCES for source in changed):
        return None
    con.execute("create or replace temp table changed_enrolments (enrolment_id VARCHAR)")
    con.execute("create or replace temp table changed_sessions (session_id VARCHAR)")
    for source in changed:
        mark = published.get(source, -1)
        if source in ENROLMENT_KEYED:
            delivered = _changed_rows(ENROLMENT_KEYED[source], source, mark)
            con.execute(f"insert into changed_enrolments select enrolment_id from ({delivered})")
            if source == "evaluations":
                con.execute(f"insert into changed_sessions select session_id from ({delivered})")
        else:  # invoices: an order reference is an enrolment or a session
            _invoice_chain(con, mark)
            lines = """
                select order_line_ref from main.raw_invoice_lines
                where invoice_id in (select invoice_id from changed_documents)
            """
            con.execute(f"insert into changed_enrolments {lines}")
            con.execute(f"insert into changed_sessions {lines}")
    con.execute(
        """
        create or replace temp table touched_sessions as
        select sessions.session_id, sessions.course_id, year(sessions.start_date) as year
        from main.raw_sessions as sessions
        where sessions.start_date is not null and sessions.session_id in (
            select session_id from changed_sessions
            union
            select enrolments.session_id
            from main.raw_enrolments as enrolments
            where enrolments.enrolment_id in (select enrolment_id from changed_enrolments)
        )
        """
    )
    if _course_without_outcomes(con):
        return None
    rows = con.execute("select distinct year from touched_sessions").fetchall()
    return sorted({int(year) for (year,) in rows} | _affected_document_years(con))


def _affected_document_years(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Every year of every line of a document with a document-level allowance or charge
    and a line on a touched session (temp table touched_sessions).

    It starts from the touched sessions and their references (every enrolment that was
    ever on one, in any version of the raw rows, and the sessions themselves), so only
    the lines of the documents found are followed to their sessions: joining every
    adjusted line with every raw enrolment first took 2.5 s of a rijk day build."""
    rows = con.execute(
        """
        with touched_references as (
            select enrolment_id as order_line_ref from main.raw_enrolments
            where session_id in (select session_id from touched_sessions)
            union
            select session_id as order_line_ref from touched_sessions
        ),
        affected_documents as (
            select distinct lines.invoice_id
            from main.raw_invoice_lines as lines
            where lines.order_line_ref in (select order_line_ref from touched_references)
                and lines.invoice_id in (
                    select invoice_id from main.raw_invoice_allowance_charges
                    where level = 'document'
                )
        ),
        affected_references as (
            select distinct lines.order_line_ref
            from main.raw_invoice_lines as lines
            where lines.invoice_id in (select invoice_id from affected_documents)
        ),
        sessions_of_references as (
            select enrolments.session_id from main.raw_enrolments as enrolments
            where enrolments.enrolment_id in (select order_line_ref from affected_references)
            union
            select order_line_ref as session_id from affected_references
        )
        select distinct year(sessions.start_date) as year
        from main.raw_sessions as sessions
        where sessions.start_date is not null
            and sessions.session_id in (select session_id from sessions_of_references)
        """
    ).fetchall()
    return {int(year) for (year,) in rows}


def _course_without_outcomes(con: duckdb.DuckDBPyConnection) -> bool:
    """A course's first enrolment puts it into the course profile the evaluation cells
    of every year use: then every year is recomputed (and when no outcomes exist yet)."""
    exists = con.execute(
        "select count(*) from duckdb_tables() "
        f"where schema_name = 'main' and table_name = '{OUTCOMES_TABLE}'"
    ).fetchone()
    if not exists or not exists[0]:
        return True
    missing = con.execute(
        f"""
        select count(*) from touched_sessions
        where course_id not in (select course_id from main.{OUTCOMES_TABLE})
        """
    ).fetchone()
    return bool(missing and missing[0])
