"""Factuurcontrole: invoices by status per supplier and month, line drill-down with
reasons, and the dispute file per supplier."""

from __future__ import annotations

from typing import cast

import polars as pl
import streamlit as st

from dashboards import charts, exports, formatting, queries, ui
from dashboards.i18n import current_language, t, t_count
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
suppliers = queries.invoice_suppliers()
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
    key=ui.translated("factuur_supplier"),
)
months = queries.invoice_months()
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
    key=ui.translated("factuur_status"),
)


selection = queries.InvoiceSelection(
    first_month,
    last_month,
    None if supplier == ALL else supplier,
    tuple(s for s in statuses if s in STATUSES),
)

# --- Headline amounts for the selection.
totals = queries.invoice_totals(selection)
count_column, approved_column, disputed_column, on_hold_column = st.columns(4)
count_column.metric(t("factuur.count"), formatting.number(totals["invoices"]))
approved_column.metric(t("factuur.approved_total"), formatting.euro(totals["approved"]))
disputed_column.metric(
    t("factuur.disputed_total"),
    formatting.euro(totals["disputed"]),
    help=t("factuur.disputed_help"),
)
disputed_credits = cast(int, totals["disputed_credits"])
if disputed_credits:
    # A credit note in dispute lowers the total: say by how much, so the sum is read right.
    disputed_column.caption(
        t_count(
            "factuur.disputed_credits",
            disputed_credits,
            # no line break between € and the amount in the narrow column
            amount=formatting.euro(totals["disputed_credits_eur"]).replace(" ", "\u00a0"),
        )
    )
on_hold_column.metric(t("factuur.on_hold_total"), formatting.euro(totals["on_hold"]))


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


# Lazy tabs: only the open tab's queries, charts and tables run and are drawn (four
# plotly charts and five tables on one page were most of its time in the browser).
TABS = ("disputes", "invoices", "net", "file")
tabs = dict(
    zip(
        TABS,
        st.tabs([t(f"factuur.tab_{name}") for name in TABS], key="factuur_view", on_change="rerun"),
        strict=True,
    )
)
if tabs["disputes"].open:
    with tabs["disputes"]:
        # --- Which supplier has the most disputed money, and why (all suppliers at once).
        st.subheader(t("factuur.dispute_summary"))
        st.caption(t("factuur.dispute_summary_help"))
        summary = queries.dispute_summary(selection)
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
                pl.col("supplier_id")
                .map_elements(supplier_label, return_dtype=pl.String)
                .alias("supplier")
            ),
        )
        by_reason = queries.disputes_by_reason(selection)
        trend = queries.dispute_trend(selection)
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
                pl.col("supplier_id")
                .map_elements(supplier_label, return_dtype=pl.String)
                .alias("supplier")
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

if tabs["invoices"].open:
    with tabs["invoices"]:
        # --- Invoices by status per supplier and per month.
        by_supplier = queries.invoices_by_supplier(selection)
        by_month = queries.invoices_by_month(selection)

        left, right = st.columns(2)
        with left:
            status_chart(by_supplier, "supplier", t("factuur.by_supplier"), "invoices_by_supplier")
        with right:
            status_chart(by_month, "month", t("factuur.by_month"), "invoices_by_month")

        # --- The invoices themselves (with credit notes and corrections: the document chain).
        st.subheader(t("factuur.invoices"))
        # The reasons of an invoice: its own (invoice-level) codes and those of its lines, so a
        # partially disputed invoice says why.
        invoices = queries.invoices(selection)
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
                st.warning(
                    t("factuur.invoice_reasons", reasons=reason_labels(header["reason_codes"]))
                )
            lines = queries.invoice_lines(invoice_id)
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

if tabs["net"].open:
    with tabs["net"]:
        # --- Net position per supplier: invoices with their credit notes and corrections netted.
        st.subheader(t("factuur.net_positions"))
        net_positions = queries.supplier_net_positions(selection.supplier)
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

if tabs["file"].open:
    with tabs["file"]:
        # --- The dispute file for one supplier: what finance sends back.
        st.subheader(t("factuur.disputes"))
        disputes = queries.dispute_lines(selection)
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
