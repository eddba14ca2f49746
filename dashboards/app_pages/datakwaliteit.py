"""Datakwaliteit: loads, quarantine (counts only), freshness, the build, retention runs."""

from __future__ import annotations

from typing import Any, cast

import polars as pl
import streamlit as st

from dashboards import charts, formatting, queries, ui
from dashboards.i18n import current_language, t
from dashboards.ui import Column

ui.require_marts(
    "mart_quality_build",
    "mart_quality_loads",
    "mart_quality_quarantine",
    "mart_quality_freshness",
)
lang = cast(queries.Lang, current_language())
st.title(t("kwaliteit.title"))

build = cast(dict[str, Any], queries.build_summary())
latest_files = queries.latest_file_count()

left, middle, right, last = st.columns([1, 1, 1, 1.3])
left.metric(t("kwaliteit.files"), formatting.number(latest_files))
middle.metric(t("kwaliteit.rows_loaded"), formatting.number(build["rows_loaded"]))
right.metric(t("kwaliteit.rows_quarantined"), formatting.number(build["rows_quarantined"]))
# The date as the figure (a date and a time did not fit the column and were cut off).
last.metric(t("kwaliteit.last_build"), formatting.date(build["built_at"]))
st.caption(
    t(
        "kwaliteit.build_info",
        time=formatting.time(build["built_at"]),
        build_id=build["build_id"][:8],
        dbt_version=build["dbt_version"],
        k=build["min_cell_size"],
    )
)
if build["is_every_batch_conserved"]:
    st.success(t("kwaliteit.conserved"), icon=":material/check_circle:")
else:
    st.error(t("kwaliteit.not_conserved"), icon=":material/error:")

st.subheader(t("kwaliteit.freshness"))
# A source is as current as its last delivery, unchanged files included (the mart counts
# them); UBL invoice files carry no date in their name: their newest data is the newest
# issue date. Age is counted to the build date, like the mart's.
freshness = queries.freshness()
built_on = build["built_at"].date()
freshness = freshness.with_columns(
    pl.col("newest_date")
    .map_elements(lambda d: (built_on - d).days, return_dtype=pl.Int64)
    .alias("age_days")
)
ui.show_table(
    freshness,
    [
        Column("source_name", "col.source", translate="source."),
        Column("files_delivered", "col.files_delivered", "int"),
        Column("rows_loaded", "col.rows_loaded", "int"),
        Column("rows_quarantined", "col.rows_quarantined", "int"),
        Column("newest_date", "col.newest_data", "date"),
        Column("age_days", "col.age_days", "int"),
        Column("last_delivered_at", "col.delivered_at", "datetime"),
    ],
    key="freshness",
)
st.caption(t("kwaliteit.freshness_help"))

st.subheader(t("kwaliteit.quarantine_by_reason"))
by_reason = queries.quarantine_by_reason(lang)
if by_reason.is_empty():
    st.info(t("kwaliteit.no_quarantine"))
else:
    st.plotly_chart(
        charts.bar(
            by_reason.with_columns(pl.col("reason").fill_null(pl.col("reason_code"))),
            "reason",
            "quarantined_rows",
            horizontal=True,
            labels={"reason": t("col.reason"), "quarantined_rows": t("col.rows")},
        ),
        key="quarantine_by_reason",
    )
    st.subheader(t("kwaliteit.quarantine_by_file"))
    by_file = queries.quarantine_by_file(lang)
    ui.show_table(
        by_file,
        [
            Column("source_name", "col.source", translate="source."),
            Column("file_name", "col.file"),
            Column("reason_code", "col.reason"),
            Column("reason", "col.value"),
            Column("quarantined_rows", "col.rows", "int"),
        ],
        key="quarantine_by_file",
    )

st.subheader(t("kwaliteit.loads"))
loads = queries.loads()
ui.show_table(
    loads,
    [
        Column("source_name", "col.source", translate="source."),
        Column("file_name", "col.file"),
        Column("rows_read", "col.rows_read", "int"),
        Column("rows_loaded", "col.rows_loaded", "int"),
        Column("rows_quarantined", "col.rows_quarantined", "int"),
        Column("is_conserved", "col.conserved", "bool"),
        Column("load_status", "col.load_status", translate="load_status."),
        Column("loaded_at", "col.loaded_at", "datetime"),
    ],
    key="loads",
)

st.subheader(t("kwaliteit.retention"))
retention = queries.retention_runs()
if retention.is_empty():
    st.info(t("kwaliteit.no_retention"))
else:
    ui.show_table(
        retention,
        [
            Column("run_at", "col.run_at", "datetime"),
            Column("run_kind", "col.run_kind", translate="run."),
            Column("as_of_date", "col.as_of_date", "date"),
            Column("persons_erased", "col.persons_erased", "int"),
            Column("enrolments_unlinked", "col.enrolments_unlinked", "int"),
            Column("person_years_after_exit", "col.person_years_after_exit", "int"),
            Column("enrolment_link_months", "col.enrolment_link_months", "int"),
        ],
        key="retention",
    )
