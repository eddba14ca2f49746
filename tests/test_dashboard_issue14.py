"""The bugs and gaps of issue 14, each under Streamlit's AppTest on the tiny warehouse,
checked against direct queries of reporting.duckdb (and the CLI for the statement)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from dashboards import data, formatting
from dashboards.i18n import t
from leerdata.cli import app as cli_app
from leerdata.config import DataPaths, load_settings
from tests.test_dashboard_app import (
    Captured,
    assert_private,
    frames,
    mart,
    metric,
    open_page,
    open_tab,
    start,
    table,
    warehouse,
)

__all__ = ["frames", "warehouse"]  # fixtures used by name


def figures(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def figure(at: AppTest, title: str) -> dict[str, Any]:
    found = [f for f in figures(at) if (f["layout"].get("title") or {}).get("text") == title]
    assert len(found) == 1, [(f["layout"].get("title") or {}).get("text") for f in figures(at)]
    return found[0]


def numbers(encoded: Any) -> list[float]:
    """A trace's values: plotly writes numeric arrays as base64 ("bdata") in its JSON."""
    if isinstance(encoded, dict) and "bdata" in encoded:
        import base64

        import numpy as np

        raw = base64.b64decode(encoded["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(encoded["dtype"])).astype(float).tolist()
    return [float(v) for v in encoded or [] if isinstance(v, int | float)]


def build_quarter(paths: DataPaths) -> str:
    return mart(
        paths, "select year(built_at) || '-Q' || quarter(built_at) as q from mart_quality_build"
    )["q"][0]


def x_order(fig: dict[str, Any]) -> list[str]:
    """The order the x axis shows its categories in (the category array when set)."""
    axis = fig["layout"].get("xaxis", {})
    if axis.get("categoryarray"):
        return list(axis["categoryarray"])
    seen: list[str] = []
    for trace in fig["data"]:
        for x in trace.get("x", []):
            if x not in seen:
                seen.append(x)
    return seen


def open_breakdown_tab(at: AppTest) -> AppTest:
    """Deelname's second (lazy) tab, as a click on it does."""
    at.session_state["deelname_view"] = t("deelname.tab_breakdown", "nl")
    return at.run()


# --- Deelname -------------------------------------------------------------------------------
# On the small warehouse: at tiny scale a breakdown has too few directorates, quarters and
# series (and no future year) to show the bugs.


@pytest.fixture
def small(
    small_warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch, frames: Captured
) -> Iterator[DataPaths]:
    monkeypatch.setenv(data.DATA_DIR_ENV, str(small_warehouse.root))
    monkeypatch.setenv("LEERDATA_DEMO", "1")  # as `leerdata demo` does; off in config
    data.close_connections()
    with data.observe(lambda sql, frame: frames.append((sql, frame))):
        yield small_warehouse
    data.close_connections()
    assert_private(frames, load_settings(small_warehouse.root).disclosure.min_cell_size)


@pytest.mark.slow
def test_deelname_time_axis_is_in_time_order(small: DataPaths) -> None:
    at = open_breakdown_tab(open_page(start("management"), "deelname"))
    at.sidebar.selectbox(key="deelname_breakdown").set_value("gender").run()
    fig = figure(at, t("deelname.by_dimension", "nl", dimension=t("dim.gender", "nl").lower()))
    shown = x_order(fig)
    assert shown == sorted(shown) and len(shown) >= 3


@pytest.mark.slow
def test_deelname_gender_codes_are_translated_and_bands_ordered(small: DataPaths) -> None:
    at = open_breakdown_tab(open_page(start("management"), "deelname"))
    at.sidebar.selectbox(key="deelname_breakdown").set_value("gender").run()
    fig = figure(at, t("deelname.by_dimension", "nl", dimension=t("dim.gender", "nl").lower()))
    names = {trace["name"] for trace in fig["data"]}
    assert names <= {"Vrouw", "Man", "X (anders)", "Onbekend"} and "Vrouw" in names
    table_values = set(table(at, "col.participants", "dim.gender")[t("dim.gender", "nl")])
    assert not table_values & {"F", "M", "unknown"}

    at.sidebar.selectbox(key="deelname_breakdown").set_value("age_band").run()
    fig = figure(at, t("deelname.by_dimension", "nl", dimension=t("dim.age_band", "nl").lower()))
    order = fig["layout"]["legend"].get("traceorder")
    bands = [trace["name"] for trace in fig["data"]]
    assert bands[0] == "<25" and order != "reversed"
    assert bands == sorted(bands, key=lambda b: ["<25", "25-34", "35-44", "45-54", "55+"].index(b))


@pytest.mark.slow
def test_deelname_gives_every_directorate_its_own_colour(small: DataPaths) -> None:
    at = open_breakdown_tab(open_page(start("management"), "deelname"))
    at.sidebar.selectbox(key="deelname_breakdown").set_value("directorate").run()
    fig = figure(at, t("deelname.by_dimension", "nl", dimension=t("dim.directorate", "nl").lower()))
    colours = {trace["name"]: trace["marker"]["color"] for trace in fig["data"]}
    assert len(colours) > 8, "fixture has too few directorates to repeat the palette"
    assert len(set(colours.values())) == len(colours)


def test_deelname_runs_only_the_open_tab(warehouse: DataPaths, frames: Captured) -> None:
    """Lazy tabs: the department charts and the totals table first; the breakdown's query,
    chart and table only when its tab is opened."""
    at = open_page(start("management"), "deelname")
    assert len(at.get("plotly_chart")) == 2 and len(at.dataframe) == 1
    assert not any("breakdown = $breakdown" in sql for sql, _ in frames)
    open_breakdown_tab(at)
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 1
    assert table(at, "col.participants", "dim.directorate") is not None


def test_deelname_department_totals_table_with_a_download(warehouse: DataPaths) -> None:
    at = open_page(start("management"), "deelname")
    expected = mart(
        warehouse,
        "select quarter, department_code, participants, suppressed from mart_participation "
        "where breakdown = 'total' and quarter <= ? order by quarter, department_code",
        [build_quarter(warehouse)],
    )
    shown = next(
        frame.value
        for frame in at.dataframe
        if t("col.spend", "nl") in frame.value.columns
        and t("dim.directorate", "nl") not in frame.value.columns
    )
    assert list(shown[t("col.quarter", "nl")]) == expected["quarter"].to_list()
    labels = [button.proto.label for button in at.get("download_button")]
    assert t("export.download_csv", "nl") in labels


# --- periods ----------------------------------------------------------------------------------


def test_future_quarters_are_not_offered_and_the_running_one_is_marked(
    warehouse: DataPaths,
) -> None:
    current = build_quarter(warehouse)
    future = mart(
        warehouse, "select distinct quarter from mart_participation where quarter > ?", [current]
    )
    assert future.height, "fixture has no future quarter"
    at = open_page(start("management"), "overzicht")
    picker = at.sidebar.selectbox(key="overzicht_quarter")
    assert current in picker.options[-1] and "(lopend)" in picker.options[-1]
    assert not set(future["quarter"]) & {o.split(" ")[0] for o in picker.options}
    picker.set_value(current).run()
    assert any(current in w.value and "loopt nog" in w.value for w in at.warning)


@pytest.mark.slow
def test_evaluatie_does_not_offer_a_future_year(small: DataPaths) -> None:
    built_year = int(build_quarter(small)[:4])
    published_years = mart(small, "select distinct year from mart_course_evaluation_yearly")
    latest_year = published_years["year"].max()
    assert isinstance(latest_year, int) and latest_year > built_year, "fixture has no future year"
    at = open_page(start("evaluation"), "evaluatie")
    at.sidebar.radio(key="evaluatie_granularity").set_value("year").run()
    years = [int(str(o).split(" ")[0]) for o in at.sidebar.selectbox(key="evaluatie_year").options]
    assert max(years) == built_year


# --- Evaluatie ------------------------------------------------------------------------------


def test_evaluatie_ranks_by_no_show_and_shows_the_ranked_column(warehouse: DataPaths) -> None:
    at = open_page(start("evaluation"), "evaluatie")
    options = at.sidebar.selectbox(key="evaluatie_metric").options
    assert t("col.no_show_rate", "nl") in options
    for label in ("col.attendance_rate", "col.no_show_rate"):
        box = at.sidebar.selectbox(key="evaluatie_metric")
        box.select_index(box.options.index(t(label, "nl"))).run()
        ranking = table(at, "col.rank", "col.course")
        assert t(label, "nl") in ranking.columns


def test_evaluatie_ranks_on_time_from_enrolment_to_completion(warehouse: DataPaths) -> None:
    """Shortest first, in whole days, the marts' protected figure (NULL below k shows "–")."""
    at = open_page(start("evaluation"), "evaluatie")
    box = at.sidebar.selectbox(key="evaluatie_metric")
    box.select_index(box.options.index(t("col.completion_days", "nl"))).run()
    at.sidebar.checkbox(key="evaluatie_worst").uncheck().run()  # best (shortest) first
    assert not at.exception, at.exception
    quarter = at.sidebar.selectbox(key="evaluatie_quarter").value
    ranking = table(at, "col.rank", "col.course", "col.completion_days")
    expected = mart(
        warehouse,
        "select course_id, mean_completion_days from mart_course_evaluation "
        "where quarter = ? and not suppressed and mean_completion_days is not null "
        "order by mean_completion_days, course_id",
        [quarter],
    )
    assert expected.height, f"no published mean in {quarter}: nothing to rank"
    shown = ranking.head(expected.height)
    assert [c.split(" — ")[0] for c in shown[t("col.course", "nl")]] == list(expected["course_id"])
    assert list(shown[t("col.completion_days", "nl")]) == [
        formatting.number(d) for d in expected["mean_completion_days"]
    ]


def test_evaluatie_runs_only_the_open_tab(warehouse: DataPaths, frames: Captured) -> None:
    """Lazy tabs: opening the page queries and draws the course scorecard only; the
    supplier tab's query, chart and table come when that tab is opened."""
    at = open_page(start("evaluation"), "evaluatie")
    assert len(at.dataframe) == 1 and len(at.get("plotly_chart")) <= 1
    assert table(at, "col.rank", "col.course") is not None
    assert not any("mart_supplier_evaluation" in sql for sql, _ in frames)
    at.session_state["evaluatie_level"] = t("evaluatie.suppliers", "nl")
    at.run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1
    assert table(at, "col.rank", "col.supplier") is not None


@pytest.mark.slow
def test_evaluatie_wording_and_axis(small: DataPaths) -> None:
    assert t("evaluatie.suppressed_note_one", "nl", k=10).startswith("1 cel ")
    at = open_page(start("evaluation"), "evaluatie")
    captions = [c.value for c in at.caption]
    assert not any(c.startswith("1 cellen") for c in captions)
    checked = 0
    for fig in figures(at):
        title = fig["layout"]["title"]["text"]
        assert " per Cursus" not in title and " per Leverancier" not in title, title
        axis = fig["layout"]["xaxis"]
        values = [v for trace in fig["data"] for v in numbers(trace.get("x"))]
        if str(axis.get("tickformat", "")).endswith("%") and values and min(values) > 0.3:
            assert axis["range"][0] > 0, "bars near 100% on a 0-100% axis look alike"
            checked += 1
    assert checked, "no percentage chart with high values to check"


def test_evaluatie_table_fits_without_sideways_scrolling(warehouse: DataPaths) -> None:
    at = open_page(start("evaluation"), "evaluatie")
    ranking = table(at, "col.rank", "col.course")
    assert len(ranking.columns) <= 8, list(ranking.columns)


# --- Factuurcontrole ------------------------------------------------------------------------


def test_factuurcontrole_runs_only_the_open_tab(warehouse: DataPaths, frames: Captured) -> None:
    """Lazy tabs: the dispute summary first; invoices, net positions and the dispute
    file are queried and drawn when their tab is opened."""
    at = open_page(start("finance"), "factuurcontrole")
    assert len(at.dataframe) == 1 and len(at.get("plotly_chart")) <= 2
    assert table(at, "col.main_reason") is not None
    assert not any("mart_invoice_disputes" in sql for sql, _ in frames)
    open_tab(at, "factuur_view", "factuur.tab_file")
    assert table(at, "col.invoice", "col.reasons_nl") is not None
    assert not at.get("plotly_chart")


def test_factuurcontrole_partially_disputed_invoices_say_why(warehouse: DataPaths) -> None:
    at = open_page(start("finance"), "factuurcontrole")
    at.sidebar.multiselect(key="factuur_status").set_value(["partially_disputed"]).run()
    open_tab(at, "factuur_view", "factuur.tab_invoices")
    shown = table(at, "col.invoice", "col.status")
    assert len(shown), "fixture has no partially disputed invoice"
    assert all(reasons for reasons in shown[t("col.reasons", "nl")])


def test_factuurcontrole_disputes_newest_first(warehouse: DataPaths) -> None:
    at = open_tab(
        open_page(start("finance"), "factuurcontrole"), "factuur_view", "factuur.tab_file"
    )
    shown = table(at, "col.invoice", "col.reasons_nl")
    dates = [d for d in shown[t("col.issue_date", "nl")]]
    as_iso = [f"{d[6:]}-{d[3:5]}-{d[:2]}" for d in dates]
    assert as_iso == sorted(as_iso, reverse=True) and as_iso[0] > as_iso[-1]


def test_factuurcontrole_summarises_disputed_money_per_supplier(warehouse: DataPaths) -> None:
    expected = mart(
        warehouse,
        "select supplier_id, sum(disputed_total_eur) as disputed from fct_invoice_checks "
        "group by 1 having sum(disputed_total_eur) > 0 order by 2 desc, 1",
    )
    at = open_page(start("finance"), "factuurcontrole")
    shown = table(at, "col.main_reason", "col.disputed")
    assert list(shown[t("col.disputed", "nl")]) == [
        formatting.euro(v) for v in expected["disputed"]
    ]
    top = expected["supplier_id"][0]
    assert f"({top})" in shown[t("col.supplier", "nl")].iloc[0]
    assert shown[t("col.main_reason", "nl")].iloc[0]
    assert any(
        (f["layout"].get("title") or {}).get("text") == t("factuur.dispute_trend", "nl")
        for f in figures(at)
    )


# --- Verrekening ----------------------------------------------------------------------------


def test_verrekening_cell_drills_down_to_courses(warehouse: DataPaths) -> None:
    at = open_page(start("finance"), "verrekening")
    quarter = at.sidebar.selectbox(key="verrekening_quarter").value
    debtor = at.selectbox(key="verrekening_debtor").value
    creditor = at.selectbox(key="verrekening_creditor").value
    cell = mart(
        warehouse,
        "select sum(amount_eur) as a from mart_settlement_matrix where quarter = ? "
        "and debtor_department_code = ? and creditor_department_code = ?",
        [quarter, debtor, creditor],
    )["a"][0]
    shown = table(at, "col.cost_type", "col.allocations")
    amounts = [
        Decimal(v.removeprefix("€ ").replace(".", "").replace(",", "."))
        for v in shown[t("col.amount", "nl")]
    ]
    assert sum(amounts) == cell


def test_verrekening_statement_download_is_the_cli_file(
    warehouse: DataPaths, tmp_path: Path
) -> None:
    from dashboards import exports

    department, quarter = mart(
        warehouse,
        "select department_code, quarter from mart_department_statements "
        "group by all order by count(*) desc, 1, 2 limit 1",
    ).row(0)
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(
        cli_app,
        ["statement", "--department", department, "--quarter", quarter,
         "--data-dir", str(warehouse.root), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    from leerdata.finance.statement import statement_csv

    assert statement_csv(exports.statement(quarter, department)) == out.read_bytes()


# --- Overzicht ------------------------------------------------------------------------------


def test_overzicht_department_filter(warehouse: DataPaths) -> None:
    at = open_page(start("management"), "overzicht")
    quarter = at.sidebar.selectbox(key="overzicht_quarter").value
    row = mart(
        warehouse,
        "select department_code, participants from mart_participation where breakdown = 'total' "
        "and quarter = ? and not suppressed order by participants desc limit 1",
        [quarter],
    ).row(0)
    at.sidebar.multiselect(key="overzicht_departments").set_value([row[0]]).run()
    assert metric(at, t("overzicht.participants", "nl")).value == formatting.number(row[1])
    spend = mart(
        warehouse,
        "select coalesce(sum(amount_eur), 0) as s from mart_settlement_matrix "
        "where quarter = ? and debtor_department_code = ?",
        [quarter, row[0]],
    )["s"][0]
    assert metric(at, t("overzicht.spend", "nl")).value == formatting.euro(spend)


# --- Datakwaliteit --------------------------------------------------------------------------


def test_datakwaliteit_freshness_translated_and_complete(warehouse: DataPaths) -> None:
    at = open_page(start("evaluation"), "datakwaliteit")
    shown = table(at, "col.newest_data", "col.age_days")
    sources = list(shown[t("col.source", "nl")])
    assert "Facturen" in sources and "invoices" not in sources
    invoices = shown[shown[t("col.source", "nl")] == "Facturen"].iloc[0]
    assert invoices[t("col.age_days", "nl")] != formatting.DASH
    newest = mart(warehouse, "select max(issue_date) as d from fct_invoice_checks")["d"][0]
    assert invoices[t("col.newest_data", "nl")] == f"{newest:%d-%m-%Y}"
    loads = table(at, "col.load_status")
    assert set(loads[t("col.load_status", "nl")]) <= {
        t(f"load_status.{s}", "nl")
        for s in ("loaded", "partially_quarantined", "quarantined", "empty", "failed")
    }
    build = metric(at, t("kwaliteit.last_build", "nl")).value
    assert len(build) <= 10  # a date; the time is in the caption (it was cut off)


def test_datakwaliteit_in_english_names_sources_in_english(warehouse: DataPaths) -> None:
    at = open_page(start("evaluation", "en"), "datakwaliteit")
    sources = next(
        frame.value for frame in at.dataframe if t("col.newest_data", "en") in frame.value.columns
    )[t("col.source", "en")]
    assert "Invoices" in set(sources) and "Facturen" not in set(sources)


def test_datakwaliteit_dates_a_source_by_its_last_delivery(warehouse: DataPaths) -> None:
    """The supplier list arrives monthly, mostly unchanged; ingest skips an unchanged file,
    yet it is a delivery: the page's date and age are those of the newest file delivered,
    not of the last file whose content changed."""
    delivered = sorted((warehouse.landing / "catalogue").glob("suppliers_*.csv"))
    hashes = {path.read_bytes() for path in delivered}
    assert len(delivered) > len(hashes), "fixture has no unchanged supplier delivery"
    newest = datetime.strptime(delivered[-1].stem.split("_")[-1], "%Y%m%d").date()
    built_on = mart(warehouse, "select built_at from mart_quality_build")["built_at"][0].date()

    at = open_page(start("evaluation"), "datakwaliteit")
    shown = table(at, "col.newest_data", "col.age_days", "col.files_delivered")
    suppliers = shown[shown[t("col.source", "nl")] == "Leveranciers"].iloc[0]
    assert suppliers[t("col.newest_data", "nl")] == f"{newest:%d-%m-%Y}"
    assert suppliers[t("col.age_days", "nl")] == formatting.number((built_on - newest).days)
    assert suppliers[t("col.files_delivered", "nl")] == formatting.number(len(delivered))
