"""Factuurcontrole: invoices by status per supplier and month, line drill-down with
reasons, and the dispute file per supplier."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data, exports, formatting, ui
from dashboards.i18n import current_language, t
from dashboards.ui import Column

ui.require_marts(
    "fct_invoice_checks",
    "fct_invoice_line_checks",
    "mart_invoice_disputes",
    "mart_supplier_net_positions",
)
st.title(t("factuur.title"))
lang = current_language()  # bound into format_funcs, which may run outside a rerun

ALL = "__all__"
STATUSES = ["approved", "partially_disputed", "disputed", "on_hold"]


def reason_labels(codes: str | None) -> str:
    """'CANCELLED_IN_TIME,DUPLICATE_LINE' → 'Tijdig geannuleerd; Dubbel gefactureerd'."""
    if not codes:
        return ""
    return "; ".join(ui.translate_value("reason.", code) for code in codes.split(","))


# --- Filters: supplier, invoice months, status.
suppliers = data.query(
    "select distinct invoices.supplier_id, suppliers.supplier_name "
    "from fct_invoice_checks as invoices "
    "left join dim_suppliers as suppliers on invoices.supplier_id = suppliers.supplier_id "
    "order by suppliers.supplier_name nulls last, invoices.supplier_id"
)
supplier_names = {
    row["supplier_id"]: row["supplier_name"] or row["supplier_id"]
    for row in suppliers.iter_rows(named=True)
    if row["supplier_id"] is not None
}


def supplier_label(supplier_id: str | None) -> str:
    if supplier_id == ALL:
        return t("filter.all_suppliers", lang)
    if supplier_id is None:
        return t("value.unknown_supplier", lang)
    return f"{supplier_names.get(supplier_id, supplier_id)} ({supplier_id})"


supplier = st.sidebar.selectbox(
    t("filter.supplier"),
    [ALL, *supplier_names],
    format_func=supplier_label,
    key="factuur_supplier",
)
months = data.query(
    "select distinct strftime(issue_date, '%Y-%m') as month from fct_invoice_checks "
    "where issue_date is not null order by month"
)["month"].to_list()
if not months:
    st.info(t("app.no_data"))
    st.stop()
if len(months) > 1:
    first_month, last_month = st.sidebar.select_slider(
        t("filter.months"), options=months, value=(months[0], months[-1]), key="factuur_months"
    )
else:
    first_month = last_month = months[0]
statuses = st.sidebar.multiselect(
    t("filter.status"),
    STATUSES,
    default=STATUSES,
    format_func=lambda s: t(f"status.{s}", lang),
    key="factuur_status",
)


def invoice_where(table: str = "") -> str:
    """The sidebar's selection as a where clause (values go in as parameters)."""
    prefix = f"{table}." if table else ""
    where = [f"strftime({prefix}issue_date, '%Y-%m') between ? and ?"]
    if supplier != ALL:
        where.append(f"{prefix}supplier_id = ?")
    return " and ".join(where)


params: list[object] = [first_month, last_month] + ([supplier] if supplier != ALL else [])
invoice_filter = invoice_where()
status_list = ", ".join(f"'{s}'" for s in statuses if s in STATUSES) or "''"

# --- Headline amounts for the selection.
totals = data.query(
    "select count(*) as invoices, coalesce(sum(approved_total_eur), 0) as approved, "
    "coalesce(sum(disputed_total_eur), 0) as disputed, "
    "coalesce(sum(on_hold_total_eur), 0) as on_hold "
    f"from fct_invoice_checks where {invoice_filter} and status in ({status_list})",
    params,
).row(0, named=True)
count_column, approved_column, disputed_column, on_hold_column = st.columns(4)
count_column.metric(t("factuur.count"), formatting.number(totals["invoices"]))
approved_column.metric(t("factuur.approved_total"), formatting.euro(totals["approved"]))
disputed_column.metric(t("factuur.disputed_total"), formatting.euro(totals["disputed"]))
on_hold_column.metric(t("factuur.on_hold_total"), formatting.euro(totals["on_hold"]))

