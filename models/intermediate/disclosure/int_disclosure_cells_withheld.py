"""The cells the build's disclosure audit withholds (leerdata.sdc.withhold).

Reads the perturbed evaluation and participation cells (true and published counts, in
the restricted zone), finds every count below min_cell_size that a reader could pin
down exactly through the relations between published figures, and lists the cells to
withhold. The published models null every figure of a listed cell.

A day's build audits only the years leerdata.sdc.withheld_cells names (the recomputed
years, and those whose withheld cells the calendar has moved) and keeps the last
build's rows of every other year: the model reads its own previous table. A table, not
an incremental model: a year audited again may have no withheld cell left, so no new
row would name it for dbt's delete.
"""

import datetime

import polars as pl

from leerdata.sdc.withheld_cells import in_order, kept_rows, withheld_rows, years_to_audit

CHANGED_YEARS_TABLE = "leerdata_build_changed_years"  # leerdata.builder.periods


def _changed_years(session, database: str) -> list[int] | None:
    """The years this build recomputed; None for every year (a full build)."""
    rows = session.execute(f'select year from "{database}".main.{CHANGED_YEARS_TABLE}').fetchall()
    years = [year for (year,) in rows]
    return None if None in years else years


def _previous(dbt, session) -> pl.DataFrame | None:
    """The last build's withheld cells, None when this is the first build."""
    ((exists,),) = session.execute(
        "select count(*) from duckdb_tables() "
        "where database_name = ? and schema_name = ? and table_name = ?",
        [dbt.this.database, dbt.this.schema, dbt.this.identifier],
    ).fetchall()
    return session.sql(f"select * from {dbt.this}").pl() if exists else None


def _cells(relation, years: set[int] | None) -> pl.DataFrame:
    if years is not None:
        relation = relation.filter(f"year in ({', '.join(map(str, sorted(years))) or 'null'})")
    return relation.pl()


def model(dbt, session):
    dbt.config(materialized="table")
    min_cell_size = int(dbt.config.get("min_cell_size"))
    today = datetime.date.fromisoformat(
        dbt.config.get("open_from") or datetime.date.today().isoformat()
    )
    open_from = f"{today.year}-Q{(today.month - 1) // 3 + 1}"  # the running quarter
    previous = _previous(dbt, session)
    audited = years_to_audit(previous, _changed_years(session, dbt.this.database), open_from)
    # dbt reads ref()'s argument while parsing: a literal
    evaluation = _cells(dbt.ref("int_evaluation_cells_perturbed"), audited)
    participation = _cells(dbt.ref("int_participation_cells_perturbed"), audited)
    rows = withheld_rows(evaluation, participation, min_cell_size, open_from)
    # A polars frame, not .to_arrow(): dbt-duckdb imports pyarrow.dataset for an Arrow
    # table, and with it pandas (~1.2 s of every build).
    return in_order(pl.concat([kept_rows(previous, audited), rows]))
