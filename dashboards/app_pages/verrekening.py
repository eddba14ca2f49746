"""Verrekening: who owes whom per quarter, net positions, downloadable statements."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data, exports, formatting, queries, ui
from dashboards.i18n import t
from dashboards.ui import Column

ui.require_marts("mart_settlement_matrix")
st.title(t("verrekening.title"))

quarters = queries.settlement_quarters()
if not quarters:
    st.info(t("app.no_data"))
    st.stop()
quarter = ui.quarter_picker(quarters, key="verrekening_quarter")
names = ui.department_names()

matrix = queries.settlement_matrix(quarter)
total = matrix["amount_eur"].sum() if matrix.height else 0
st.metric(t("verrekening.total", quarter=quarter), formatting.euro(total))

# --- "What does A owe B?" — the question finance asks most.
st.subheader(t("verrekening.lookup"))
debtors = sorted(set(matrix["debtor_department_code"].to_list()))
creditors = sorted(set(matrix["creditor_department_code"].to_list()))
pick_debtor, pick_creditor, answer = st.columns([1, 1, 2])
debtor = pick_debtor.selectbox(t("col.debtor"), debtors, key="verrekening_debtor")
# Start on a real settlement (another department), not on a department's own use.
other = next((i for i, code in enumerate(creditors) if code != debtor), 0)
creditor = pick_creditor.selectbox(
    t("col.creditor"), creditors, index=other, key="verrekening_creditor"
)
owed = matrix.filter(
    (pl.col("debtor_department_code") == debtor) & (pl.col("creditor_department_code") == creditor)
)["amount_eur"].sum()
answer.metric(
    t("verrekening.owes", debtor=debtor, creditor=creditor, quarter=quarter),
    formatting.euro(owed or 0),
)

# --- Drill-down: what this cell is made of, per course and cost type.
with st.expander(t("verrekening.drilldown", debtor=debtor, creditor=creditor), expanded=True):
    ui.show_table(
        data.allocation_drilldown(quarter, debtor, creditor),
        [
            Column("course_id", "col.course_id"),
            Column("course_title", "col.name"),
            Column("cost_type", "col.cost_type", translate="cost_type."),
            Column("allocations", "col.allocations", "int"),
            Column("amount_eur", "col.amount", "euro"),
        ],
        key="settlement_drilldown",
    )

# --- The matrix as a heatmap: debtor rows pay creditor columns.
rows, columns = debtors, creditors
cell = {
    (r["debtor_department_code"], r["creditor_department_code"]): r["amount_eur"]
    for r in matrix.iter_rows(named=True)
}
values = [[float(cell[(d, c)]) if (d, c) in cell else None for c in columns] for d in rows]
texts = [[formatting.euro(cell[(d, c)]) if (d, c) in cell else "" for c in columns] for d in rows]
st.plotly_chart(
    charts.heatmap(
        rows,
        columns,
        values,
        texts,
        title=t("verrekening.matrix", quarter=quarter),
        row_title=t("col.debtor"),
        column_title=t("col.creditor"),
    ),
    key="settlement_heatmap",
)

# --- Net position per department, from the published statements (own use left out).
ui.require_marts("mart_department_statements")
st.subheader(t("verrekening.net"))
st.caption(t("verrekening.net_help"))
net = queries.net_positions(quarter)
if net.height:
    st.plotly_chart(
        charts.bar(
            net,
            "department_code",
            "net_eur",
            euro=True,
            labels={"department_code": t("col.department"), "net_eur": t("col.net_position")},
        ),
        key="net_position",
    )
ui.show_table(
    net,
    [
        Column("department_code", "col.department"),
        Column("receivable_eur", "col.receivable", "euro"),
        Column("payable_eur", "col.payable", "euro"),
        Column("net_eur", "col.net_position", "euro"),
    ],
    key="net_table",
)

# --- One department's statement, to download.
st.subheader(t("verrekening.statement"))
departments = sorted(set(debtors) | set(creditors))
department = st.selectbox(
    t("filter.department"),
    departments,
    format_func=lambda code: ui.department_label(code, names),
    key=ui.translated("verrekening_statement_department"),
)
statement = queries.department_statement(quarter, department)
ui.show_table(
    statement,
    [
        Column("counterparty_department_code", "col.counterparty"),
        Column("counterparty_name_nl", "col.counterparty_name"),
        Column("payable_eur", "col.payable", "euro"),
        Column("receivable_eur", "col.receivable", "euro"),
        Column("net_eur", "col.net_position", "euro"),
    ],
    key="statement_table",
)
exports.statement_buttons(quarter, department, key="statement")
