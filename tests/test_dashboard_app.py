"""The dashboards under Streamlit's AppTest on the tiny warehouse.

Every page for every role renders without an exception, a role reaches only its pages,
and the figures on the page are the marts' figures (checked against direct queries of
reporting.duckdb). Every frame the app is handed is captured and checked: no person or
enrolment key, no unperturbed small count (1 or 2) in a published cell.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboards import data, formatting
from dashboards.auth_texts import say
from dashboards.i18n import t, t_count
from dashboards.roles import ALL_PAGES, load_roles
from leerdata.config import DataPaths, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]

APP = REPO_ROOT / "dashboards" / "app.py"
ROLES = load_roles().roles
PERSON_COUNT_COLUMNS = {"participants", "persons"}
SMALL_VALUES = 2  # the published ptable: 1..2 never appear (README, Disclosure control)

Captured = list[tuple[str, pl.DataFrame]]


def mart(paths: DataPaths, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    """The test's own view of the published file, independent of dashboards/data.py."""
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        return con.sql(sql, params=params).pl()


def assert_private(captured: Captured, min_cell_size: int) -> None:
    for sql, frame in captured:
        leaked = data.FORBIDDEN_COLUMNS & set(frame.columns)
        assert not leaked, f"{leaked} returned by: {sql}"
        for column in PERSON_COUNT_COLUMNS & set(frame.columns):
            counts = frame[column]
            if "suppressed" in frame.columns:
                suppressed = frame["suppressed"].fill_null(False)
                assert counts.filter(suppressed).null_count() == suppressed.sum(), sql
                published = counts.filter(~suppressed).drop_nulls()
            else:
                published = counts.drop_nulls()
            # perturbed counts (cell key method): a non-empty cell never shows as 1 or 2
            small = published.filter(published.is_between(1, SMALL_VALUES))
            assert small.is_empty(), f"unperturbed small counts in {column}: {sql}"


@pytest.fixture
def frames() -> Captured:
    """Every (sql, frame) data.query handed the app during the test."""
    return []


@pytest.fixture
def warehouse(
    tiny_warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch, frames: Captured
) -> Iterator[DataPaths]:
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tiny_warehouse.root))
    monkeypatch.setenv("LEERDATA_DEMO", "1")  # as `leerdata demo` does; off in config
    data.close_connections()
    with data.observe(lambda sql, frame: frames.append((sql, frame))):
        yield tiny_warehouse
    data.close_connections()
    assert_private(frames, load_settings(tiny_warehouse.root).disclosure.min_cell_size)


