"""The cells the build's disclosure audit withholds (leerdata.sdc.withhold).

Reads the perturbed evaluation and participation cells (true and published counts, in
the restricted zone), finds every count below min_cell_size that a reader could pin
down exactly through the relations between published figures, and lists the cells to
withhold. The published models null every figure of a listed cell.
"""

import datetime

import polars as pl

from leerdata.sdc.withhold import withhold_pinned

KEYS = {
    "evaluation": ["evaluation_level", "entity_id", "period_type", "period"],
    "participation": ["department_code", "breakdown", "breakdown_value", "period_type", "period"],
}
COLUMNS = sorted({c for keys in KEYS.values() for c in keys})


def model(dbt, session):
    dbt.config(materialized="table")
    min_cell_size = int(dbt.config.get("min_cell_size"))
    today = datetime.date.fromisoformat(
        dbt.config.get("open_from") or datetime.date.today().isoformat()
    )
    open_from = f"{today.year}-Q{(today.month - 1) // 3 + 1}"  # the running quarter
    evaluation = dbt.ref("int_evaluation_cells_perturbed").pl().sort(KEYS["evaluation"])
    participation = dbt.ref("int_participation_cells_perturbed").pl().sort(KEYS["participation"])
    result = withhold_pinned(evaluation, participation, min_cell_size, open_from)
    frames = []
    for table, cells, reasons in (
        ("evaluation", evaluation, result.evaluation),
        ("participation", participation, result.participation),
    ):
        marked = cells.select(KEYS[table]).with_columns(
            pl.Series("reason", list(reasons), dtype=pl.String)
        )
        marked = marked.filter(pl.col("reason").is_not_null()).with_columns(
            pl.lit(table).alias("protected_table")
        )
        for column in COLUMNS:
            if column not in marked.columns:
                marked = marked.with_columns(pl.lit(None, dtype=pl.String).alias(column))
        frames.append(marked.select(["protected_table", *COLUMNS, "reason"]))
    # A polars frame, not .to_arrow(): dbt-duckdb imports pyarrow.dataset for an Arrow
    # table, and with it pandas (~1.2 s of every build).
    return pl.concat(frames)
