"""Every question a page asks the warehouse, by name (issue 17): fixed SQL text, values
only as parameters (lists as one list parameter, never spliced in), and all of it through
`data.query`, so the allow-list and the viewer's department views (issue 15) apply to
each one. Pages call these functions and hold no SQL.

Grouped by page; a query two pages share sits with the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import polars as pl

from dashboards import data

Lang = Literal["nl", "en"]


def _codes(values: list[str]) -> tuple[str, ...]:
    """A list parameter (a tuple, so that it can be part of the cache key)."""
    return tuple(values)


# --- shared --------------------------------------------------------------------------------


def built_at() -> datetime | None:
    """When the shown build started (None for a build without its quality mart)."""
    if not data.table_exists("mart_quality_build"):
        return None
    frame = data.query("select built_at from mart_quality_build")
    return frame["built_at"][0] if frame.height else None


def department_names(lang: Lang) -> dict[str, str]:
    """Department code → name in `lang`."""
    if not data.table_exists("dim_departments"):
        return {}
    frame = data.query(
        "select department_code, "
        "case when $lang = 'en' then department_name_en else department_name_nl end as name "
        "from dim_departments",
        {"lang": lang},
    )
    return dict(zip(frame["department_code"], frame["name"], strict=True))


# --- Overzicht and Deelname (mart_participation) ------------------------------------------


def participation_departments() -> list[str]:
    return data.query(
        "select distinct department_code from mart_participation order by department_code"
    )["department_code"].to_list()


def participation_quarters() -> list[str]:
    return data.query("select distinct quarter from mart_participation order by quarter")[
        "quarter"
    ].to_list()


def department_totals(departments: list[str]) -> pl.DataFrame:
    """Every quarter's published department totals of these departments."""
    return data.query(
        "select quarter, department_code, participants, completions, enrolments, suppressed "
        "from mart_participation where breakdown = 'total' "
        "and list_contains($departments::varchar[], department_code) "
        "order by quarter, department_code",
        {"departments": _codes(departments)},
    )


def department_totals_between(first: str, last: str, departments: list[str]) -> pl.DataFrame:
    return data.query(
        "select quarter, department_code, participants, enrolments, completion_rate, "
        "training_hours, spend_eur, suppressed from mart_participation "
        "where breakdown = 'total' and quarter between $first and $last "
        "and list_contains($departments::varchar[], department_code) "
        "order by quarter, department_code",
        {"first": first, "last": last, "departments": _codes(departments)},
    )


def participation_breakdown(
    breakdown: str, first: str, last: str, departments: list[str]
) -> pl.DataFrame:
    return data.query(
        "select quarter, department_code, breakdown_value, participants, enrolments, "
        "completion_rate, training_hours, spend_eur, suppressed from mart_participation "
        "where breakdown = $breakdown and quarter between $first and $last "
        "and list_contains($departments::varchar[], department_code) "
        "order by quarter, department_code, breakdown_value",
        {
            "breakdown": breakdown,
            "first": first,
            "last": last,
            "departments": _codes(departments),
        },
    )


def spend_per_quarter(debtors: list[str]) -> pl.DataFrame:
    """What these departments are charged per quarter (they are the debtor)."""
    return data.query(
        "select quarter, sum(amount_eur) as spend_eur from mart_settlement_matrix "
        "where list_contains($debtors::varchar[], debtor_department_code) "
        "group by quarter order by quarter",
        {"debtors": _codes(debtors)},
    )


def disputed_invoices_per_quarter() -> pl.DataFrame:
    return data.query(
        "select year(issue_date) || '-Q' || quarter(issue_date) as quarter, "
        "count(*) filter (where status in ('disputed', 'partially_disputed')) "
        "as disputed_invoices, sum(disputed_total_eur) as disputed_eur "
        "from fct_invoice_checks where issue_date is not null group by all order by quarter"
    )


# --- Verrekening ----------------------------------------------------------------------------


def settlement_quarters() -> list[str]:
    return data.query("select distinct quarter from mart_settlement_matrix order by quarter")[
        "quarter"
    ].to_list()


