"""What a reader sees of audited cells: the published rows the attacker reads
(tests/disclosure_attacker.py), made from the audit's frames (true and perturbed counts)
and its verdicts, without a build."""

from __future__ import annotations

import polars as pl

from leerdata.sdc.reader_model import EVALUATION_COUNTS, PARTICIPATION_COUNTS

EVALUATION_KEY_TYPES = {  # of an evaluation cell, in the audit's and the reader's frames
    "supplier_id": pl.String,
    "category_code": pl.String,
    "period_type": pl.String,
    "period": pl.String,
    "year": pl.Int64,
}
PARTICIPATION_KEY_TYPES = dict.fromkeys(
    ("department_code", "breakdown", "breakdown_value", "period_type", "period"), pl.String
) | {"year": pl.Int64}


def participation_reader_view(cells: pl.DataFrame, withheld: list[str | None]) -> pl.DataFrame:
    """The published participation rows: perturbed counts, nothing where withheld."""
    suppressed = pl.Series("suppressed", [r is not None for r in withheld], dtype=pl.Boolean)
    published = cells.with_columns(suppressed)
    return published.select(
        "department_code",
        "breakdown",
        "breakdown_value",
        "period_type",
        "period",
        pl.col("year").cast(pl.Int64),
        "suppressed",
        *(
            pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(f"perturbed_{c}")).alias(c)
            for c in PARTICIPATION_COUNTS
        ),
    )


def evaluation_reader_view(cells: pl.DataFrame, withheld: list[str | None]) -> pl.DataFrame:
    """The published evaluation rows: perturbed counts, nothing where withheld (no hours:
    a margin's hours add nothing where every course shows its own)."""
    suppressed = pl.Series("suppressed", [r is not None for r in withheld], dtype=pl.Boolean)
    return cells.with_columns(suppressed).select(
        pl.col("evaluation_level").alias("level"),
        pl.col("entity_id").alias("entity"),
        *EVALUATION_KEY_TYPES,
        "suppressed",
        pl.lit(None, dtype=pl.Float64).alias("training_hours"),
        *(
            pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(f"perturbed_{c}")).alias(c)
            for c in EVALUATION_COUNTS
        ),
    )


def no_courses() -> pl.DataFrame:
    """The catalogue's durations, empty: the views publish no hours."""
    return pl.DataFrame(
        schema=dict.fromkeys(("course_id", "supplier_id", "category_code"), pl.String)
        | {"duration_hours": pl.Float64}
    )
