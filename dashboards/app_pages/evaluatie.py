"""Evaluatie: course, supplier and category scorecards with a ranking per metric.

Periods are the published grains (quarter or year): combining quarters here would
recompute figures from perturbed counts the marts publish per grain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import polars as pl
import streamlit as st

from dashboards import charts, data, formatting, queries, ui
from dashboards.i18n import current_language, t, t_count
from dashboards.ui import Column


@dataclass(frozen=True)
class Level:
    tab: str  # i18n key of the tab
    name: queries.EvaluationLevel  # which scorecard (a named query per level and grain)
    key: str  # entity column
    mart: str  # quarterly mart; the yearly one has the suffix _yearly


@dataclass(frozen=True)
class Metric:
    column: str
    label: str
    kind: ui.Kind
    higher_is_better: bool
    places: int | None = None


lang = cast(queries.Lang, current_language())
LEVELS = (
    Level("evaluatie.courses", "course", "course_id", "mart_course_evaluation"),
    Level("evaluatie.suppliers", "supplier", "supplier_id", "mart_supplier_evaluation"),
    Level("evaluatie.categories", "category", "category_code", "mart_category_evaluation"),
)
METRICS = (
    Metric("completion_rate", "col.completion_rate", "pct", True),
    Metric("pass_rate", "col.pass_rate", "pct", True),
    Metric("mean_overall", "col.satisfaction", "score", True),
    Metric("nps", "col.nps", "score", True, 0),
    Metric("cost_per_completion_eur", "col.cost_per_completion", "euro", False),
    Metric("attendance_rate", "col.attendance_rate", "pct", True),
    Metric("no_show_rate", "col.no_show_rate", "pct", False),
    # time from enrolment to completion: whole days, shorter is better
    Metric("mean_completion_days", "col.completion_days", "int", False),
)
# Always in the table (the ranked metric is added when it is not one of these); fewer
# columns than metrics, so the table fits without sideways scrolling.
TABLE_METRICS = ("completion_rate", "attendance_rate", "no_show_rate", "mean_overall")

ui.require_marts(*(f"{level.mart}{suffix}" for level in LEVELS for suffix in ("", "_yearly")))
ui.require_marts("dim_courses", "dim_suppliers")
st.title(t("evaluatie.title"))

# --- Sidebar: period grain and period, ranking metric.
granularity: queries.Granularity = st.sidebar.radio(
    t("evaluatie.granularity"),
    ["quarter", "year"],
    format_func=lambda g: t(f"evaluatie.per_{g}", lang),
    horizontal=True,
    key="evaluatie_granularity",
)
# A period has something to rank when one of its cells publishes a figure: nearly every
# cell is published (perturbed), but a rate or mean is NULL below min_cell_size persons.
periods_published = queries.evaluation_periods(granularity)
periods = ui.offered([str(p) for p in periods_published["period"].to_list()])
periods_published = periods_published.filter(pl.col("period").cast(pl.String).is_in(periods))
if not periods:
    st.info(t("app.no_data"))
    st.stop()
# Start on the latest period that is over and has something to rank.
with_scores = periods_published.filter(pl.col("has_published"))["period"].to_list() or periods
default_period = ui.latest_closed([str(p) for p in with_scores])
period_text = st.sidebar.selectbox(
    t("evaluatie.period"),
    periods,
    index=periods.index(default_period),
    format_func=lambda p: ui.period_label(p, lang),
    key=ui.translated(f"evaluatie_{granularity}"),
)
period = int(period_text) if granularity == "year" else period_text
metric = st.sidebar.selectbox(
    t("filter.metric"),
    METRICS,
    format_func=lambda m: t(m.label, lang),
    key=ui.translated("evaluatie_metric"),
)
worst_first = st.sidebar.checkbox(t("filter.worst_first"), value=True, key="evaluatie_worst")
min_cell = data.min_cell_size()
st.caption(t("app.aggregates_only", k=min_cell))


def ranked(cells: pl.DataFrame) -> pl.DataFrame:
    """Scored cells ranked on the metric; unscored, then suppressed cells, at the bottom."""
    ascending = worst_first == metric.higher_is_better
    scored = cells.filter(~pl.col("suppressed") & pl.col(metric.column).is_not_null()).sort(
        [metric.column, "entity_id"], descending=[not ascending, False]
    )
    scored = scored.with_columns(pl.int_range(1, scored.height + 1).alias("rank"))
    unscored = cells.filter(~pl.col("suppressed") & pl.col(metric.column).is_null())
    suppressed = cells.filter(pl.col("suppressed"))
    rest = pl.concat([unscored, suppressed]).sort(["suppressed", "entity_id"])
    return pl.concat(
        [scored, rest.with_columns(pl.lit(None, dtype=scored["rank"].dtype).alias("rank"))]
    )


# Lazy tabs: only the open tab's query, chart and table run and are drawn (each tab is a
# chart and a table, and the browser's drawing was most of the page's time).
tabs = st.tabs([t(level.tab) for level in LEVELS], key="evaluatie_level", on_change="rerun")
for level, tab in zip(LEVELS, tabs, strict=True):
    if not tab.open:
        continue
    with tab:
        cells = queries.evaluation_cells(level.name, granularity, period, lang)
        if cells.is_empty():
            st.info(t("app.no_data"))
            continue
        ranking = ranked(cells)
        scored = ranking.filter(pl.col("rank").is_not_null())
        entity_label = t(f"col.{level.key.removesuffix('_id').removesuffix('_code')}")
        if ui.is_running(period_text):
            st.warning(
                t("period.running_note", period=period_text, built=formatting.date(ui.build_date()))
            )
        if scored.height:
            shown = scored.head(15).with_columns(
                ui.chart_label("entity_name", "entity_id").alias("label")
            )
            st.plotly_chart(
                charts.bar(
                    shown,
                    "label",
                    metric.column,
                    horizontal=True,
                    title=t("evaluatie.chart", metric=t(metric.label), level=entity_label.lower()),
                    labels={"label": entity_label, metric.column: t(metric.label)},
                    percent=metric.kind == "pct",
                    zoom=True,
                    euro=metric.kind == "euro",
                    category_orders={"label": shown["label"].to_list()},
                ),
                key=f"evaluatie_chart_{level.key}",
            )
        # Published cells without the ranked figure (fewer than min_cell_size persons in
        # its own denominator) sit below the ranked ones with "–": say why.
        unscored_count = ranking.height - scored.height - int(cells["suppressed"].sum())
        if unscored_count:
            st.caption(
                t_count(
                    "evaluatie.unscored_note", unscored_count, metric=t(metric.label), k=min_cell
                )
            )
        suppressed_count = int(cells["suppressed"].sum())
        if suppressed_count:
            st.caption(t_count("evaluatie.suppressed_note", suppressed_count, k=min_cell))
        st.subheader(t("evaluatie.ranking", metric=t(metric.label)))
        # By column: the widget can hand back a Metric of an earlier run of this script,
        # whose class object differs, so == would never match it.
        shown_metrics = [m for m in METRICS if m.column in (*TABLE_METRICS, metric.column)]
        ui.show_table(
            ranking.with_columns(
                pl.when(pl.col("entity_name").is_null())
                .then(pl.col("entity_id"))
                .otherwise(pl.col("entity_id") + " — " + pl.col("entity_name"))
                .alias("entity")
            ),
            [
                Column("rank", "col.rank", "int"),
                Column("entity", f"col.{level.key.removesuffix('_id').removesuffix('_code')}"),
                Column("participants", "col.participants", "int"),
                *(Column(m.column, m.label, m.kind, m.places) for m in shown_metrics),
            ],
            key=f"evaluatie_ranking_{level.key}",
        )
