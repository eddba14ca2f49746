"""The data dictionary shipped with every research release."""

from __future__ import annotations

from leerdata.research.anonymise import SUPPRESSED, WITHHELD
from leerdata.research.microdata import LADDER
from leerdata.sdc.ptable import MAX_NOISE

MICRODATA = {
    "enrolment_pseudonym": "Pseudonym of the enrolment (one row), valid in this release "
    "only (keyed HMAC in the domain named in manifest.json). There is deliberately no "
    "person pseudonym: rows of one person cannot be linked.",
    "age_band": "Age in the year of the session (from birth year), banded.",
    "department_code": "Ministry of the participant at the start of their first session "
    "in the quarter.",
    "scale_band": "Salary-scale band (BBRA) at that date.",
    "gender": "M, F, X or unknown.",
    "category_code": "Course category.",
    "period": "Quarter (YYYY-Qn) of the session start, or the year when generalised.",
    "delivery_mode": "How the course is delivered (or in_person / online when generalised).",
    "completion_status": "Sensitive. completed, no_show, enrolled (outcome not yet "
    f"recorded) or {WITHHELD}.",
    "exam_result": f"Sensitive. passed (at some attempt), failed, not_examined or {WITHHELD}.",
    "overall_score": "Sensitive. Overall evaluation score 1-10 given with the enrolment "
    f"(empty when none or given anonymously) or {WITHHELD}.",
}


def data_dictionary(level: int, tables: list[str], min_cell_size: int) -> str:
    lines = [
        "# Data dictionary",
        "",
        "## microdata.csv",
        "",
        "One row per admitted enrolment (enrolled, completed or no-show), with no link",
        "between the rows of one person. Every combination of quasi-identifiers",
        "(age_band ... delivery_mode) is shared by at least k distinct persons: where it",
        f"was not, single values were replaced by `{SUPPRESSED}` (local suppression; a row",
        "that needed too many was dropped). A sensitive attribute shows, per combination,",
        "either no informative value or at least l distinct ones: where it showed 1 to",
        f"l-1, those values read `{WITHHELD}`. Empty, not_examined and enrolled are not",
        "informative. Counts: manifest.json (rows_suppressed, values_locally_suppressed,",
        "sensitive_values_withheld, k_achieved, l_achieved).",
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
        "descriptions in the leerdata documentation of each mart), protected by the cell",
        f"key method: every count is perturbed, at most {MAX_NOISE} up or down, the same way every",
        "time for the same records; zero stays zero and a non-empty cell never shows as 1",
        "or 2; from a true count of 5 up the noise averages zero. Totals therefore do not",
        "always add up exactly. Rates are ratios of the perturbed counts (at most 1); means",
        "use the true sums, coarsely rounded; both are shown only where the published",
        f"count behind them is at least {min_cell_size + MAX_NOISE} "
        f"(so over at least {min_cell_size} persons).",
        "A blank measure with suppressed = true is a withheld cell (rare): the other",
        "published figures would have pinned its small true count, or it is withheld",
        "with such a cell so that the cell cannot be worked out. Participants count",
        "person-quarters: a person in two quarters of a year counts twice in the year.",
        "",
        *[f"- {name}.csv" for name in tables],
        "",
    ]
    return "\n".join(lines)
