"""`leerdata statement`: one department's settlement statement for one quarter.

Written for a finance clerk with Dutch Excel: Dutch headers and values, a header block
(period, build, note), decimal comma in the CSV (see leerdata.spreadsheet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from leerdata.atomic_file import write_atomically
from leerdata.config import DataPaths
from leerdata.errors import LeerdataError
from leerdata.finance.reporting import open_reporting
from leerdata.spreadsheet import Header, Table, to_csv_bytes, to_xlsx_bytes

QUARTER_SHAPE = re.compile(r"(\d{4})-Q(\d+)")

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
# Dutch headers and values for the files (a finance clerk opens them in Dutch Excel).
SUMMARY_LABELS: tuple[str, ...] = (
    "Kwartaal",
    "Afdeling",
    "Tegenpartij",
    "Naam tegenpartij",
    "Te betalen (€)",
    "Te ontvangen (€)",
    "Saldo (€)",
)
DETAIL_LABELS: tuple[str, ...] = (
    "Richting",
    "Tegenpartij",
    "Cursus",
    "Sessie",
    "Soort kosten",
    "Toerekeningen",
    "Bedrag (€)",
)
DIRECTION_NL = {"payable": "Te betalen", "receivable": "Te ontvangen"}
COST_TYPE_NL = {
    "participation": "Deelname",
    "no_show": "Niet verschenen",
    "late_cancellation": "Late annulering",
    "session_share": "Aandeel in sessie",
    "internal": "Interne training",
}
STATEMENT_NOTE = (
    "Verrekening tussen departementen uit goedgekeurde factuurregels en interne "
    "trainingen, exact tot op de cent; geen persoonsgegevens; eigen gebruik weggelaten."
)
SUFFIXES = (".csv", ".xlsx")

# The allocation rows behind a statement, without pseudonyms: per course, session and
# cost type, in both directions; the department's own use is left out as in the
# statement. (The dashboards run the same SQL through dashboards.data.)
DETAIL_SQL = """
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
"""


@dataclass(frozen=True)
class Statement:
    department_code: str
    quarter: str
    lines: list[tuple]  # SUMMARY_COLUMNS, one per counterparty
    details: list[tuple]  # DETAIL_COLUMNS, per course/session/cost type
    payable_eur: Decimal
    receivable_eur: Decimal
    built_at: datetime | None = None

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


def normalise_quarter(quarter: str) -> str:
    """'2025-q3' → '2025-Q3'; a clear error for anything else."""
    text = quarter.strip().upper()
    shape = QUARTER_SHAPE.fullmatch(text)
    if not shape:
        raise LeerdataError(f"quarter {quarter!r} must be written as YYYY-Qn, e.g. 2025-Q3")
    if not 1 <= int(shape.group(2)) <= 4:
        raise LeerdataError(
            f"quarter {quarter!r} does not exist: the quarter number is 1 to 4, e.g. 2025-Q3"
        )
    return text


def check_out_path(out: Path) -> None:
    if out.suffix.lower() not in SUFFIXES:
        raise LeerdataError(f"cannot write {out.name!r}: a statement is written as .csv or .xlsx")


def read_statement(paths: DataPaths, department_code: str, quarter: str) -> Statement:
    quarter = normalise_quarter(quarter)
    department_code = department_code.strip().upper()
    with open_reporting(paths) as con:
        valid = [
            row[0]
            for row in con.execute(
                "select department_code from dim_departments order by department_code"
            ).fetchall()
        ]
        if department_code not in valid:
            raise LeerdataError(
                f"unknown department {department_code!r}; valid codes: {', '.join(valid)}"
            )
        settled = [
            row[0]
            for row in con.execute(
                "select distinct quarter from mart_settlement_matrix order by quarter"
            ).fetchall()
        ]
        if quarter not in settled:
            # An all-zero statement for a quarter nobody settled would look like a real one.
            shown = f"{settled[0]} to {settled[-1]}" if settled else "none"
            raise LeerdataError(
                f"no settlements for {quarter} in this warehouse; quarters with "
                f"settlements: {shown}"
            )
        columns = ", ".join(SUMMARY_COLUMNS)
        lines = con.execute(
            f"select {columns} from mart_department_statements "
            "where department_code = ? and quarter = ? order by counterparty_department_code",
            [department_code, quarter],
        ).fetchall()
        details = con.execute(DETAIL_SQL, {"dept": department_code, "quarter": quarter}).fetchall()
        built = con.execute("select max(built_at) from mart_quality_build").fetchone()
    payable = sum((row[4] for row in lines), Decimal("0.00"))
    receivable = sum((row[5] for row in lines), Decimal("0.00"))
    built_at = built[0] if built else None
    return Statement(department_code, quarter, lines, details, payable, receivable, built_at)


def statement_header(statement: Statement) -> Header:
    return Header(
        title=f"Afrekening {statement.department_code}",
        period=statement.quarter,
        built_at=statement.built_at,
        note=STATEMENT_NOTE,
    )


def summary_table(statement: Statement) -> Table:
    rows = [*statement.lines, statement.total_row()]
    return Table(SUMMARY_LABELS, rows, money=frozenset({4, 5, 6}))


def detail_table(statement: Statement) -> Table:
    rows = [
        (DIRECTION_NL.get(d, d), party, course, session, COST_TYPE_NL.get(kind, kind), n, amount)
        for d, party, course, session, kind, n, amount in statement.details
    ]
    return Table(DETAIL_LABELS, rows, money=frozenset({6}))


def statement_csv(statement: Statement) -> bytes:
    return to_csv_bytes(statement_header(statement), summary_table(statement))


def statement_xlsx(statement: Statement) -> bytes:
    sheets = [("Overzicht", summary_table(statement)), ("Specificatie", detail_table(statement))]
    return to_xlsx_bytes(statement_header(statement), sheets)


def export_statement(paths: DataPaths, department_code: str, quarter: str, out: Path) -> Statement:
    """Write the statement to `out`: CSV (`;`, decimal comma) or an .xlsx workbook."""
    check_out_path(out)
    statement = read_statement(paths, department_code, quarter)
    if out.suffix.lower() == ".xlsx":
        write_atomically(out, statement_xlsx(statement))
    else:
        write_atomically(out, statement_csv(statement))
    return statement
