"""Utility of the protected marts: what disclosure control hides or changes, per table.

    python benchmarks/disclosure_utility.py --data-dir D

Reads the true cells (restricted zone) and the published marts of a built warehouse and
prints, per published table: cells, cells withheld, cells with a perturbed count, the
share of persons (person-quarters) in withheld cells, the mean absolute noise of
participants and of all counts, and the share of cells with enough contributors for a
completion rate that publish one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from leerdata.duckdb_rows import one_row
from leerdata.sdc.reader_model import EVALUATION_COUNTS, PARTICIPATION_COUNTS

EVALUATION = {
    "mart_course_evaluation": ("course", "course_id", "quarter"),
    "mart_course_evaluation_yearly": ("course", "course_id", "year"),
    "mart_supplier_evaluation": ("supplier", "supplier_id", "quarter"),
    "mart_supplier_evaluation_yearly": ("supplier", "supplier_id", "year"),
    "mart_category_evaluation": ("category", "category_code", "quarter"),
    "mart_category_evaluation_yearly": ("category", "category_code", "year"),
}


def _row(con: duckdb.DuckDBPyConnection, mart: str, join: str, counts: tuple[str, ...]) -> tuple:
    noise = " + ".join(f"abs(p.{c} - t.{c})" for c in counts)
    changed = " or ".join(f"p.{c} <> t.{c}" for c in counts)
    return one_row(
        con,
        f"""
        select
            count(*),
            count(*) filter (where p.suppressed),
            count(*) filter (where not p.suppressed and ({changed})),
            coalesce(sum(t.participants) filter (where p.suppressed), 0)
                / nullif(sum(t.participants), 0),
            avg(abs(p.participants - t.participants)) filter (where not p.suppressed),
            avg(({noise}) / {len(counts)}) filter (where not p.suppressed),
            count(p.completion_rate) / nullif(count(*) filter (where t.enrolments >= 10), 0)
        from reporting.{mart} as p
        join {join}
        """,
    )


def report(data_dir: Path) -> str:
    warehouse = data_dir / "warehouse"
    lines = [
        "| table | cells | withheld | perturbed | persons in withheld cells | "
        "mean abs. noise (participants / all counts) | rates published where allowed |",
        "|---|---|---|---|---|---|---|",
    ]
    with duckdb.connect(str(warehouse / "restricted.duckdb"), read_only=True) as con:
        con.execute(f"attach '{warehouse / 'reporting.duckdb'}' as reporting (read_only)")
        for mart, (level, column, period_type) in EVALUATION.items():
            period = "p.quarter" if period_type == "quarter" else "cast(p.year as varchar)"
            join = (
                f"int_evaluation_cells as t on t.evaluation_level = '{level}' "
                f"and t.entity_id = p.{column} and t.period_type = '{period_type}' "
                f"and t.period = {period}"
            )
            lines.append(_line(mart, _row(con, mart, join, EVALUATION_COUNTS)))
        for mart, period_type in (
            ("mart_participation", "quarter"),
            ("mart_participation_yearly", "year"),
        ):
            period = "p.quarter" if period_type == "quarter" else "cast(p.year as varchar)"
            join = (
                "int_participation_cells as t on t.department_code = p.department_code "
                "and t.breakdown = p.breakdown and t.breakdown_value = p.breakdown_value "
                f"and t.period_type = '{period_type}' and t.period = {period}"
            )
            lines.append(_line(mart, _row(con, mart, join, PARTICIPATION_COUNTS)))
    return "\n".join(lines)


def _line(mart: str, row: tuple) -> str:
    cells, withheld, perturbed, persons_share, noise_p, noise_all, rates = row
    return (
        f"| {mart} | {cells:,} | {withheld / cells:.1%} | {perturbed / cells:.1%} | "
        f"{float(persons_share or 0):.1%} | {noise_p or 0:.2f} / {noise_all or 0:.2f} | "
        f"{float(rates or 0):.1%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    print(report(parser.parse_args().data_dir))


if __name__ == "__main__":
    main()