def start(role: str, lang: str = "nl") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    # Own secrets (without [auth]) so a developer's .streamlit/secrets.toml can't change mode.
    at.secrets["leerdata_test"] = "demo"
    at.run()
    assert not at.exception, at.exception
    if lang != "nl":
        at.sidebar.radio(key="lang").set_value(lang).run()
    at.sidebar.selectbox(key="demo_role").set_value(role).run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def open_tab(at: AppTest, key: str, label_key: str) -> AppTest:
    """A lazy tab (st.tabs with a key and on_change="rerun"), as a click on it opens it."""
    at.session_state[key] = t(label_key, "nl")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> Any:
    found = [m for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def table(at: AppTest, *label_keys: str) -> Any:
    """The one table on the page whose headers include these labels (Dutch)."""
    labels = {t(key, "nl") for key in label_keys}
    found = [frame.value for frame in at.dataframe if labels <= set(frame.value.columns)]
    assert len(found) == 1, [list(frame.value.columns) for frame in at.dataframe]
    return found[0]


def plotly_values(values: list[Any] | dict[str, str]) -> list[Any]:
    """A trace's values from a figure's JSON: plotly writes numbers as a typed array
    ({"dtype": "i2", "bdata": <base64>})."""
    if isinstance(values, dict):
        raw = base64.b64decode(values["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(values["dtype"])).tolist()
    return values


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


# --- every role, every page ---------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_opens_its_pages_and_no_other(
    warehouse: DataPaths, frames: Captured, role: str
) -> None:
    at = start(role)
    allowed = ROLES[role].pages
    for page in ALL_PAGES:
        if page in allowed:
            open_page(at, page)
            assert [title.value for title in at.title], page
        else:
            # Our own page, no data: not Streamlit's English "Page not found".
            # switch_page matches script files only; a browser asks for a page by the
            # hash of its address (st.Page hashes url_path), as here.
            at._page_hash = calc_hash(page)
            at.run()
            assert not at.exception, at.exception
            assert [title.value for title in at.title] == [t("unavailable.not_allowed.title", "nl")]
            assert at.warning[0].value == t(
                "unavailable.not_allowed.body", "nl", page=t(f"page.{page}", "nl")
            )
            home = t(f"page.{allowed[0]}", "nl")
            assert [link.label for link in at.page_link] == [t("unavailable.back", "nl", page=home)]
            assert not at.dataframe and not at.metric
    assert frames, "no frame was captured: the instrument in data.py is not wired"
    # fct_cost_allocation only through the fixed, aggregating named queries.
    tables = {
        name for sql, _ in frames if sql not in data.NAMED_QUERIES for name in data.check_query(sql)
    }
    assert "fct_cost_allocation" not in tables


def test_the_privacy_check_catches_a_small_cell_and_a_key() -> None:
    small = pl.DataFrame({"participants": [12, 2], "suppressed": [False, False]})
    with pytest.raises(AssertionError):
        assert_private([("q", small)], 10)
    unmarked = pl.DataFrame({"participants": [None, 4], "suppressed": [True, True]})
    with pytest.raises(AssertionError):
        assert_private([("q", unmarked)], 10)
    keyed = pl.DataFrame({"enrolment_key": ["x"]})
    with pytest.raises(AssertionError):
        assert_private([("q", keyed)], 10)
    assert_private(
        [
            (
                "q",
                pl.DataFrame(
                    {"participants": [None, 10, 3, 0], "suppressed": [True] + [False] * 3}
                ),
            )
        ],
        10,
    )


def test_the_demo_mode_says_so(warehouse: DataPaths) -> None:
    at = start("management")
    assert any(t("auth.demo_mode", "nl") == w.value for w in at.sidebar.warning)


def test_every_page_renders_in_english(warehouse: DataPaths) -> None:
    opened = set()
    for role in sorted(ROLES):
        at = start(role, lang="en")
        for page in ROLES[role].pages:
            if page in opened:
                continue
            open_page(at, page)
            opened.add(page)
            dutch = {t(f"page.{page}", "nl"), t("app.no_data", "nl"), t("value.suppressed", "nl")}
            shown = [e.value for e in (*at.title, *at.subheader, *at.info)]
            assert not dutch & set(shown), (page, shown)
    assert opened == set(ALL_PAGES)


def test_english_is_selectable(warehouse: DataPaths) -> None:
    at = open_page(start("finance", lang="en"), "verrekening")
    assert at.title[0].value == t("verrekening.title", "en")
    assert any(m.label.startswith(t("verrekening.total", "en", quarter="")) for m in at.metric)


def test_the_address_keeps_the_language(warehouse: DataPaths) -> None:
    """A reload, a bookmark or a shared link opens in the language it was read in."""
    at = start("finance", lang="en")
    assert at.query_params.get("lang") in ("en", ["en"]), at.query_params
    # a new session (a reload) from that address
    again = AppTest.from_file(str(APP), default_timeout=60)
    again.secrets["leerdata_test"] = "demo"
    again.query_params.update(at.query_params)
    again.run()
    assert not again.exception, again.exception
    assert again.sidebar.radio(key="lang").value == "en"
    assert again.title[0].value == t("overzicht.title", "en")
    # back to Dutch: the address names no language, so a reload opens in Dutch too
    again.sidebar.radio(key="lang").set_value("nl").run()
    assert "lang" not in again.query_params, again.query_params


def test_the_address_keeps_the_demo_role(warehouse: DataPaths) -> None:
    """In demo mode a reload opens with the role picked, not the default one."""
    at = start("finance")
    at.switch_page("app_pages/factuurcontrole.py").run()
    assert at.query_params.get("role") in ("finance", ["finance"]), at.query_params
    again = AppTest.from_file(str(APP), default_timeout=60)
    again.secrets["leerdata_test"] = "demo"
    again.query_params.update(at.query_params)
    again.run()
    assert again.sidebar.selectbox(key="demo_role").value == "finance"


def test_an_unknown_language_in_the_address_opens_in_dutch(warehouse: DataPaths) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["leerdata_test"] = "demo"
    at.query_params["lang"] = "fr"
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.radio(key="lang").value == "nl"
    assert at.title[0].value == t("overzicht.title", "nl")


# --- the numbers --------------------------------------------------------------------------


def test_overzicht_shows_the_marts_figures(warehouse: DataPaths) -> None:
    at = open_page(start("management"), "overzicht")
    spend = mart(
        warehouse, "select quarter, sum(amount_eur) as spend from mart_settlement_matrix group by 1"
    )
    built_at = mart(warehouse, "select built_at from mart_quality_build")["built_at"][0]
    # The page opens on a quarter that is over by the build date.
    default = at.sidebar.selectbox(key="overzicht_quarter").value
    assert isinstance(default, str), default
    year, q = int(default[:4]), int(default[-1])
    assert (year, q) < (built_at.year, (built_at.month - 1) // 3 + 1)
    # The busiest quarter: the figures shown are the marts' figures.
    quarter = spend.sort(["spend", "quarter"], descending=True)["quarter"][0]
    at.sidebar.selectbox(key="overzicht_quarter").set_value(quarter).run()
    totals = mart(
        warehouse,
        "select sum(participants) filter (where not suppressed) as participants, "
        "sum(completions) filter (where not suppressed) as completions, "
        "sum(enrolments) filter (where not suppressed) as enrolments "
        "from mart_participation where breakdown = 'total' and quarter = ?",
        [quarter],
    ).row(0, named=True)
    disputed = mart(
        warehouse,
        "select count(*) as n from fct_invoice_checks "
        "where status in ('disputed', 'partially_disputed') "
        "and year(issue_date) || '-Q' || quarter(issue_date) = ?",
        [quarter],
    )["n"][0]
    expected_spend = spend.filter(pl.col("quarter") == quarter)["spend"][0]
    assert metric(at, t("overzicht.spend", "nl")).value == formatting.euro(expected_spend)
    assert metric(at, t("overzicht.participants", "nl")).value == formatting.number(
        totals["participants"]
    )
    assert metric(at, t("overzicht.open_disputes", "nl")).value == formatting.number(disputed)
    completion = totals["completions"] / totals["enrolments"] if totals["enrolments"] else None
    assert metric(at, t("overzicht.completion", "nl")).value == formatting.percent(completion)
    assert charts(at) == 2


def test_overzicht_arrows_compare_with_the_quarter_before(warehouse: DataPaths) -> None:
    spend = mart(
        warehouse,
        "select quarter, sum(amount_eur) as spend from mart_settlement_matrix group by 1 "
        "order by 1",
    )
    assert spend.height >= 2, "the tiny warehouse should span more than one quarter"
    before, now = spend.row(spend.height - 2, named=True), spend.row(spend.height - 1, named=True)
    at = open_page(start("management"), "overzicht")
    at.sidebar.selectbox(key="overzicht_quarter").set_value(now["quarter"]).run()
    change = now["spend"] - before["spend"]
    expected = ("+" if change >= 0 else "-") + formatting.euro(abs(change))
    assert metric(at, t("overzicht.spend", "nl")).delta == expected


def test_verrekening_answers_who_owes_whom(warehouse: DataPaths) -> None:
    pair = mart(
        warehouse,
        "select quarter, debtor_department_code as debtor, creditor_department_code as creditor, "
        "amount_eur from mart_settlement_matrix "
        "where debtor_department_code <> creditor_department_code "
        "order by amount_eur desc, quarter, debtor, creditor limit 1",
    ).row(0, named=True)
    at = open_page(start("finance"), "verrekening")
    at.sidebar.selectbox(key="verrekening_quarter").set_value(pair["quarter"]).run()
    at.selectbox(key="verrekening_debtor").set_value(pair["debtor"]).run()
    at.selectbox(key="verrekening_creditor").set_value(pair["creditor"]).run()
    label = t(
        "verrekening.owes",
        "nl",
        debtor=pair["debtor"],
        creditor=pair["creditor"],
        quarter=pair["quarter"],
    )
    assert metric(at, label).value == formatting.euro(pair["amount_eur"])

    total = mart(
        warehouse,
        "select sum(amount_eur) as s from mart_settlement_matrix where quarter = ?",
        [pair["quarter"]],
    )["s"][0]
    label = t("verrekening.total", "nl", quarter=pair["quarter"])
    assert metric(at, label).value == formatting.euro(total)

    net = mart(
        warehouse,
        "select department_code, sum(net_eur) as net from mart_department_statements "
        "where quarter = ? group by 1",
        [pair["quarter"]],
    )
    shown = table(at, "col.department", "col.net_position")
    assert dict(
        zip(shown[t("col.department", "nl")], shown[t("col.net_position", "nl")], strict=True)
    ) == {row["department_code"]: formatting.euro(row["net"]) for row in net.iter_rows(named=True)}
    assert charts(at) == 2  # the heatmap and the net positions


def test_verrekening_statement_is_the_departments_statement(warehouse: DataPaths) -> None:
    row = mart(
        warehouse,
        "select quarter, department_code from mart_department_statements "
        "order by abs(net_eur) desc, quarter, department_code limit 1",
    ).row(0, named=True)
    at = open_page(start("finance"), "verrekening")
    at.sidebar.selectbox(key="verrekening_quarter").set_value(row["quarter"]).run()
    at.selectbox(key="verrekening_statement_department").set_value(row["department_code"]).run()
    expected = mart(
        warehouse,
        "select counterparty_department_code, payable_eur, receivable_eur "
        "from mart_department_statements where quarter = ? and department_code = ? "
        "order by counterparty_department_code",
        [row["quarter"], row["department_code"]],
    )
    shown = table(at, "col.counterparty", "col.payable")
    assert (
        list(shown[t("col.counterparty", "nl")])
        == expected["counterparty_department_code"].to_list()
    )
    assert list(shown[t("col.payable", "nl")]) == [
        formatting.euro(v) for v in expected["payable_eur"]
    ]
    downloads = at.get("download_button")
    assert len(downloads) == 2


def reporting_copy(tiny: DataPaths, tmp_path: Path) -> DataPaths:
    """A data dir of its own holding a copy of the tiny reporting file, to change."""
    root = tmp_path / "data"
    (root / "warehouse").mkdir(parents=True)
    shutil.copyfile(tiny.reporting_db, root / "warehouse" / "reporting.duckdb")
    return DataPaths.of(root)


def give_one_name(
    con: duckdb.DuckDBPyConnection, table: str, name: str, key: str, first: str, second: str
) -> None:
    """Give row `second` of a dimension the name of row `first`."""
    con.execute(
        f"update {table} set {name} = (select {name} from {table} where {key} = $first) "
        f"where {key} = $second",
        {"first": first, "second": second},
    )


@contextmanager
def app_on(paths: DataPaths, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app reads this data dir (demo mode) for the duration."""
    monkeypatch.setenv(data.DATA_DIR_ENV, str(paths.root))
    monkeypatch.setenv("LEERDATA_DEMO", "1")
    data.close_connections()
    try:
        yield
    finally:
        data.close_connections()


def test_factuurcontrole_counts_each_supplier_apart_when_names_repeat(
    tiny_warehouse: DataPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two suppliers may trade under one name (the KvK number tells them apart): the
    invoices-per-supplier chart must not add their invoices up under that name."""
    paths = reporting_copy(tiny_warehouse, tmp_path)
    with duckdb.connect(str(paths.reporting_db)) as con:
        counts = dict(
            con.execute(
                "select supplier_id, count(*) from fct_invoice_checks "
                "where supplier_id is not null group by 1 order by 1 limit 2"
            ).fetchall()
        )
        first, second = counts
        give_one_name(con, "dim_suppliers", "supplier_name", "supplier_id", first, second)
    with app_on(paths, monkeypatch):
        at = open_page(start("finance"), "factuurcontrole")
        open_tab(at, "factuur_view", "factuur.tab_invoices")
        [by_supplier] = [
            json.loads(chart.proto.spec)
            for chart in at.get("plotly_chart")
            if t("factuur.by_supplier", "nl") in chart.proto.spec
        ]
    per_supplier: dict[str, int] = {}
    for bar in by_supplier["data"]:
        for supplier, invoices in zip(bar["x"], plotly_values(bar["y"]), strict=True):
            per_supplier[supplier] = per_supplier.get(supplier, 0) + invoices
    for supplier_id, invoices in counts.items():
        [shown] = [n for label, n in per_supplier.items() if supplier_id in label]
        assert shown == invoices, (supplier_id, per_supplier)


def test_factuurcontrole_says_how_much_disputed_credit_lowers_the_total(
    warehouse: DataPaths,
) -> None:
    """The disputed total adds amounts with their sign, so a credit note in dispute makes
    it smaller; the page says which part that is (here: every invoice, all months)."""
    credits = mart(
        warehouse,
        "select count(*) as n, sum(disputed_total_eur) as eur from fct_invoice_checks "
        "where disputed_total_eur < 0",
    ).row(0, named=True)
    assert credits["n"] >= 1, "the tiny data has no disputed credit note to show"
    at = open_page(start("finance"), "factuurcontrole")
    shown = metric(at, t("factuur.disputed_total", "nl"))
    assert shown.help == t("factuur.disputed_help", "nl")
    expected = t_count(
        "factuur.disputed_credits",
        credits["n"],
        "nl",
        amount=formatting.euro(credits["eur"]).replace(" ", "\u00a0"),
    )
    assert expected in [c.value for c in at.caption], [c.value for c in at.caption]


def test_factuurcontrole_lists_a_suppliers_disputes_with_reasons(warehouse: DataPaths) -> None:
    supplier = mart(
        warehouse,
        "select supplier_id from fct_invoice_checks where supplier_id is not null "
        "and status in ('disputed', 'partially_disputed') "
        "group by 1 order by count(*) desc, 1 limit 1",
    )["supplier_id"][0]
    at = open_page(start("finance"), "factuurcontrole")
    at.sidebar.selectbox(key="factuur_supplier").set_value(supplier).run()
    at.sidebar.multiselect(key="factuur_status").set_value(["disputed", "partially_disputed"]).run()
    assert not at.exception

    invoices = mart(
        warehouse,
        "select invoice_id, disputed_total_eur, approved_total_eur from fct_invoice_checks "
        "where supplier_id = ? and status in ('disputed', 'partially_disputed') "
        "order by issue_date desc, invoice_id",
        [supplier],
    )
    open_tab(at, "factuur_view", "factuur.tab_invoices")
    shown = table(at, "col.invoice", "col.status")
    assert list(shown[t("col.invoice", "nl")]) == invoices["invoice_id"].to_list()
    assert metric(at, t("factuur.disputed_total", "nl")).value == formatting.euro(
        invoices["disputed_total_eur"].sum()
    )
    assert metric(at, t("factuur.approved_total", "nl")).value == formatting.euro(
        invoices["approved_total_eur"].sum() if invoices.height else Decimal(0)
    )

    # Drill down to the first invoice: its lines, with every reason in Dutch.
    invoice_id = invoices["invoice_id"][0]
    at.selectbox(key="factuur_invoice").set_value(invoice_id).run()
    lines = mart(
        warehouse,
        "select line_id, reason_codes from fct_invoice_line_checks where invoice_id = ? "
        "order by try_cast(line_id as bigint), line_id",
        [invoice_id],
    )
    shown_lines = table(at, "col.line", "col.verdict")
    assert list(shown_lines[t("col.line", "nl")]) == lines["line_id"].to_list()
    for codes, reasons in zip(
        lines["reason_codes"], shown_lines[t("col.reasons", "nl")], strict=True
    ):
        for code in filter(None, codes.split(",")):
            assert t(f"reason.{code}", "nl") in reasons

    # The dispute file of the supplier: the published dispute list, with a download.
    disputes = mart(
        warehouse,
        "select dispute_key from mart_invoice_disputes where supplier_id = ?",
        [supplier],
    )
    assert disputes.height > 0
    open_tab(at, "factuur_view", "factuur.tab_file")
    assert len(table(at, "col.invoice", "col.reasons_nl")) == disputes.height
    labels = [button.proto.label for button in at.get("download_button")]
    assert t("export.download_csv", "nl") in labels and t("export.download_xlsx", "nl") in labels


def test_evaluatie_ranks_worst_first_and_marks_suppressed_cells(warehouse: DataPaths) -> None:
    # Cell key method: every cell is published with perturbed counts; a rate is NULL below
    # min_cell_size persons in its own denominator, and a cell is withheld (suppressed, all
    # figures NULL) only very rarely, so at tiny scale there may be none. The ranking puts
    # the scored cells worst first, then the unscored ones ("–"), then any withheld ones.
    year = mart(
        warehouse,
        "select max(year) as y from mart_course_evaluation_yearly "
        "where not suppressed and completion_rate is not null",
    )["y"][0]
    cells = mart(
        warehouse,
        "select course_id, participants, completion_rate, suppressed "
        "from mart_course_evaluation_yearly where year = ? order by course_id",
        [year],
    )
    scored = cells.filter(~pl.col("suppressed") & pl.col("completion_rate").is_not_null())
    unscored = cells.filter(~pl.col("suppressed") & pl.col("completion_rate").is_null())
    withheld = cells.filter("suppressed")
    assert scored.height >= 2 and unscored.height >= 1, "fixture lost its mix of cells"
    expected = scored.sort(["completion_rate", "course_id"])

    at = open_page(start("evaluation"), "evaluatie")
    at.sidebar.radio(key="evaluatie_granularity").set_value("year").run()
    at.sidebar.selectbox(key="evaluatie_year").set_value(year).run()
    ranking = table(at, "col.rank", "col.course")
    course, rank = t("col.course", "nl"), t("col.rank", "nl")
    rate, participants = t("col.completion_rate", "nl"), t("col.participants", "nl")
    assert len(ranking) == cells.height
    ranked = ranking.iloc[: scored.height]
    assert [c.split(" — ")[0] for c in ranked[course]] == expected["course_id"].to_list()
    assert list(ranked[rank]) == [str(n) for n in range(1, scored.height + 1)]
    assert list(ranked[rate]) == [formatting.percent(v) for v in expected["completion_rate"]]
    assert list(ranked[participants]) == [formatting.number(v) for v in expected["participants"]]

    # Published without a rate: below the ranked cells, marked "–", their (perturbed)
    # participants still shown.
    blank = ranking[ranking[rank] == formatting.DASH]
    by_course = dict(zip(unscored["course_id"], unscored["participants"], strict=True))
    assert sorted(c.split(" — ")[0] for c in blank[course]) == sorted(by_course)
    assert set(blank[rate]) == {formatting.DASH}
    for label, shown in zip(blank[course], blank[participants], strict=True):
        assert shown == formatting.number(by_course[label.split(" — ")[0]])
    note = "evaluatie.unscored_note_one" if len(by_course) == 1 else "evaluatie.unscored_note"
    k = load_settings(warehouse.root).disclosure.min_cell_size
    assert t(note, "nl", n=len(by_course), metric=rate, k=k) in [c.value for c in at.caption]

    # Withheld cells (if any at this scale) read "onderdrukt", never "–" or 0.
    suppressed = ranking[ranking[rank] == t("value.suppressed", "nl")]
    assert sorted(c.split(" — ")[0] for c in suppressed[course]) == sorted(withheld["course_id"])
    assert set(suppressed[participants]) <= {t("value.suppressed", "nl")}
    assert charts(at) >= 1


def test_evaluatie_chart_draws_one_bar_per_course_when_titles_repeat(
    tiny_warehouse: DataPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Courses are ranked by id; titles repeat (medium data: 250 courses, 165 titles).
    A chart keyed by title stacked two courses into one bar, longer than either."""
    paths = reporting_copy(tiny_warehouse, tmp_path)
    with duckdb.connect(str(paths.reporting_db)) as con:
        found = con.execute(
            "select year, min(course_id), max(course_id) from mart_course_evaluation_yearly "
            "where not suppressed and completion_rate is not null "
            "group by year having count(*) >= 2 order by year desc limit 1"
        ).fetchone()
        assert found is not None, "no year with two ranked courses in the tiny warehouse"
        year, first, second = found
        give_one_name(con, "dim_courses", "course_title", "course_id", first, second)
    with app_on(paths, monkeypatch):
        at = open_page(start("evaluation"), "evaluatie")
        at.sidebar.radio(key="evaluatie_granularity").set_value("year").run()
        at.sidebar.selectbox(key="evaluatie_year").set_value(year).run()
        ranking = table(at, "col.rank", "col.course")
        scored = ranking[ranking[t("col.rank", "nl")].str.isdigit()]
        [chart] = at.get("plotly_chart")
        bars = json.loads(chart.proto.spec)["data"]
        labels = [label for bar in bars for label in bar["y"]]
    assert len(labels) == min(len(scored), 15)
    assert len(set(labels)) == len(labels), labels
    assert sum(first in label for label in labels) == 1, labels
    assert sum(second in label for label in labels) == 1, labels


def test_deelname_table_is_the_mart_with_suppressed_cells_marked(warehouse: DataPaths) -> None:
    at = open_page(start("management"), "deelname")
    at.session_state["deelname_view"] = t("deelname.tab_breakdown", "nl")  # its lazy tab
    at.sidebar.selectbox(key="deelname_breakdown").set_value("gender").run()
    # Quarters that started by the build date (a future quarter is not offered).
    expected = mart(
        warehouse,
        "select participants, suppressed from mart_participation where breakdown = 'gender' "
        "and quarter <= (select year(built_at) || '-Q' || quarter(built_at) "
        "from mart_quality_build) order by quarter, department_code, breakdown_value",
    )
    shown = table(at, "col.participants", "dim.gender")
    onderdrukt = t("value.suppressed", "nl")
    assert list(shown[t("col.participants", "nl")]) == [
        onderdrukt if suppressed else formatting.number(participants)
        for participants, suppressed in zip(
            expected["participants"], expected["suppressed"], strict=True
        )
    ]
    assert charts(at) == 1  # the breakdown; the department charts are on the other tab
    at.session_state["deelname_view"] = t("deelname.tab_over_time", "nl")
    at.run()
    assert charts(at) == 2 and not table(at, "col.participants", "col.spend").empty


def test_deelname_keeps_two_departments_directorates_of_one_name_apart(
    warehouse: DataPaths,
) -> None:
    """A directorate is a unit of its department: two departments' "Directie Strategie"
    are two series of the chart, each its own department's published figures, never
    one series of their sum (tiny data has five names in more than one department)."""
    shared = mart(
        warehouse,
        "select breakdown_value from mart_participation where breakdown = 'directorate' "
        "and not suppressed group by 1 having count(distinct department_code) > 1",
    )
    assert shared.height, "fixture lost its directorates of one name in two departments"
    at = open_page(start("management"), "deelname")
    at.session_state["deelname_view"] = t("deelname.tab_breakdown", "nl")
    at.sidebar.selectbox(key="deelname_breakdown").set_value("directorate").run()
    [chart] = at.get("plotly_chart")
    series = {
        bar["name"]: dict(zip(bar["x"], plotly_values(bar["y"]), strict=True))
        for bar in json.loads(chart.proto.spec)["data"]
    }
    expected = mart(
        warehouse,
        "select department_code, breakdown_value, quarter, participants "
        "from mart_participation where breakdown = 'directorate' and not suppressed "
        "and quarter <= (select year(built_at) || '-Q' || quarter(built_at) "
        "from mart_quality_build)",
    )
    units = expected.select("department_code", "breakdown_value").unique()
    assert len(series) == units.height, sorted(series)
    for department, directorate, quarter, participants in expected.iter_rows():
        [name] = [n for n in series if department in n and n.endswith(directorate)]
        [shown] = [v for q, v in series[name].items() if q.startswith(quarter)]
        assert shown == participants, (department, directorate, quarter)


def test_deelname_says_its_spend_is_not_the_settled_amount(warehouse: DataPaths) -> None:
    """Deelname's spend (the participants' department, scaled to perturbed enrolments)
    and the settled amount on Overzicht (the paying department) differ: the page says
    which is which, so a manager does not take one for the other."""
    differ = mart(
        warehouse,
        "select count(*) as n from mart_participation as p "
        "join (select quarter, debtor_department_code as department_code, "
        "sum(amount_eur) as settled from mart_settlement_matrix group by all) as s "
        "using (quarter, department_code) "
        "where p.breakdown = 'total' and p.spend_eur is not null and p.spend_eur <> s.settled",
    )["n"][0]
    assert differ > 0, "fixture: the two spend figures agree everywhere"
    at = open_page(start("management"), "deelname")
    assert t("deelname.spend_note", "nl") in [c.value for c in at.caption]


def test_datakwaliteit_counts_every_loaded_row(warehouse: DataPaths) -> None:
    at = open_page(start("evaluation"), "datakwaliteit")
    with duckdb.connect(str(warehouse.restricted_db), read_only=True) as con:
        manifest = (
            con.sql(
                "select sum(rows_loaded) as loaded, sum(rows_quarantined) as quarantined "
                "from load_manifest"
            )
            .pl()
            .row(0, named=True)
        )
        files = con.sql("select count(distinct file_name) as n from load_manifest").pl()["n"][0]
        batches = con.sql("select count(*) as n from load_manifest").pl()["n"][0]
    assert metric(at, t("kwaliteit.rows_loaded", "nl")).value == formatting.number(
        manifest["loaded"]
    )
    assert metric(at, t("kwaliteit.rows_quarantined", "nl")).value == formatting.number(
        manifest["quarantined"]
    )
    assert metric(at, t("kwaliteit.files", "nl")).value == formatting.number(files)
    assert len(table(at, "col.load_status")) == batches
    freshness = mart(warehouse, "select source_name from mart_quality_freshness")
    assert len(table(at, "col.newest_data")) == freshness.height


def test_quality_marts_carry_counts_not_values(warehouse: DataPaths) -> None:
    columns = mart(
        warehouse,
        "select table_name, column_name from information_schema.columns "
        "where table_name like 'mart_quality_%'",
    )
    assert columns.height > 0
    assert not {"raw_value", "raw_record", "content_sha256"} & set(columns["column_name"])


# --- login --------------------------------------------------------------------------------

OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-secret",
    "client_id": "leerdata",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.nl/.well-known/openid-configuration",
}


def test_with_a_provider_the_role_comes_from_the_login(warehouse: DataPaths) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = OIDC
    at.user = {"is_logged_in": True, "email": "F.deVries@example.nl"}  # finance in roles.toml
    at.run()
    assert not at.exception
    assert "demo_role" not in [box.key for box in at.sidebar.selectbox]  # no demo picker
    open_page(at, "verrekening")
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page("app_pages/deelname.py")


def test_with_a_provider_an_unknown_user_sees_nothing(warehouse: DataPaths) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = OIDC
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()
    assert [e.value for e in at.error] == [say("no_access", "nl", email="stranger@example.org")]
    assert not at.metric and not at.dataframe

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = OIDC
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.metric and not at.dataframe
    assert at.info or at.error  # the login prompt (or why login is unavailable)


def test_factuurcontrole_shows_the_net_position_and_the_document_chain(
    warehouse: DataPaths,
) -> None:
    """Issue 16: per supplier the net position after credit notes, and on an invoice line
    the credit notes netted against it with the net verdict."""
    credited = mart(
        warehouse,
        "select invoice_id, line_id, supplier_id, adjusted_by_invoice_ids, net_verdict "
        "from fct_invoice_line_checks where adjusted_by_invoice_ids is not null "
        "order by invoice_id, line_id limit 1",
    )
    assert credited.height, "no credited invoice line in the test data"
    supplier = credited["supplier_id"][0]
    at = open_page(start("finance"), "factuurcontrole")
    at.sidebar.selectbox(key="factuur_supplier").set_value(supplier).run()
    assert not at.exception

    position = mart(
        warehouse,
        "select credit_note_count, net_approved_total_eur, net_disputed_total_eur "
        "from mart_supplier_net_positions where supplier_id = ?",
        [supplier],
    ).row(0, named=True)
    open_tab(at, "factuur_view", "factuur.tab_net")
    shown = table(at, "col.credited", "col.net_approved")
    assert list(shown[t("col.net_approved", "nl")]) == [
        formatting.euro(position["net_approved_total_eur"])
    ]
    assert list(shown[t("col.net_disputed", "nl")]) == [
        formatting.euro(position["net_disputed_total_eur"])
    ]

    open_tab(at, "factuur_view", "factuur.tab_invoices")
    invoices = table(at, "col.invoice", "col.document_type")
    assert t("document.invoice", "nl") in set(invoices[t("col.document_type", "nl")])
    at.selectbox(key="factuur_invoice").set_value(credited["invoice_id"][0]).run()
    lines = table(at, "col.line", "col.net_verdict", "col.on_hold")
    row = list(lines[t("col.line", "nl")]).index(credited["line_id"][0])
    assert lines[t("col.adjusted_by", "nl")][row] == credited["adjusted_by_invoice_ids"][0]
    assert lines[t("col.net_verdict", "nl")][row] == t(
        f"verdict.{credited['net_verdict'][0]}", "nl"
    )


# --- the demo role survives a language switch and a page change ---------------------------


@pytest.mark.parametrize("by_link", [False, True])
def test_the_demo_role_survives_english_and_a_page_change(
    warehouse: DataPaths, by_link: bool
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["leerdata_test"] = "demo"
    if by_link:
        at.query_params["role"] = "finance"
        at.run()
    else:
        at.run()
        at.sidebar.selectbox(key="demo_role").set_value("finance").run()
    at.sidebar.radio(key="lang").set_value("en").run()
    role_box = at.sidebar.selectbox(key="demo_role")
    assert role_box.value == "finance"
    assert role_box.format_func(role_box.value) == "Finance"
    at.switch_page("app_pages/factuurcontrole.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == t("factuur.title", "en")
    assert at.sidebar.selectbox(key="demo_role").value == "finance"


# --- fail closed, and the login decides the departments -----------------------------------


@pytest.mark.parametrize("link", ["", "finance"])
def test_without_provider_and_demo_no_page_shows_data(
    warehouse: DataPaths, frames: Captured, monkeypatch: pytest.MonkeyPatch, link: str
) -> None:
    monkeypatch.delenv("LEERDATA_DEMO")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["leerdata_test"] = "no provider"
    if link:
        at.query_params["role"] = link
    at.run()
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == [say("closed.title", "nl")]
    assert "make demo" in at.warning[0].value
    assert not at.metric and not at.dataframe and not charts(at)
    for page in ALL_PAGES:  # a page's address opens the same explanation
        at.switch_page(f"app_pages/{page}.py").run()
        assert [title.value for title in at.title] == [say("closed.title", "nl")], page
        assert not at.metric and not at.dataframe and not charts(at)
    assert frames == []  # not one query ran


def test_with_a_provider_the_departments_come_from_the_login(
    warehouse: DataPaths, frames: Captured
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = OIDC
    # f.devries@example.nl is finance for OCW in config/roles.toml; the link asks for more.
    at.user = {"is_logged_in": True, "email": "f.devries@example.nl", "groups": ["nope"]}
    at.query_params["role"] = "management"
    at.run()
    open_page(at, "verrekening")
    settlement = [f for sql, f in frames if "mart_settlement_matrix" in sql and f.height]
    assert settlement
    for frame in settlement:
        for column in ("debtor_department_code", "creditor_department_code"):
            if column in frame.columns:
                assert "OCW" in set(frame[column]) or frame.height == 0
    statements = [f for sql, f in frames if "mart_department_statements" in sql]
    assert statements
    for frame in statements:
        if "department_code" in frame.columns:
            assert set(frame["department_code"]) <= {"OCW"}
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page("app_pages/deelname.py")


def test_a_broken_roles_file_opens_nothing(
    warehouse: DataPaths, frames: Captured, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "roles.toml"
    broken.write_text('[roles.x]\npages = ["overzicht"]\n[users]\n"a@b.nl" = "x"\n')
    monkeypatch.setenv("LEERDATA_ROLES_FILE", str(broken))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["leerdata_test"] = "demo"
    at.run()
    assert not at.exception
    assert "departments" in at.error[0].value
    assert not at.metric and not at.dataframe and frames == []


def test_an_unverified_address_grants_nothing(warehouse: DataPaths, frames: Captured) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = OIDC
    at.user = {"is_logged_in": True, "email": "f.devries@example.nl", "email_verified": False}
    at.run()
    assert [e.value for e in at.error] == [say("no_access", "nl", email="f.devries@example.nl")]
    assert not at.metric and not at.dataframe and frames == []
