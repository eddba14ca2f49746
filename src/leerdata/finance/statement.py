"""`leerdata statement`: one department's settlement statement for one quarter."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from leerdata.config import DataPaths
from leerdata.errors import LeerdataError
from leerdata.finance.reporting import open_reporting

QUARTER_PATTERN = re.compile(r"\d{4}-Q[1-4]")

SUMMARY_COLUMNS: tuple[str, ...] = (
    "quarter",
    "department_code",
    "counterparty_department_code",
    "counterparty_name_nl",
    "payable_eur",
    "receivable_eur",
    "net_eur",
)
DETAIL_COLUMNS: tuple[str, ...] = (
    "direction",
    "counterparty_department_code",
    "course_id",
    "session_id",
    "cost_type",
    "allocations",
    "amount_eur",
)


@dataclass(frozen=True)
class Statement:
    department_code: str
    quarter: str
    lines: list[tuple]  # SUMMARY_COLUMNS, one per counterparty
    details: list[tuple]  # DETAIL_COLUMNS, per course/session/cost type
    payable_eur: Decimal
    receivable_eur: Decimal

    @property
    def net_eur(self) -> Decimal:
        return self.receivable_eur - self.payable_eur

    def total_row(self) -> tuple:
        return (
            self.quarter,
            self.department_code,
            "TOTAAL",
            "",
            self.payable_eur,
            self.receivable_eur,
            self.net_eur,
        )


def read_statement(paths: DataPaths, department_code: str, quarter: str) -> Statement:
    if not QUARTER_PATTERN.fullmatch(quarter):
        raise LeerdataError(f"quarter {quarter!r} is not of the form YYYY-Qn, e.g. 2025-Q3")
    with open_reporting(paths) as con:
        known = con.execute(
            "select count(*) from dim_departments where department_code = ?", [department_code]
        ).fetchone()
        if not known or known[0] == 0:
            raise LeerdataError(f"unknown department {department_code!r}")
        columns = ", ".join(SUMMARY_COLUMNS)
        lines = con.execute(
            f"select {columns} from mart_department_statements "
            "where department_code = ? and quarter = ? order by counterparty_department_code",
            [department_code, quarter],
        ).fetchall()
        # The allocation rows behind the statement, without pseudonyms: per course,
        # session and cost type, in both directions; the department's own use is left out
        # as in the statement.
        details = con.execute(
            """
            select direction, counterparty_department_code, course_id, session_id, cost_type,
                   count(*) as allocations, sum(amount_eur) as amount_eur
            from (
                select 'payable' as direction,
                       creditor_department_code as counterparty_department_code,
                       course_id, session_id, cost_type, amount_eur
                from fct_cost_allocation
                where debtor_department_code = $dept and creditor_department_code <> $dept
                  and quarter = $quarter
                union all
                select 'receivable', debtor_department_code,
                       course_id, session_id, cost_type, amount_eur
                from fct_cost_allocation
                where creditor_department_code = $dept and debtor_department_code <> $dept
                  and quarter = $quarter
            )
            group by all
            order by direction, counterparty_department_code, course_id, session_id, cost_type
            """,
            {"dept": department_code, "quarter": quarter},
        ).fetchall()
    payable = sum((row[4] for row in lines), Decimal("0.00"))
    receivable = sum((row[5] for row in lines), Decimal("0.00"))
    return Statement(department_code, quarter, lines, details, payable, receivable)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def write_csv(statement: Statement, out: Path) -> None:
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(SUMMARY_COLUMNS)
        for row in [*statement.lines, statement.total_row()]:
            writer.writerow([_cell(v) for v in row])


def write_xlsx(statement: Statement, out: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(out))
    try:
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        money_bold = workbook.add_format({"num_format": "#,##0.00", "bold": True})
        money_columns = {"payable_eur", "receivable_eur", "net_eur", "amount_eur"}

        def sheet(name: str, columns: tuple[str, ...], rows: list[tuple], total: tuple | None):
            ws = workbook.add_worksheet(name)
            ws.write_row(0, 0, columns, bold)
            for r, row in enumerate(rows, start=1):
                for c, (column, value) in enumerate(zip(columns, row, strict=True)):
                    if column in money_columns and value is not None:
                        # Excel stores doubles; the cents are exact at these magnitudes.
                        ws.write_number(r, c, float(value), money)
                    else:
                        ws.write(r, c, value)
            if total is not None:
                r = len(rows) + 1
                for c, (column, value) in enumerate(zip(columns, total, strict=True)):
                    if column in money_columns:
                        ws.write_number(r, c, float(value), money_bold)
                    else:
                        ws.write(r, c, value, bold)
            ws.set_column(0, len(columns) - 1, 18)

        sheet("Overzicht", SUMMARY_COLUMNS, statement.lines, statement.total_row())
        sheet("Specificatie", DETAIL_COLUMNS, statement.details, None)
    finally:
        workbook.close()


def export_statement(paths: DataPaths, department_code: str, quarter: str, out: Path) -> Statement:
    """Write the statement to `out`: CSV (`;`), or an Excel workbook when it ends in .xlsx."""
    statement = read_statement(paths, department_code, quarter)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".xlsx":
        write_xlsx(statement, out)
    else:
        write_csv(statement, out)
    return statement