def settlement_matrix(quarter: str) -> pl.DataFrame:
    return data.query(
        "select debtor_department_code, creditor_department_code, "
        "sum(amount_eur) as amount_eur from mart_settlement_matrix where quarter = $quarter "
        "group by debtor_department_code, creditor_department_code",
        {"quarter": quarter},
    )


def net_positions(quarter: str) -> pl.DataFrame:
    return data.query(
        "select department_code, sum(receivable_eur) as receivable_eur, "
        "sum(payable_eur) as payable_eur, sum(net_eur) as net_eur "
        "from mart_department_statements where quarter = $quarter "
        "group by department_code order by net_eur desc, department_code",
        {"quarter": quarter},
    )


def department_statement(quarter: str, department: str) -> pl.DataFrame:
    return data.query(
        "select quarter, department_code, counterparty_department_code, counterparty_name_nl, "
        "payable_eur, receivable_eur, net_eur from mart_department_statements "
        "where quarter = $quarter and department_code = $department "
        "order by counterparty_department_code",
        {"quarter": quarter, "department": department},
    )


# --- Factuurcontrole ------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceSelection:
    """The sidebar's selection: issue months (YYYY-MM, inclusive), one supplier or all
    (None), and the invoice statuses shown."""

    first_month: str
    last_month: str
    supplier: str | None
    statuses: tuple[str, ...]

    def params(self) -> dict[str, object]:
        # Dates rather than strftime(issue_date) so the scan can skip row groups by date.
        year, month = int(self.last_month[:4]), int(self.last_month[5:])
        return {
            "from_date": date(int(self.first_month[:4]), int(self.first_month[5:]), 1),
            "until_date": date(year + month // 12, month % 12 + 1, 1),
            "supplier": self.supplier,
        }

    def with_statuses(self) -> dict[str, object]:
        return {**self.params(), "statuses": self.statuses}


# The selection on a table with issue_date and supplier_id (alias `rows`).
_SELECTED = (
    "rows.issue_date >= $from_date and rows.issue_date < $until_date "
    "and ($supplier::varchar is null or rows.supplier_id = $supplier)"
)
_STATUS_SELECTED = "list_contains($statuses::varchar[], rows.status)"


def invoice_suppliers() -> pl.DataFrame:
    return data.query(
        "select distinct invoices.supplier_id, suppliers.supplier_name "
        "from fct_invoice_checks as invoices "
        "left join dim_suppliers as suppliers on invoices.supplier_id = suppliers.supplier_id "
        "order by suppliers.supplier_name nulls last, invoices.supplier_id"
    )


def invoice_months() -> list[str]:
    return data.query(
        "select distinct strftime(issue_date, '%Y-%m') as month from fct_invoice_checks "
        "where issue_date is not null order by month"
    )["month"].to_list()


def invoice_totals(selection: InvoiceSelection) -> dict[str, object]:
    return data.query(
        "select count(*) as invoices, coalesce(sum(approved_total_eur), 0) as approved, "
        "coalesce(sum(disputed_total_eur), 0) as disputed, "
        # credit notes in dispute count with their sign: said under the total
        "count(*) filter (where disputed_total_eur < 0) as disputed_credits, "
        "coalesce(sum(disputed_total_eur) filter (where disputed_total_eur < 0), 0) "
        "as disputed_credits_eur, "
        "coalesce(sum(on_hold_total_eur), 0) as on_hold "
        f"from fct_invoice_checks as rows where {_SELECTED} and {_STATUS_SELECTED}",
        selection.with_statuses(),
    ).row(0, named=True)


def dispute_summary(selection: InvoiceSelection) -> pl.DataFrame:
    """Per supplier: disputed money, disputed lines, and the reason with most money."""
    return data.query(
        "with lines as (select supplier_id, disputed_amount_eur, "
        "unnest(string_split(reason_codes, ',')) as reason_code "
        f"from fct_invoice_line_checks as rows where verdict = 'disputed' and {_SELECTED}), "
        "per_reason as (select supplier_id, reason_code, sum(disputed_amount_eur) as amount "
        "from lines group by all), "
        "ranked as (select *, row_number() over (partition by supplier_id "
        "order by amount desc, reason_code) as reason_rank from per_reason), "
        "totals as (select supplier_id, sum(disputed_total_eur) as disputed_eur, "
        "sum(disputed_line_count) as disputed_lines from fct_invoice_checks as rows "
        f"where {_SELECTED} group by all having sum(disputed_total_eur) > 0) "
        "select totals.supplier_id, totals.disputed_eur, totals.disputed_lines, "
        "ranked.reason_code as main_reason, ranked.amount as main_reason_eur "
        "from totals left join ranked on totals.supplier_id = ranked.supplier_id "
        "and ranked.reason_rank = 1 "
        "order by totals.disputed_eur desc, totals.supplier_id",
        selection.params(),
    )


def disputes_by_reason(selection: InvoiceSelection) -> pl.DataFrame:
    return data.query(
        "with lines as (select disputed_amount_eur, "
        "unnest(string_split(reason_codes, ',')) as reason_code "
        f"from fct_invoice_line_checks as rows where verdict = 'disputed' and {_SELECTED}) "
        "select reason_code, count(*) as disputed_lines, sum(disputed_amount_eur) as amount_eur "
        "from lines group by all order by amount_eur desc, reason_code",
        selection.params(),
    )


def dispute_trend(selection: InvoiceSelection) -> pl.DataFrame:
    """Disputed money per quarter and supplier (per month it jumps too much)."""
    return data.query(
        "select year(issue_date) || '-Q' || quarter(issue_date) as quarter, supplier_id, "
        "sum(disputed_total_eur) as disputed_eur from fct_invoice_checks as rows "
        f"where {_SELECTED} group by all order by quarter, supplier_id",
        selection.params(),
    )


def invoices_by_supplier(selection: InvoiceSelection) -> pl.DataFrame:
    # Per supplier id, named as on the rest of the page ("Kolster Leergroep (SUP001)"):
    # two suppliers may trade under one name.
    return data.query(
        "select coalesce(suppliers.supplier_name || ' (' || rows.supplier_id || ')', "
        "rows.supplier_id, '?') as supplier, "
        "rows.status, count(*) as invoices "
        "from fct_invoice_checks as rows "
        "left join dim_suppliers as suppliers on rows.supplier_id = suppliers.supplier_id "
        f"where {_SELECTED} and {_STATUS_SELECTED} "
        "group by all order by supplier, rows.status",
        selection.with_statuses(),
    )


def invoices_by_month(selection: InvoiceSelection) -> pl.DataFrame:
    return data.query(
        "select strftime(issue_date, '%Y-%m') as month, status, count(*) as invoices "
        f"from fct_invoice_checks as rows where {_SELECTED} and {_STATUS_SELECTED} "
        "group by all order by month, status",
        selection.with_statuses(),
    )


def supplier_net_positions(supplier: str | None) -> pl.DataFrame:
    return data.query(
        "select supplier_id, invoice_count, credit_note_count, corrective_invoice_count, "
        "invoiced_total_eur, credited_total_eur, net_approved_total_eur, "
        "net_disputed_total_eur, net_on_hold_total_eur, unplaced_credit_total_eur, "
        "settled_line_count from mart_supplier_net_positions "
        "where $supplier::varchar is null or supplier_id = $supplier order by supplier_id",
        {"supplier": supplier},
    )


def invoices(selection: InvoiceSelection) -> pl.DataFrame:
    """The selected invoices, newest first, with the reasons of the invoice and its lines
    (so a partially disputed invoice says why)."""
    return data.query(
        "with selected as (select * from fct_invoice_checks as rows "
        f"where {_SELECTED} and {_STATUS_SELECTED}), "
        "line_codes as (select lines.invoice_id, "
        "unnest(string_split(lines.reason_codes, ',')) as code "
        "from fct_invoice_line_checks as lines semi join selected "
        "on lines.invoice_id = selected.invoice_id where lines.reason_codes <> ''), "
        "invoice_codes as (select invoice_id, unnest(string_split(reason_codes, ',')) as code "
        "from selected where reason_codes <> ''), "
        "codes as (select invoice_id, string_agg(distinct code, ',' order by code) as all_codes "
        "from (select * from line_codes union select * from invoice_codes) group by invoice_id) "
        "select selected.invoice_id, selected.supplier_id, selected.issue_date, "
        "selected.invoiced_total_eur, selected.approved_total_eur, "
        "selected.disputed_total_eur, selected.on_hold_total_eur, selected.status, "
        "selected.reason_codes, selected.document_type, selected.corrected_invoice_id, "
        "coalesce(codes.all_codes, '') as all_reason_codes "
        "from selected left join codes using (invoice_id) "
        "order by selected.issue_date desc, selected.invoice_id",
        selection.with_statuses(),
    )


def invoice_lines(invoice_id: str) -> pl.DataFrame:
    return data.query(
        "select line_id, order_line_ref, course_id, invoiced_amount_eur, expected_amount_eur, "
        "approved_amount_eur, disputed_amount_eur, on_hold_amount_eur, verdict, reason_codes, "
        "adjusted_by_invoice_ids, net_verdict "
        "from fct_invoice_line_checks where invoice_id = $invoice_id "
        "order by try_cast(line_id as bigint), line_id",
        {"invoice_id": invoice_id},
    )


def dispute_lines(selection: InvoiceSelection) -> pl.DataFrame:
    """The dispute file: newest first (what arrived last is what finance works on)."""
    return data.query(
        "select supplier_id, supplier_name, invoice_id, issue_date, dispute_level, line_id, "
        "order_line_ref, course_id, course_title, invoiced_amount_eur, expected_amount_eur, "
        "approved_amount_eur, disputed_amount_eur, reason_codes, reasons_nl, document_type, "
        "corrected_invoice_id, adjusted_by_invoice_ids, credited_amount_eur, "
        "net_disputed_amount_eur, net_verdict "
        f"from mart_invoice_disputes as rows where {_SELECTED} "
        "order by issue_date desc, invoice_id desc, try_cast(line_id as bigint) nulls first, "
        "line_id",
        selection.params(),
    )


# --- Evaluatie ------------------------------------------------------------------------------

Granularity = Literal["quarter", "year"]
EvaluationLevel = Literal["course", "supplier", "category"]

# One fixed text per level and grain: the marts and joins are chosen by name, never
# spliced from input.
_EVALUATION_MEASURES = (
    "cells.participants, cells.completion_rate, cells.attendance_rate, cells.no_show_rate, "
    "cells.pass_rate, cells.mean_overall, cells.nps, cells.responses, "
    "cells.cost_per_completion_eur, cells.mean_completion_days, cells.suppressed"
)
_EVALUATION_ENTITIES: dict[EvaluationLevel, tuple[str, str, str]] = {
    # level: (mart, entity select, join)
    "course": (
        "mart_course_evaluation",
        "cells.course_id as entity_id, courses.course_title as entity_name",
        "left join dim_courses as courses on cells.course_id = courses.course_id",
    ),
    "supplier": (
        "mart_supplier_evaluation",
        "cells.supplier_id as entity_id, suppliers.supplier_name as entity_name",
        "left join dim_suppliers as suppliers on cells.supplier_id = suppliers.supplier_id",
    ),
    "category": (
        "mart_category_evaluation",
        "cells.category_code as entity_id, case when $lang = 'en' "
        "then categories.category_name_en else categories.category_name_nl end as entity_name",
        "left join (select distinct category_code, category_name_nl, category_name_en "
        "from dim_courses) as categories on cells.category_code = categories.category_code",
    ),
}
# grain: (mart suffix, period column)
_GRAINS: dict[Granularity, tuple[str, str]] = {
    "quarter": ("", "quarter"),
    "year": ("_yearly", "year"),
}


def _evaluation_sql(level: EvaluationLevel, granularity: Granularity) -> str:
    mart, entity, join = _EVALUATION_ENTITIES[level]
    suffix, period = _GRAINS[granularity]
    return (
        f"select {entity}, {_EVALUATION_MEASURES} from {mart}{suffix} as cells {join} "
        f"where cells.{period} = $period order by entity_id"
    )


EVALUATION_SQL: dict[tuple[EvaluationLevel, Granularity], str] = {
    (level, grain): _evaluation_sql(level, grain)
    for level in _EVALUATION_ENTITIES
    for grain in _GRAINS
}


EVALUATION_MEASURE_COLUMNS = (
    "completion_rate",
    "attendance_rate",
    "no_show_rate",
    "pass_rate",
    "mean_overall",
    "nps",
    "cost_per_completion_eur",
    "mean_completion_days",
)
_ANY_SCORED = " or ".join(f"{column} is not null" for column in EVALUATION_MEASURE_COLUMNS)


def evaluation_periods(granularity: Granularity) -> pl.DataFrame:
    """The periods of the grain, and whether a published cell has any figure to rank (a
    rate or mean is NULL below min_cell_size persons)."""
    suffix, period = _GRAINS[granularity]
    return data.query(
        f"select {period} as period, bool_or(not suppressed and ({_ANY_SCORED})) "
        f"as has_published from mart_course_evaluation{suffix} group by all order by period"
    )


def evaluation_cells(
    level: EvaluationLevel, granularity: Granularity, period: str | int, lang: Lang
) -> pl.DataFrame:
    sql = EVALUATION_SQL[(level, granularity)]
    params: dict[str, object] = {"period": period}
    if "$lang" in sql:
        params["lang"] = lang
    return data.query(sql, params)


# --- Datakwaliteit --------------------------------------------------------------------------


def build_summary() -> dict[str, object]:
    return data.query(
        "select build_id, built_at, dbt_version, min_cell_size, has_retention_runs, "
        "batches_loaded, rows_read, rows_loaded, rows_quarantined, is_every_batch_conserved "
        "from mart_quality_build"
    ).row(0, named=True)


def latest_file_count() -> int:
    return int(
        data.query(
            "select count(*) as files from mart_quality_loads where is_latest_batch_of_file"
        )["files"][0]
    )


def freshness() -> pl.DataFrame:
    """Per source: its last delivery, unchanged files included (UBL invoice files carry no
    date in their name: their newest data is the newest issue date)."""
    return data.query(
        "with invoices as (select max(issue_date) as newest from fct_invoice_checks) "
        "select freshness.source_name, freshness.files_delivered, freshness.rows_loaded, "
        "freshness.rows_quarantined, "
        "coalesce(freshness.newest_delivery_date, case when freshness.source_name = 'invoices' "
        "then invoices.newest end) as newest_date, "
        "freshness.last_delivered_at from mart_quality_freshness as freshness, invoices "
        "order by freshness.source_name"
    )


_REASON_LABEL = "case when $lang = 'en' then reason_label_en else reason_label_nl end"


def quarantine_by_reason(lang: Lang) -> pl.DataFrame:
    return data.query(
        f"select reason_code, any_value({_REASON_LABEL}) as reason, "
        "cast(sum(quarantined_rows) as bigint) as quarantined_rows "
        "from mart_quality_quarantine where is_latest_batch_of_file "
        "group by reason_code order by quarantined_rows desc, reason_code",
        {"lang": lang},
    )


def quarantine_by_file(lang: Lang) -> pl.DataFrame:
    return data.query(
        f"select source_name, file_name, reason_code, {_REASON_LABEL} as reason, "
        "quarantined_rows from mart_quality_quarantine where is_latest_batch_of_file "
        "order by quarantined_rows desc, file_name, reason_code",
        {"lang": lang},
    )


def loads() -> pl.DataFrame:
    return data.query(
        "select source_name, file_name, rows_read, rows_loaded, rows_quarantined, "
        "is_conserved, load_status, loaded_at from mart_quality_loads "
        "order by loaded_at desc, batch_id desc"
    )


def retention_runs() -> pl.DataFrame:
    if not data.table_exists("mart_quality_retention_runs"):
        return pl.DataFrame()
    return data.query(
        "select run_at, run_kind, as_of_date, persons_erased, enrolments_unlinked, "
        "person_years_after_exit, enrolment_link_months from mart_quality_retention_runs "
        "order by run_at desc"
    )