# --- Which supplier has the most disputed money, and why (all suppliers at once).
st.subheader(t("factuur.dispute_summary"))
st.caption(t("factuur.dispute_summary_help"))
summary = data.query(
    "with lines as (select supplier_id, disputed_amount_eur, "
    "unnest(string_split(reason_codes, ',')) as reason_code from fct_invoice_line_checks "
    f"where verdict = 'disputed' and {invoice_filter}), "
    "per_reason as (select supplier_id, reason_code, sum(disputed_amount_eur) as amount "
    "from lines group by all), "
    "ranked as (select *, row_number() over (partition by supplier_id "
    "order by amount desc, reason_code) as reason_rank from per_reason), "
    "totals as (select supplier_id, sum(disputed_total_eur) as disputed_eur, "
    "sum(disputed_line_count) as disputed_lines from fct_invoice_checks "
    f"where {invoice_filter} group by all having sum(disputed_total_eur) > 0) "
    "select totals.supplier_id, totals.disputed_eur, totals.disputed_lines, "
    "ranked.reason_code as main_reason, ranked.amount as main_reason_eur "
    "from totals left join ranked on totals.supplier_id = ranked.supplier_id "
    "and ranked.reason_rank = 1 "
    "order by totals.disputed_eur desc, totals.supplier_id",
    params + params,
)
ui.show_table(
    summary,
    [
        Column("supplier", "col.supplier"),
        Column("disputed_eur", "col.disputed", "euro"),
        Column("disputed_lines", "col.disputed_lines", "int"),
        Column("main_reason", "col.main_reason", translate="reason."),
        Column("main_reason_eur", "col.main_reason_amount", "euro"),
    ],
    key="dispute_summary",
    prepare=lambda shown: shown.with_columns(
        pl.col("supplier_id").map_elements(supplier_label, return_dtype=pl.String).alias("supplier")
    ),
)
by_reason = data.query(
    "with lines as (select disputed_amount_eur, "
    "unnest(string_split(reason_codes, ',')) as reason_code from fct_invoice_line_checks "
    f"where verdict = 'disputed' and {invoice_filter}) "
    "select reason_code, count(*) as disputed_lines, sum(disputed_amount_eur) as amount_eur "
    "from lines group by all order by amount_eur desc, reason_code",
    params,
)
trend = data.query(
    # per quarter: per month the line jumps too much to see a trend
    "select year(issue_date) || '-Q' || quarter(issue_date) as quarter, supplier_id, "
    "sum(disputed_total_eur) as disputed_eur from fct_invoice_checks "
    f"where {invoice_filter} group by all order by quarter, supplier_id",
    params,
)
reason_column, trend_column = st.columns(2)
with reason_column:
    if by_reason.height:
        st.plotly_chart(
            charts.bar(
                by_reason.with_columns(
                    pl.col("reason_code")
                    .map_elements(
                        lambda c: ui.translate_value("reason.", c), return_dtype=pl.String
                    )
                    .alias("reason")
                ),
                "reason",
                "amount_eur",
                horizontal=True,
                euro=True,
                title=t("factuur.by_reason"),
                labels={"reason": t("col.reason"), "amount_eur": t("col.disputed")},
            ),
            key="disputes_by_reason",
        )
with trend_column:
    top = summary["supplier_id"].head(len(charts.PALETTE)).to_list()
    shown_trend = trend.filter(pl.col("supplier_id").is_in(top)).with_columns(
        pl.col("supplier_id").map_elements(supplier_label, return_dtype=pl.String).alias("supplier")
    )
    if shown_trend.height:
        st.plotly_chart(
            charts.line(
                ui.label_periods(shown_trend, "quarter"),
                "quarter",
                "disputed_eur",
                color="supplier",
                euro=True,
                title=t("factuur.dispute_trend"),
                labels={
                    "quarter": t("col.quarter"),
                    "disputed_eur": t("col.disputed"),
                    "supplier": t("col.supplier"),
                },
            ),
            key="dispute_trend",
        )

# --- Invoices by status per supplier and per month.
by_supplier = data.query(
    "select coalesce(suppliers.supplier_name, invoices.supplier_id, '?') as supplier, "
    "invoices.status, count(*) as invoices "
    "from fct_invoice_checks as invoices "
    "left join dim_suppliers as suppliers on invoices.supplier_id = suppliers.supplier_id "
    f"where {invoice_where('invoices')} "
    f"and invoices.status in ({status_list}) "
    "group by all order by supplier, invoices.status",
    params,
)
by_month = data.query(
    "select strftime(issue_date, '%Y-%m') as month, status, count(*) as invoices "
    f"from fct_invoice_checks where {invoice_filter} and status in ({status_list}) "
    "group by all order by month, status",
    params,
)


