"""Overzicht: headline figures for one quarter, with arrows against the quarter before."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboards import charts, data, formatting, queries, ui
from dashboards.i18n import t

ui.require_marts("mart_participation", "mart_settlement_matrix", "fct_invoice_checks")
st.title(t("overzicht.title"))

# A department filter: everything below is for the chosen departments (all by default).
names = ui.department_names()
all_departments = queries.participation_departments()
chosen = st.sidebar.multiselect(
    t("filter.departments"),
    all_departments,
    format_func=lambda code: ui.department_label(code, names),
    placeholder=t("filter.all_departments"),
    key=ui.translated("overzicht_departments"),
)
departments = chosen or all_departments

# Participation per quarter from the published department totals; a suppressed total
# stays out (never counted as 0) and is reported beside the figure.
department_totals = queries.department_totals(departments)
participation = (
    department_totals.group_by("quarter")
    .agg(
        pl.col("participants").filter(~pl.col("suppressed")).sum(),
        pl.col("completions").filter(~pl.col("suppressed")).sum(),
        pl.col("enrolments").filter(~pl.col("suppressed")).sum(),
        pl.col("suppressed").sum().alias("suppressed_departments"),
        pl.len().alias("departments"),
        pl.col("department_code").filter(~pl.col("suppressed")).sort().alias("published"),
    )
    .sort("quarter")
    # A quarter with every department suppressed has no published figure (not 0).
    .with_columns(
        pl.when(pl.col("suppressed_departments") < pl.col("departments")).then(pl.col(c)).alias(c)
        for c in ("participants", "completions", "enrolments")
    )
)
# Spend of a department: what it is charged (it is the debtor).
spend = queries.spend_per_quarter(departments)
disputes = queries.disputed_invoices_per_quarter()


def value_in(frame: pl.DataFrame, column: str, period: str) -> Any:
    row = frame.filter(pl.col("quarter") == period)
    return row[column][0] if row.height else None


quarters = ui.offered(sorted(set(participation["quarter"]) | set(spend["quarter"])))
if not quarters:
    st.info(t("app.no_data"))
    st.stop()
quarter = ui.quarter_picker(quarters, key="overzicht_quarter")
previous = ui.previous_quarter(quarter)
has_previous = previous in quarters
# Person figures compare only when the same departments are published in both quarters;
# otherwise a change in suppression would show up as a change in participation.
published_now = value_in(participation, "published", quarter) if has_previous else None
published_before = value_in(participation, "published", previous) if has_previous else None
persons_comparable = (
    published_now is not None
    and published_before is not None
    and published_now.to_list() == published_before.to_list()
)
st.caption(
    t("overzicht.intro", quarter=quarter, previous=previous)
    if has_previous
    else t("overzicht.intro_first", quarter=quarter)
)


def completion(period: str) -> float | None:
    completions = value_in(participation, "completions", period)
    enrolments = value_in(participation, "enrolments", period)
    return completions / enrolments if completions is not None and enrolments else None


def delta(now: Any, before: Any, render, comparable: bool = True) -> str | None:
    if not has_previous or not comparable or now is None or before is None:
        return None
    return render(now - before)


participants_now = value_in(participation, "participants", quarter)
participants_before = value_in(participation, "participants", previous)
spend_now = value_in(spend, "spend_eur", quarter) or 0
spend_before = value_in(spend, "spend_eur", previous)
completion_now, completion_before = completion(quarter), completion(previous)
disputed_now = value_in(disputes, "disputed_invoices", quarter) or 0
disputed_before = value_in(disputes, "disputed_invoices", previous)
if has_previous and disputed_before is None:
    disputed_before = 0

columns = st.columns(4)
columns[0].metric(
    t("overzicht.participants"),
    formatting.number(participants_now),
    delta(participants_now, participants_before, lambda d: f"{d:+d}", persons_comparable),
    help=t("overzicht.participants_help"),
)
columns[1].metric(
    t("overzicht.spend"),
    formatting.euro(spend_now),
    delta(spend_now, spend_before, lambda d: ("+" if d >= 0 else "-") + formatting.euro(abs(d))),
    help=t("overzicht.spend_help"),
)
columns[2].metric(
    t("overzicht.completion"),
    formatting.percent(completion_now),
    delta(
        completion_now,
        completion_before,
        lambda d: ("+" if d >= 0 else "") + formatting.number(d * 100, 1) + t("unit.pp"),
        persons_comparable,
    ),
)
columns[3].metric(
    t("overzicht.open_disputes"),
    formatting.number(disputed_now),
    delta(disputed_now, disputed_before, lambda d: f"{d:+d}"),
    delta_color="inverse",  # more disputes is worse
    help=t("overzicht.disputes_help"),
)

suppressed = value_in(participation, "suppressed_departments", quarter) or 0
if has_previous and not persons_comparable:
    st.caption(t("overzicht.not_comparable", previous=previous))
if suppressed:
    st.info(
        t(
            "overzicht.suppressed_departments",
            n=suppressed,
            total=value_in(participation, "departments", quarter),
            quarter=quarter,
            k=data.min_cell_size(),
        )
    )

if ui.is_running(quarter):
    st.warning(t("period.running_note", period=quarter, built=formatting.date(ui.build_date())))
if chosen:
    st.caption(t("overzicht.disputes_all_departments"))

st.subheader(t("overzicht.trend"))
in_offer = pl.col("quarter").is_in(quarters)
left, right = st.columns(2)
with left:
    st.plotly_chart(
        charts.bar(
            ui.label_periods(
                participation.filter(pl.col("participants").is_not_null() & in_offer), "quarter"
            ),
            "quarter",
            "participants",
            title=t("overzicht.trend_participants"),
            labels={"quarter": t("col.quarter"), "participants": t("col.participants")},
        ),
        key="trend_participants",
    )
with right:
    st.plotly_chart(
        charts.bar(
            ui.label_periods(spend.filter(in_offer), "quarter"),
            "quarter",
            "spend_eur",
            title=t("overzicht.trend_spend"),
            euro=True,
            labels={"quarter": t("col.quarter"), "spend_eur": t("col.spend")},
        ),
        key="trend_spend",
    )
ui.running_note(quarters)
