"""Deelname: participation and spend over time per department, and broken down by
directorate, salary-scale band, age band, gender or delivery mode."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data, exports, queries, ui
from dashboards.i18n import current_language, t
from dashboards.ui import Column

BREAKDOWNS = ("directorate", "scale_band", "age_band", "gender", "delivery_mode")
# Bands in their natural order (alphabetically "<25" would come last, "schaal 10-11"
# before "schaal 7-9").
VALUE_ORDER = {
    "age_band": ["<25", "25-34", "35-44", "45-54", "55+", "unknown"],
    "scale_band": ["schaal 1-6", "schaal 7-9", "schaal 10-11", "schaal 12-13", "schaal 14+"],
    "gender": ["F", "M", "X", "unknown"],
}


def value_label(breakdown: str, value: str) -> str:
    """Coded breakdown values in the reader's language (F → Vrouw / Woman)."""
    return ui.translate_value(f"value.{breakdown}.", value)


def value_rank(breakdown: str, value: str) -> tuple[int, str]:
    order = VALUE_ORDER.get(breakdown, [])
    return (order.index(value) if value in order else len(order), value)


ui.require_marts("mart_participation")
st.title(t("deelname.title"))
lang = current_language()  # bound into format_funcs, which may run outside a rerun
st.caption(t("app.aggregates_only", k=data.min_cell_size()))

quarters = queries.participation_quarters()
departments = queries.participation_departments()
if not quarters:
    st.info(t("app.no_data"))
    st.stop()
names = ui.department_names()
first, last = ui.quarter_range_picker(quarters, key="deelname_quarters")
chosen = st.sidebar.multiselect(
    t("filter.departments"),
    departments,
    default=departments,
    format_func=lambda code: ui.department_label(code, names),
    key=ui.translated("deelname_departments"),
)
breakdown = st.sidebar.selectbox(
    t("filter.dimension"),
    BREAKDOWNS,
    format_func=lambda b: t(f"dim.{b}", lang),
    key=ui.translated("deelname_breakdown"),
)
if not chosen:
    st.info(t("app.no_data"))
    st.stop()

# --- Department totals over time; a suppressed cell is a gap, never a 0.
totals = queries.department_totals_between(first, last, chosen)
published = ui.label_periods(totals.filter(~pl.col("suppressed")), "quarter")
labels = {
    "quarter": t("col.quarter"),
    "department_code": t("col.department"),
    "participants": t("col.participants"),
    "spend_eur": t("col.spend"),
}
# Lazy tabs: only the open tab's queries, charts and tables run and are drawn (three
# plotly charts and two tables took most of this page's time in the browser).
over_time, by_breakdown = st.tabs(
    [t("deelname.tab_over_time"), t("deelname.tab_breakdown")],
    key="deelname_view",
    on_change="rerun",
)
if over_time.open:
    with over_time:
        left, right = st.columns(2)
        with left:
            st.plotly_chart(
                charts.bar(
                    published,
                    "quarter",
                    "participants",
                    color="department_code",
                    barmode="group",
                    title=t("deelname.over_time"),
                    labels=labels,
                ),
                key="participants_over_time",
            )
        with right:
            st.plotly_chart(
                charts.bar(
                    published,
                    "quarter",
                    "spend_eur",
                    color="department_code",
                    barmode="group",
                    euro=True,
                    title=t("deelname.spend_over_time"),
                    labels=labels,
                ),
                key="spend_over_time",
            )

        ui.running_note(totals["quarter"].unique().to_list())
        st.caption(t("deelname.spend_note"))

        # --- Department totals per quarter: the table management downloads.
        st.subheader(t("deelname.totals_table"))
        TOTAL_COLUMNS = [
            Column("quarter", "col.quarter"),
            Column("department_code", "col.department"),
            Column("participants", "col.participants", "int"),
            Column("enrolments", "col.enrolments", "int"),
            Column("completion_rate", "col.completion_rate", "pct"),
            Column("training_hours", "col.training_hours", "decimal"),
            Column("spend_eur", "col.spend", "euro"),
        ]
        ui.show_table(totals, TOTAL_COLUMNS, key="department_totals")
        exports.download_buttons(
            totals,
            TOTAL_COLUMNS,
            title=t("deelname.totals_table"),
            period=f"{first} – {last}" if first != last else first,
            note=t("export.note_protected", k=data.min_cell_size()),
            file_stem=f"deelname_afdelingen_{first}_{last}",
            key="department_totals",
        )

if by_breakdown.open:
    with by_breakdown:
        # --- The chosen breakdown per quarter, summed over the chosen departments' published
        # cells; a directorate stays within its department.
        cells = queries.participation_breakdown(breakdown, first, last, chosen)
        published_cells = cells.filter(~pl.col("suppressed"))
        if breakdown == "directorate" and len(chosen) > 1:
            # A directorate is a unit of its department: two departments' directorates
            # of one name ("Directie Strategie") are two series, never their sum.
            published_cells = published_cells.with_columns(
                pl.format("{} · {}", "department_code", "breakdown_value").alias("breakdown_value")
            )
        by_value = (
            published_cells.group_by("quarter", "breakdown_value")
            .agg(pl.col("participants").sum())
            .sort("quarter", "breakdown_value")
        )
        values_in_order = sorted(
            by_value["breakdown_value"].unique().to_list(), key=lambda v: value_rank(breakdown, v)
        )
        by_value = ui.label_periods(by_value, "quarter").with_columns(
            pl.col("breakdown_value").replace_strict(
                {v: value_label(breakdown, v) for v in values_in_order}
            )
        )
        dimension = t(f"dim.{breakdown}")
        st.plotly_chart(
            charts.bar(
                by_value,
                "quarter",
                "participants",
                color="breakdown_value",
                title=t("deelname.by_dimension", dimension=dimension.lower()),
                labels={**labels, "breakdown_value": dimension},
                category_orders={
                    "breakdown_value": [value_label(breakdown, v) for v in values_in_order]
                },
            ),
            key="participants_by_breakdown",
        )

        st.subheader(t("deelname.table"))
        ui.show_table(
            cells,
            [
                Column("quarter", "col.quarter"),
                Column("department_code", "col.department"),
                Column("breakdown_value", f"dim.{breakdown}", translate=f"value.{breakdown}."),
                Column("participants", "col.participants", "int"),
                Column("enrolments", "col.enrolments", "int"),
                Column("completion_rate", "col.completion_rate", "pct"),
                Column("training_hours", "col.training_hours", "decimal"),
                Column("spend_eur", "col.spend", "euro"),
            ],
            key="participation_table",
        )