def status_chart(frame: pl.DataFrame, x: str, title: str, key: str) -> None:
    if frame.is_empty():
        return
    shown = frame.with_columns(
        pl.col("status").replace_strict({s: t(f"status.{s}") for s in STATUSES}).alias("label")
    )
    st.plotly_chart(
        charts.bar(
            shown,
            x,
            "invoices",
            color="label",
            title=title,
            labels={x: t(f"col.{x}"), "invoices": t("col.invoices"), "label": t("col.status")},
            color_map={t(f"status.{s}"): c for s, c in charts.STATUS_COLOURS.items()},
            category_orders={"label": [t(f"status.{s}") for s in STATUSES]},
        ),
        key=key,
    )


left, right = st.columns(2)
with left:
    status_chart(by_supplier, "supplier", t("factuur.by_supplier"), "invoices_by_supplier")
with right:
    status_chart(by_month, "month", t("factuur.by_month"), "invoices_by_month")

# --- Net position per supplier: invoices with their credit notes and corrections netted.
st.subheader(t("factuur.net_positions"))
net_positions = data.query(
    "select supplier_id, invoice_count, credit_note_count, corrective_invoice_count, "
    "invoiced_total_eur, credited_total_eur, net_approved_total_eur, net_disputed_total_eur, "
    "net_on_hold_total_eur, unplaced_credit_total_eur, settled_line_count "
    "from mart_supplier_net_positions"
    + (" where supplier_id = ?" if supplier != ALL else "")
    + " order by supplier_id",
    [supplier] if supplier != ALL else [],
)
ui.show_table(
    net_positions,
    [
        Column("supplier_id", "col.supplier"),
        Column("credit_note_count", "col.credit_notes", "int"),
        Column("invoiced_total_eur", "col.invoiced", "euro"),
        Column("credited_total_eur", "col.credited", "euro"),
        Column("net_approved_total_eur", "col.net_approved", "euro"),
        Column("net_disputed_total_eur", "col.net_disputed", "euro"),
        Column("unplaced_credit_total_eur", "col.unplaced_credit", "euro"),
        Column("settled_line_count", "col.settled_lines", "int"),
    ],
    key="net_positions_table",
    prepare=lambda shown: shown.with_columns(
        pl.col("supplier_id").map_elements(supplier_label, return_dtype=pl.String)
    ),
)

# --- The invoices themselves (with credit notes and corrections: the document chain).
st.subheader(t("factuur.invoices"))
# The reasons of an invoice: its own (invoice-level) codes and those of its lines, so a
# partially disputed invoice says why.
invoices = data.query(
    "with line_codes as (select invoice_id, unnest(string_split(reason_codes, ',')) as code "
    "from fct_invoice_line_checks where reason_codes <> ''), "
    "invoice_codes as (select invoice_id, unnest(string_split(reason_codes, ',')) as code "
    "from fct_invoice_checks where reason_codes <> ''), "
    "codes as (select invoice_id, string_agg(distinct code, ',' order by code) as all_codes "
    "from (select * from line_codes union select * from invoice_codes) group by invoice_id) "
    "select invoices.invoice_id, invoices.supplier_id, invoices.issue_date, "
    "invoices.invoiced_total_eur, invoices.approved_total_eur, invoices.disputed_total_eur, "
    "invoices.on_hold_total_eur, invoices.status, invoices.reason_codes, "
    "invoices.document_type, invoices.corrected_invoice_id, "
    "coalesce(codes.all_codes, '') as all_reason_codes "
    "from fct_invoice_checks as invoices left join codes using (invoice_id) "
    f"where {invoice_where('invoices')} and invoices.status in ({status_list}) "
    "order by invoices.issue_date desc, invoices.invoice_id",
    params,
)
ui.show_table(
    invoices,
    [
        # Status and reasons next to the invoice: "which are disputed, and why" is read
        # without scrolling sideways past the amounts and the document chain.
        Column("invoice_id", "col.invoice"),
        Column("status", "col.status", translate="status."),
        Column("reasons", "col.reasons"),
        Column("issue_date", "col.issue_date", "date"),
        Column("supplier_id", "col.supplier"),
        Column("invoiced_total_eur", "col.invoiced", "euro"),
        Column("approved_total_eur", "col.approved", "euro"),
        Column("disputed_total_eur", "col.disputed", "euro"),
        Column("on_hold_total_eur", "col.on_hold", "euro"),
        Column("document_type", "col.document_type", translate="document."),
        Column("corrected_invoice_id", "col.corrects"),
    ],
    key="invoices_table",
    prepare=lambda shown: shown.with_columns(
        pl.col("supplier_id").map_elements(supplier_label, return_dtype=pl.String),
        pl.col("all_reason_codes")
        .map_elements(reason_labels, return_dtype=pl.String)
        .alias("reasons"),
    ),
)

