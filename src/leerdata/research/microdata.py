"""Enrolment-level microdata for researchers: read, generalise, anonymise.

Rows are admitted enrolments (enrolled, completed, no-show). Quasi-identifiers are
generalised along a fixed ladder (global recoding); `anonymise` then enforces k over
persons and l over informative values by local suppression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from leerdata.privacy.udf import register_pseudonym_udf

QUASI_IDENTIFIERS: tuple[str, ...] = (
    "age_band",
    "department_code",
    "scale_band",
    "gender",
    "category_code",
    "period",
    "delivery_mode",
)
SENSITIVE_ATTRIBUTES: tuple[str, ...] = ("completion_status", "exam_result", "overall_score")

BASE_QUERY = """
with evaluation_scores as (
    select enrolment_key, max(overall_score) as overall_score
    from stg_lms__evaluations
    where enrolment_key is not null
    group by enrolment_key
)
select
    outcomes.counting_key,
    outcomes.enrolment_key,
    outcomes.quarter,
    cast(outcomes.year as varchar) as year,
    outcomes.category_code,
    outcomes.delivery_mode,
    outcomes.enrolment_status as completion_status,
    case
        when not outcomes.is_examined then 'not_examined'
        when outcomes.is_passed_any_attempt then 'passed'
        else 'failed'
    end as exam_result,
    cast(evaluation_scores.overall_score as integer) as overall_score,
    person_quarters.department_code,
    person_quarters.scale_band,
    person_quarters.age_band,
    person_quarters.gender
from int_enrolments_outcomes as outcomes
inner join int_person_quarters_attributed as person_quarters
    on outcomes.counting_key = person_quarters.counting_key
    and outcomes.quarter = person_quarters.quarter
left join evaluation_scores
    on outcomes.enrolment_key = evaluation_scores.enrolment_key
where outcomes.is_admitted
"""

COARSE_AGE = {"<25": "<35", "25-34": "<35", "35-44": "35-54", "45-54": "35-54", "55+": "55+"}
COARSE_MODE = {
    "classroom": "in_person",
    "blended": "in_person",
    "e-learning": "online",
    "webinar": "online",
}
COARSE_SCALE = {
    "schaal 1-6": "schaal 1-9",
    "schaal 7-9": "schaal 1-9",
    "schaal 10-11": "schaal 10-13",
    "schaal 12-13": "schaal 10-13",
}


@dataclass(frozen=True)
class Generalisation:
    level: int
    description: str
    apply: Callable[[pl.DataFrame], pl.DataFrame]


def _recode(column: str, mapping: dict[str, str]) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda frame: frame.with_columns(pl.col(column).replace(mapping))


def _to_year(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("year").alias("period"))


LADDER: tuple[Generalisation, ...] = (
    Generalisation(
        0,
        "age band (10 years), department, scale band, gender, course "
        "category, year-quarter, delivery mode",
        lambda f: f,
    ),
    Generalisation(1, "year-quarter generalised to year", _to_year),
    Generalisation(2, "age bands merged to <35, 35-54, 55+", _recode("age_band", COARSE_AGE)),
    Generalisation(
        3, "delivery mode generalised to in_person / online", _recode("delivery_mode", COARSE_MODE)
    ),
    Generalisation(4, "scale bands merged to 1-9, 10-13, 14+", _recode("scale_band", COARSE_SCALE)),
)


def read_base(restricted_db: Path, secret: bytes) -> pl.DataFrame:
    """Admitted enrolments with their reporting pseudonyms (no identifier is selected)."""
    with duckdb.connect(str(restricted_db), read_only=True) as con:
        register_pseudonym_udf(con, secret)  # staging views may call it
        frame = con.sql(BASE_QUERY).pl()
    return frame.with_columns(pl.col("quarter").alias("period"))


def generalised(frame: pl.DataFrame, level: int) -> pl.DataFrame:
    for step in LADDER[: level + 1]:
        frame = step.apply(frame)
    return frame
