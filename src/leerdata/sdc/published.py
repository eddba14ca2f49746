"""Audit of a built reporting database, from the published rows alone.

For each protected table we read the marts as a reader would (suppressed cells have
NULL measures), rebuild the table's relations from the rows' keys (leerdata.sdc.marts)
and check three things:

- no published cell describes fewer than min_cell_size persons;
- a suppressed cell publishes no measure (all NULL, never 0);
- no suppressed cell's feasible interval (LP over the published cells, margins and
  non-negativity) is narrower than the protection width.

`leerdata build` runs this on the fresh file before it is swapped in and refuses to
publish when anything is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from leerdata.sdc.audit import AuditError, exposed_cells
from leerdata.sdc.marts import EVALUATION, PARTICIPATION, PERSONS, MartTable
from leerdata.sdc.tables import ProtectionRule

EVALUATION_MARTS: dict[str, tuple[str, str, str]] = {
    # mart -> (evaluation_level, entity column, period_type)
    "mart_course_evaluation": ("course", "course_id", "quarter"),
    "mart_course_evaluation_yearly": ("course", "course_id", "year"),
    "mart_supplier_evaluation": ("supplier", "supplier_id", "quarter"),
    "mart_supplier_evaluation_yearly": ("supplier", "supplier_id", "year"),
    "mart_category_evaluation": ("category", "category_code", "quarter"),
    "mart_category_evaluation_yearly": ("category", "category_code", "year"),
}
PARTICIPATION_MARTS: dict[str, str] = {
    "mart_participation": "quarter",
    "mart_participation_yearly": "year",
}
KEY_COLUMNS = frozenset(
    {
        "course_id",
        "supplier_id",
        "category_code",
        "quarter",
        "year",
        "department_code",
        "breakdown",
        "breakdown_value",
        "suppressed",
        "suppression_reason",
    }
)


@dataclass(frozen=True)
class Finding:
    table: str
    cell: str  # the cell's keys, readable
    problem: str  # small_cell_published | measure_published | exposed | inconsistent
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.table} {self.cell}: {self.problem} {self.detail}".strip()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    }


def _measure_leaks(con: duckdb.DuckDBPyConnection, mart: str) -> list[Finding]:
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where database_name = current_database() and table_name = ?",
            [mart],
        ).fetchall()
        if name not in KEY_COLUMNS
    ]
    if not columns:
        return []
    any_value = " or ".join(f'"{c}" is not null' for c in columns)
    (count,) = con.execute(
        f"select count(*) from {mart} where suppressed and ({any_value})"
    ).fetchone()
    return [Finding(mart, "*", "measure_published", f"{count} suppressed rows")] if count else []


def _evaluation_rows(con: duckdb.DuckDBPyConnection, present: set[str]) -> list[dict]:
    rows: list[dict] = []
    for mart, (level, entity, period_type) in EVALUATION_MARTS.items():
        if mart not in present:
            continue
        nesting = "category_code, supplier_id" if level == "course" else "null, null"
        period = "quarter" if period_type == "quarter" else "cast(year as varchar)"
        for record in con.execute(
            f"select {entity}, {nesting}, {period}, year, {PERSONS}, suppressed from {mart}"
        ).fetchall():
            entity_id, category, supplier, period_value, year, persons, suppressed = record
            rows.append(
                {
                    "mart": mart,
                    "evaluation_level": level,
                    "entity_id": entity_id,
                    "category_code": category,
                    "supplier_id": supplier,
                    "period_type": period_type,
                    "period": period_value,
                    "year": year,
                    PERSONS: persons,
                    "suppressed": suppressed,
                }
            )
    return rows


def _participation_rows(con: duckdb.DuckDBPyConnection, present: set[str]) -> list[dict]:
    rows: list[dict] = []
    for mart, period_type in PARTICIPATION_MARTS.items():
        if mart not in present:
            continue
        period = "quarter" if period_type == "quarter" else "cast(year as varchar)"
        for record in con.execute(
            f"select department_code, breakdown, breakdown_value, {period}, year, "
            f"{PERSONS}, suppressed from {mart}"
        ).fetchall():
            department, breakdown, value, period_value, year, persons, suppressed = record
            rows.append(
                {
                    "mart": mart,
                    "department_code": department,
                    "breakdown": breakdown,
                    "breakdown_value": value,
                    "period_type": period_type,
                    "period": period_value,
                    "year": year,
                    PERSONS: persons,
                    "suppressed": suppressed,
                }
            )
    return rows


def _describe(row: dict) -> str:
    skip = {"mart", PERSONS, "suppressed"}
    return ", ".join(f"{k}={v}" for k, v in row.items() if k not in skip and v is not None)


def audit_rows(rows: list[dict], table: MartTable, rule: ProtectionRule) -> list[Finding]:
    """The checks on one protected table given as published rows."""
    findings = [
        Finding(row["mart"], _describe(row), "small_cell_published", f"{row[PERSONS]} persons")
        for row in rows
        if not row["suppressed"] and (row[PERSONS] or 0) < rule.min_cell_size
    ]
    suppressed = {i for i, row in enumerate(rows) if row["suppressed"]}
    values = [None if row["suppressed"] else row[PERSONS] for row in rows]
    try:
        exposed = exposed_cells(values, suppressed, table.relations(rows), rule)
    except AuditError as exc:
        # Published cells that contradict their own margins: a broken build, never safe.
        return [*findings, Finding(table.name, "*", "inconsistent", str(exc))]
    for interval in exposed:
        row = rows[interval.cell]
        findings.append(
            Finding(
                row["mart"],
                _describe(row),
                "exposed",
                f"feasible [{interval.low:g}, {interval.high:g}] narrower than "
                f"{rule.required_width(interval.low):g}",
            )
        )
    return findings


def audit_reporting(db_file: Path, min_cell_size: int) -> list[Finding]:
    """Every finding on the protected marts of one reporting database file."""
    rule = ProtectionRule(min_cell_size=min_cell_size)
    with duckdb.connect(str(db_file), read_only=True) as con:
        present = _tables(con)
        findings: list[Finding] = []
        for mart in [*EVALUATION_MARTS, *PARTICIPATION_MARTS]:
            if mart in present:
                findings += _measure_leaks(con, mart)
        findings += audit_rows(_evaluation_rows(con, present), EVALUATION, rule)
        findings += audit_rows(_participation_rows(con, present), PARTICIPATION, rule)
    return findings