# --- Drill-down: one invoice's lines with their reasons.
if invoices.height:
    st.subheader(t("factuur.drilldown"))
    invoice_id = st.selectbox(
        t("factuur.pick_invoice"), invoices["invoice_id"].to_list(), key="factuur_invoice"
    )
    header = invoices.filter(pl.col("invoice_id") == invoice_id).row(0, named=True)
    if header["reason_codes"]:
        st.warning(t("factuur.invoice_reasons", reasons=reason_labels(header["reason_codes"])))
    lines = data.query(
        "select line_id, order_line_ref, course_id, invoiced_amount_eur, expected_amount_eur, "
        "approved_amount_eur, disputed_amount_eur, on_hold_amount_eur, verdict, reason_codes, "
        "adjusted_by_invoice_ids, net_verdict "
        "from fct_invoice_line_checks where invoice_id = ? order by try_cast(line_id as bigint), "
        "line_id",
        [invoice_id],
    )
    ui.show_table(
        lines,
        [
            Column("line_id", "col.line"),
            Column("order_line_ref", "col.order_ref"),
            Column("course_id", "col.course_id"),
            Column("invoiced_amount_eur", "col.invoiced", "euro"),
            Column("expected_amount_eur", "col.expected", "euro"),
            Column("approved_amount_eur", "col.approved", "euro"),
            Column("disputed_amount_eur", "col.disputed", "euro"),
            Column("on_hold_amount_eur", "col.on_hold", "euro"),
            Column("verdict", "col.verdict", translate="verdict."),
            Column("reasons", "col.reasons"),
            Column("adjusted_by_invoice_ids", "col.adjusted_by"),
            Column("net_verdict", "col.net_verdict", translate="verdict."),
        ],
        key="lines_table",
        prepare=lambda shown: shown.with_columns(
            pl.col("reason_codes")
            .map_elements(reason_labels, return_dtype=pl.String)
            .alias("reasons")
        ),
    )

# --- The dispute file for one supplier: what finance sends back.
st.subheader(t("factuur.disputes"))
disputes = data.query(
    "select supplier_id, supplier_name, invoice_id, issue_date, dispute_level, line_id, "
    "order_line_ref, course_id, course_title, invoiced_amount_eur, expected_amount_eur, "
    "approved_amount_eur, disputed_amount_eur, reason_codes, reasons_nl, document_type, "
    "corrected_invoice_id, adjusted_by_invoice_ids, credited_amount_eur, "
    "net_disputed_amount_eur, net_verdict "
    f"from mart_invoice_disputes where {invoice_filter} "
    # newest first: what arrived last is what finance is working on
    "order by issue_date desc, invoice_id desc, try_cast(line_id as bigint) nulls first, line_id",
    params,
)
if disputes.is_empty():
    st.info(t("factuur.no_disputes"))
else:
    ui.show_table(
        disputes,
        [
            Column("invoice_id", "col.invoice"),
            Column("issue_date", "col.issue_date", "date"),
            Column("line_id", "col.line"),
            Column("order_line_ref", "col.order_ref"),
            Column("course_id", "col.course_id"),
            Column("invoiced_amount_eur", "col.invoiced", "euro"),
            Column("expected_amount_eur", "col.expected", "euro"),
            Column("disputed_amount_eur", "col.disputed", "euro"),
            Column("reasons_nl", "col.reasons_nl"),
            Column("corrected_invoice_id", "col.corrects"),
            Column("adjusted_by_invoice_ids", "col.adjusted_by"),
            Column("net_disputed_amount_eur", "col.net_disputed", "euro"),
            Column("net_verdict", "col.net_verdict", translate="verdict."),
        ],
        key="disputes_table",
    )
    if supplier == ALL:
        st.caption(t("factuur.pick_supplier_for_file"))
    else:
        exports.dispute_buttons(
            disputes,
            supplier_id=supplier,
            supplier_name=supplier_names.get(supplier, supplier),
            period=f"{first_month} – {last_month}",
            key="disputes",
        )
