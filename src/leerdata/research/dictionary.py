"""The data dictionary shipped with every research release."""

from __future__ import annotations

from leerdata.research.microdata import LADDER

MICRODATA = {
    "person_pseudonym": "Pseudonym of the person, valid in this release only (keyed HMAC "
    "in the domain named in manifest.json). The same person has the same pseudonym on "
    "every row of this release and a different one in any other release.",
    "enrolment_pseudonym": "Pseudonym of the enrolment, valid in this release only.",
    "age_band": "Age in the year of the session (from birth year), banded.",
    "department_code": "Ministry of the participant at the start of their first session "
    "in the quarter.",
    "scale_band": "Salary-scale band (BBRA) at that date.",
    "gender": "M, F, X or unknown.",
    "category_code": "Course category.",
    "period": "Quarter (YYYY-Qn) of the session start, or the year when generalised.",
    "delivery_mode": "How the course is delivered (or in_person / online when generalised).",
    "completion_status": "Sensitive. completed, no_show or enrolled (outcome not yet recorded).",
    "exam_result": "Sensitive. passed (at some attempt), failed or not_examined.",
    "overall_score": "Sensitive. Overall evaluation score 1-10 given with the enrolment "
    "(empty when none or given anonymously).",
}


def data_dictionary(level: int, tables: list[str]) -> str:
    lines = [
        "# Data dictionary",
        "",
        "## microdata.csv",
        "",
        "One row per admitted enrolment (enrolled, completed or no-show). Rows whose",
        "combination of quasi-identifiers (age_band ... delivery_mode) is shared by fewer",
        "than k distinct persons, or shows fewer than l distinct values of any sensitive",
        "attribute, are suppressed (manifest.json: rows_suppressed, k_achieved, l_achieved).",
        "",
        "Generalisations applied in this release:",
        "",
        *[f"- {step.description}" for step in LADDER[: level + 1]],
        "",
        "| column | meaning |",
        "|---|---|",
        *[f"| {name} | {text} |" for name, text in MICRODATA.items()],
        "",
        "## tables/",
        "",
        "The protected aggregate tables exactly as published to management (column",
        "descriptions in the leerdata documentation of each mart). A blank measure with",
        "suppressed = true is a suppressed cell: fewer than min_cell_size persons, a group",
        "disclosure, or a complement that keeps another suppressed cell from being",
        "recomputed. Rates are ratios of the counts next to them; participants are",
        "person-quarters (a year sums its quarters).",
        "",
        *[f"- {name}.csv" for name in tables],
        "",
    ]
    return "\n".join(lines)
