"""The questions of docs/questions.md, answered in a real browser as a user would.

Each test opens a page by its link (no interaction), then clicks and selects like a user
(each counted; at most three), reads the answer from the screen and compares it with a
direct query on the published marts of the tiny warehouse.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

from dashboards import formatting
from dashboards.i18n import t
from leerdata.config import DataPaths
from tests.streamlit_runs import settled, watch
from tests.test_browser_dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CHROMIUM_MISSING,
    open_rendered,
    server,
    wait_until_rendered,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_questions")]
__all__ = ["server"]  # fixture used by name

MAX_INTERACTIONS = 3


def mart(paths: DataPaths, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def one(paths: DataPaths, sql: str, params: list[Any] | None = None) -> Any:
    return mart(paths, sql, params)[0][0]


class User:
    """Drives the page as a person would and counts what they had to do."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.interactions = 0

    def open(self, path: str, role: str) -> None:
        open_rendered(self.page, f"{self.base}/{path}?role={role}", timeout=60)
        self.page.wait_for_selector("h1", timeout=60_000)

    @contextmanager
    def _interaction(self) -> Iterator[None]:
        """Count it, do it, and wait for the rerun it caused (if any) and the drawing."""
        self.interactions += 1
        assert self.interactions <= MAX_INTERACTIONS, "more than three interactions"
        with settled(self.page, timeout=60, interaction=True):
            yield
        wait_until_rendered(self.page, timeout=60)

    def select(self, label: str, option: str) -> None:
        box = self.page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
        box.click()
        with self._interaction():
            self.page.get_by_role("option", name=option, exact=True).click()

    def multiselect(self, label: str, option: str) -> None:
        box = self.page.locator('[data-testid="stMultiSelect"]').filter(has_text=label).first
        box.click()
        with self._interaction():
            self.page.get_by_role("option", name=option, exact=True).click()
            self.page.keyboard.press("Escape")

    def radio(self, label: str, option: str) -> None:
        group = self.page.locator('[data-testid="stRadio"]').filter(has_text=label).first
        with self._interaction():
            group.get_by_text(option, exact=True).click()

    def tab(self, name: str) -> None:
        with self._interaction():
            self.page.get_by_role("tab", name=name, exact=True).click()

    def download(self, label: str, index: int = 0) -> bytes:
        with self.page.expect_download() as event:
            self.page.get_by_role("button", name=label, exact=True).nth(index).click()
        self.interactions += 1
        assert self.interactions <= MAX_INTERACTIONS, "more than three interactions"
        return Path(event.value.path()).read_bytes()

    def metric(self, label: str) -> str:
        card = self.page.locator('[data-testid="stMetric"]').filter(has_text=label).first
        return card.locator('[data-testid="stMetricValue"]').inner_text().strip()

    def table(self, *headers: str, timeout: float = 20.0) -> list[dict[str, str]]:
        """The (visible rows of the) table on the page with these headers; a grid is
        drawn lazily, so look again for a while."""
        deadline = time.monotonic() + timeout
        while True:
            seen, rows = self._find_table(headers)
            if rows is not None:
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(f"no table with headers {headers}: {seen}")
            self.page.wait_for_timeout(500)

    def _find_table(self, headers: tuple[str, ...]) -> tuple[list, list[dict[str, str]] | None]:
        seen = []
        for grid in self.page.locator('[data-testid="stDataFrame"]').all():
            if not grid.is_visible():  # on another tab
                continue
            grid.scroll_into_view_if_needed()  # the grid draws its cells when on screen
            self.page.wait_for_timeout(200)
            rows = _rows(grid.locator("table").first)
            seen.append(list(rows[0]) if rows else [])
            if rows and set(headers) <= set(rows[0]):
                return seen, rows
        return seen, None


def _rows(table: Locator) -> list[dict[str, str]]:
    texts = [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tr").all()
    ]
    if not texts:
        return []
    header, body = texts[0], texts[1:]
    return [dict(zip(header, row, strict=False)) for row in body if row]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), CHROMIUM_MISSING
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    """One browser context for the module: each question opens its own page, with its
    own Streamlit session, and the role in its address. The context keeps the frontend's
    scripts in its cache, so a page does not load and compile them again (alone, this
    module took 54 s of CPU with a context per test, 45 s with one)."""
    context = browser.new_context(viewport={"width": 1440, "height": 2400}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def user(context: BrowserContext, server: str) -> Iterator[User]:
    page = watch(context.new_page())
    yield User(page, server)
    page.close()


def last_closed_quarter(paths: DataPaths) -> str:
    return one(
        paths,
        "select max(quarter) from mart_participation where quarter < "
        "(select year(built_at) || '-Q' || quarter(built_at) from mart_quality_build)",
    )


def dutch_csv(payload: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    text = payload.decode("utf-8-sig")
    block, _, table = text.partition("\r\n\r\n")
    header = dict(line.split(";", 1) for line in block.split("\r\n"))
    return header, list(csv.DictReader(io.StringIO(table), delimiter=";"))


# --- management ----------------------------------------------------------------------------


def test_m1_participants(user: User, tiny_warehouse: DataPaths) -> None:
    quarter = last_closed_quarter(tiny_warehouse)
    expected = one(
        tiny_warehouse,
        "select sum(participants) from mart_participation where breakdown = 'total' "
        "and quarter = ? and not suppressed",
        [quarter],
    )
    user.open("", "management")
    assert user.metric(t("overzicht.participants", "nl")) == formatting.number(expected)
    assert user.interactions == 0


def test_m2_department_spend(user: User, tiny_warehouse: DataPaths) -> None:
    quarter = last_closed_quarter(tiny_warehouse)
    department, spend = mart(
        tiny_warehouse,
        "select debtor_department_code, sum(amount_eur) from mart_settlement_matrix "
        "where quarter = ? group by 1 order by 2 desc limit 1",
        [quarter],
    )[0]
    name = one(
        tiny_warehouse,
        "select department_name_nl from dim_departments where department_code = ?",
        [department],
    )
    user.open("", "management")
    user.multiselect(t("filter.departments", "nl"), f"{department} — {name}")
    assert user.metric(t("overzicht.spend", "nl")) == formatting.euro(spend)


def test_m3_department_participants(user: User, tiny_warehouse: DataPaths) -> None:
    quarter = last_closed_quarter(tiny_warehouse)
    department, participants = mart(
        tiny_warehouse,
        "select department_code, participants from mart_participation "
        "where breakdown = 'total' and quarter = ? and not suppressed "
        "order by department_code limit 1",
        [quarter],
    )[0]
    user.open("deelname", "management")
    rows = user.table(t("col.quarter", "nl"), t("col.department", "nl"), t("col.spend", "nl"))
    found = [
        r
        for r in rows
        if r[t("col.quarter", "nl")] == quarter and r[t("col.department", "nl")] == department
    ]
    if not found:  # below the visible rows: the newest quarters come last
        pytest.fail(f"{quarter} {department} not among the visible rows")
    assert found[0][t("col.participants", "nl")] == formatting.number(participants)


def test_m4_running_quarter(user: User, tiny_warehouse: DataPaths) -> None:
    running = one(
        tiny_warehouse,
        "select year(built_at) || '-Q' || quarter(built_at) from mart_quality_build",
    )
    user.open("", "management")
    label = t("period.running", "nl", period=running)
    user.select(t("filter.quarter", "nl"), label)
    assert user.page.get_by_text("loopt nog", exact=False).count() >= 1


def test_m5_totals_download(user: User, tiny_warehouse: DataPaths) -> None:
    user.open("deelname", "management")
    header, rows = dutch_csv(user.download(t("export.download_csv", "nl")))
    assert header[t("export.period", "nl")]
    expected = mart(
        tiny_warehouse,
        "select quarter, department_code, spend_eur from mart_participation "
        "where breakdown = 'total' and quarter <= (select year(built_at) || '-Q' || "
        "quarter(built_at) from mart_quality_build) order by quarter, department_code",
    )
    assert [(r["Kwartaal"], r["Departement"]) for r in rows] == [(q, d) for q, d, _ in expected]
    for row, (_, _, spend) in zip(rows, expected, strict=True):
        shown = row[t("col.spend", "nl")]
        assert shown == ("" if spend is None else f"{spend}".replace(".", ","))


# --- finance -------------------------------------------------------------------------------


def _biggest_settlement(paths: DataPaths) -> tuple[str, str, str, Any]:
    return mart(
        paths,
        "select quarter, debtor_department_code, creditor_department_code, sum(amount_eur) "
        "from mart_settlement_matrix where debtor_department_code <> creditor_department_code "
        "and quarter < (select year(built_at) || '-Q' || quarter(built_at) "
        "from mart_quality_build) group by all order by 4 desc limit 1",
    )[0]


def test_f1_owes(user: User, tiny_warehouse: DataPaths) -> None:
    quarter, debtor, creditor, amount = _biggest_settlement(tiny_warehouse)
    user.open("verrekening", "finance")
    user.select(t("filter.quarter", "nl"), quarter)
    user.select(t("col.debtor", "nl"), debtor)
    user.select(t("col.creditor", "nl"), creditor)
    label = t("verrekening.owes", "nl", debtor=debtor, creditor=creditor, quarter=quarter)
    assert user.metric(label) == formatting.euro(amount)


def test_f2_drilldown(user: User, tiny_warehouse: DataPaths) -> None:
    quarter, debtor, creditor, amount = _biggest_settlement(tiny_warehouse)
    user.open("verrekening", "finance")
    user.select(t("filter.quarter", "nl"), quarter)
    user.select(t("col.debtor", "nl"), debtor)
    user.select(t("col.creditor", "nl"), creditor)
    rows = user.table(t("col.cost_type", "nl"), t("col.allocations", "nl"))
    expected = mart(
        tiny_warehouse,
        "select course_id, cost_type, count(*), sum(amount_eur) from fct_cost_allocation "
        "where quarter = ? and debtor_department_code = ? and creditor_department_code = ? "
        "group by all order by 4 desc, 1, 2",
        [quarter, debtor, creditor],
    )
    shown = [
        (
            r[t("col.course_id", "nl")],
            r[t("col.cost_type", "nl")],
            r[t("col.allocations", "nl")],
            r[t("col.amount", "nl")],
        )
        for r in rows
    ]
    assert (
        shown
        == [
            (course, t(f"cost_type.{kind}", "nl"), formatting.number(n), formatting.euro(total))
            for course, kind, n, total in expected
        ][: len(shown)]
    )
    assert sum(row[3] for row in expected) == amount


def test_f3_top_disputed_supplier(user: User, tiny_warehouse: DataPaths) -> None:
    supplier, disputed = mart(
        tiny_warehouse,
        "select supplier_id, sum(disputed_total_eur) from fct_invoice_checks "
        "group by 1 order by 2 desc, 1 limit 1",
    )[0]
    reason = one(
        tiny_warehouse,
        "select code from (select unnest(string_split(reason_codes, ',')) as code, "
        "disputed_amount_eur as amount from fct_invoice_line_checks "
        "where verdict = 'disputed' and supplier_id = ?) group by code "
        "order by sum(amount) desc, code limit 1",
        [supplier],
    )
    user.open("factuurcontrole", "finance")
    first = user.table(t("col.main_reason", "nl"))[0]
    assert f"({supplier})" in first[t("col.supplier", "nl")]
    assert first[t("col.disputed", "nl")] == formatting.euro(disputed)
    assert first[t("col.main_reason", "nl")] == t(f"reason.{reason}", "nl")
    assert user.interactions == 0


def test_f4_disputed_per_reason(user: User, tiny_warehouse: DataPaths) -> None:
    top = one(
        tiny_warehouse,
        "select code from (select unnest(string_split(reason_codes, ',')) as code, "
        "disputed_amount_eur as amount from fct_invoice_line_checks where verdict = 'disputed') "
        "group by code order by sum(amount) desc, code limit 1",
    )
    user.open("factuurcontrole", "finance")
    chart = user.page.locator('[data-testid="stPlotlyChart"]').filter(
        has=user.page.locator("text.gtitle", has_text=t("factuur.by_reason", "nl"))
    )
    labels = chart.first.locator("g.ytick text").all_text_contents()
    # The horizontal bar chart lists reasons bottom-up; the largest bar is one of its labels.
    assert t(f"reason.{top}", "nl") in labels


def test_f5_partial_reasons(user: User, tiny_warehouse: DataPaths) -> None:
    supplier, name = mart(
        tiny_warehouse,
        "select invoices.supplier_id, suppliers.supplier_name from fct_invoice_checks as invoices "
        "join dim_suppliers as suppliers using (supplier_id) "
        "where status = 'partially_disputed' group by all order by count(*) desc, 1 limit 1",
    )[0]
    expected = mart(
        tiny_warehouse,
        "select invoice_id from fct_invoice_checks where supplier_id = ? "
        "and status = 'partially_disputed' order by issue_date desc, invoice_id",
        [supplier],
    )
    user.open("factuurcontrole", "finance")
    user.select(t("filter.supplier", "nl"), f"{name} ({supplier})")
    user.tab(t("factuur.tab_invoices", "nl"))
    # The user reads the rows marked "deels betwist" (the newest come first).
    rows = user.table(t("col.invoice", "nl"), t("col.status", "nl"))
    partial = [r for r in rows if r[t("col.status", "nl")] == t("status.partially_disputed", "nl")]
    assert [r[t("col.invoice", "nl")] for r in partial] == [row[0] for row in expected][
        : len(partial)
    ]
    assert partial and all(r[t("col.reasons", "nl")] for r in partial)


def test_f6_statement_download(user: User, tiny_warehouse: DataPaths) -> None:
    quarter, debtor, _, _ = _biggest_settlement(tiny_warehouse)
    payable = one(
        tiny_warehouse,
        "select sum(payable_eur) from mart_department_statements "
        "where quarter = ? and department_code = ?",
        [quarter, debtor],
    )
    user.open("verrekening", "finance")
    user.select(t("filter.quarter", "nl"), quarter)
    names = dict(
        mart(tiny_warehouse, "select department_code, department_name_nl from dim_departments")
    )
    user.select(t("filter.department", "nl"), f"{debtor} — {names[debtor]}")
    header, rows = dutch_csv(user.download(t("verrekening.download_csv", "nl")))
    assert header["Periode"] == quarter
    total = rows[-1]
    assert total["Tegenpartij"] == "TOTAAL"
    assert total["Te betalen (€)"] == f"{payable}".replace(".", ",")


# --- evaluation ----------------------------------------------------------------------------


# The page starts on the latest period over by the build date that has a figure to rank
# (a published cell with a rate or mean); with none over yet, the latest such period.
_SCORED = (
    "not suppressed and (completion_rate is not null or pass_rate is not null "
    "or mean_overall is not null or nps is not null or cost_per_completion_eur is not null "
    "or attendance_rate is not null or no_show_rate is not null "
    "or mean_completion_days is not null)"
)


def _year(paths: DataPaths) -> int:
    return one(
        paths,
        "with built as (select year(built_at) as year from mart_quality_build) "
        "select coalesce(max(cells.year) filter (where cells.year < built.year), "
        "max(cells.year)) from mart_course_evaluation_yearly as cells, built "
        f"where cells.year <= built.year and {_SCORED}",
    )


def test_e1_worst_completion(user: User, tiny_warehouse: DataPaths) -> None:
    year = _year(tiny_warehouse)
    course, rate = mart(
        tiny_warehouse,
        "select course_id, completion_rate from mart_course_evaluation_yearly "
        "where year = ? and not suppressed and completion_rate is not null "
        "order by completion_rate, course_id limit 1",
        [year],
    )[0]
    user.open("evaluatie", "evaluation")
    user.radio(t("evaluatie.granularity", "nl"), t("evaluatie.per_year", "nl"))
    first = user.table(t("col.rank", "nl"))[0]
    assert first[t("col.course", "nl")].startswith(course)
    assert first[t("col.completion_rate", "nl")] == formatting.percent(rate)


def test_e2_no_show_per_category(user: User, tiny_warehouse: DataPaths) -> None:
    year = _year(tiny_warehouse)
    expected = dict(
        mart(
            tiny_warehouse,
            "select category_code, no_show_rate from mart_category_evaluation_yearly "
            "where year = ?",
            [year],
        )
    )
    user.open("evaluatie", "evaluation")
    user.radio(t("evaluatie.granularity", "nl"), t("evaluatie.per_year", "nl"))
    user.select(t("filter.metric", "nl"), t("col.no_show_rate", "nl"))
    user.tab(t("evaluatie.categories", "nl"))
    rows = user.table(t("col.rank", "nl"), t("col.category", "nl"))
    assert rows
    for row in rows:
        code = row[t("col.category", "nl")].split(" — ")[0]
        rate = expected[code]
        shown = row[t("col.no_show_rate", "nl")]
        assert shown in (formatting.percent(rate), t("value.suppressed", "nl"), formatting.DASH)
        if rate is not None:
            assert shown == formatting.percent(rate)


def test_e3_supplier_attendance(user: User, tiny_warehouse: DataPaths) -> None:
    user.open("evaluatie", "evaluation")
    user.select(t("filter.metric", "nl"), t("col.attendance_rate", "nl"))
    user.tab(t("evaluatie.suppliers", "nl"))
    # The page starts on the latest closed quarter with a published cell (with none,
    # the latest closed quarter).
    current = "(select year(built_at) || '-Q' || quarter(built_at) from mart_quality_build)"
    quarter = one(
        tiny_warehouse,
        f"select coalesce(max(quarter) filter (where quarter < {current}), max(quarter)) "
        f"from mart_course_evaluation where quarter <= {current} and {_SCORED}",
    )
    expected = dict(
        mart(
            tiny_warehouse,
            "select supplier_id, attendance_rate from mart_supplier_evaluation where quarter = ?",
            [quarter],
        )
    )
    rows = user.table(t("col.rank", "nl"), t("col.supplier", "nl"))
    assert rows
    for row in rows:
        supplier = row[t("col.supplier", "nl")].split(" — ")[0]
        assert supplier in expected, (quarter, supplier, sorted(expected))
        rate = expected[supplier]
        shown = row[t("col.attendance_rate", "nl")]
        assert shown == (formatting.percent(rate) if rate is not None else shown)


def test_e4_course_satisfaction(user: User, tiny_warehouse: DataPaths) -> None:
    year = _year(tiny_warehouse)
    expected = dict(
        mart(
            tiny_warehouse,
            "select course_id, mean_overall from mart_course_evaluation_yearly where year = ?",
            [year],
        )
    )
    user.open("evaluatie", "evaluation")
    user.radio(t("evaluatie.granularity", "nl"), t("evaluatie.per_year", "nl"))
    for row in user.table(t("col.rank", "nl"), t("col.course", "nl")):
        course = row[t("col.course", "nl")].split(" — ")[0]
        if expected[course] is not None:
            assert row[t("col.satisfaction", "nl")] == formatting.score(expected[course])


def test_e6_longest_enrolment_to_completion(user: User, tiny_warehouse: DataPaths) -> None:
    year = _year(tiny_warehouse)
    course, days = mart(
        tiny_warehouse,
        "select course_id, mean_completion_days from mart_course_evaluation_yearly "
        "where year = ? and not suppressed and mean_completion_days is not null "
        "order by mean_completion_days desc, course_id limit 1",
        [year],
    )[0]
    user.open("evaluatie", "evaluation")
    user.radio(t("evaluatie.granularity", "nl"), t("evaluatie.per_year", "nl"))
    user.select(t("filter.metric", "nl"), t("col.completion_days", "nl"))
    first = user.table(t("col.rank", "nl"))[0]
    assert first[t("col.course", "nl")].startswith(course)
    assert first[t("col.completion_days", "nl")] == formatting.number(days)
    assert user.interactions == 2


def test_e5_unscored(user: User, tiny_warehouse: DataPaths) -> None:
    # Cell key method: every cell is published (perturbed); a rate is blank ("–") where its
    # own denominator has fewer than min_cell_size persons, and only very rarely is a whole
    # cell withheld ("onderdrukt"). The user reads which courses have no completion rate
    # and why, and which (if any) are withheld.
    year = _year(tiny_warehouse)
    cells = mart(
        tiny_warehouse,
        "select course_id, suppressed, completion_rate is null from "
        "mart_course_evaluation_yearly where year = ?",
        [year],
    )
    unscored = sorted(c for c, suppressed, blank in cells if blank and not suppressed)
    suppressed = sorted(c for c, withheld, _ in cells if withheld)
    assert unscored, "fixture has no course without a completion rate"
    k = one(tiny_warehouse, "select min_cell_size from mart_quality_build")
    user.open("evaluatie", "evaluation")
    user.radio(t("evaluatie.granularity", "nl"), t("evaluatie.per_year", "nl"))
    rate = t("col.completion_rate", "nl")
    note = "evaluatie.unscored_note_one" if len(unscored) == 1 else "evaluatie.unscored_note"
    assert user.page.get_by_text(t(note, "nl", n=len(unscored), metric=rate, k=k)).count() >= 1
    rows = user.table(t("col.rank", "nl"), t("col.course", "nl"))
    assert len(rows) == len(cells)

    def course(row: dict[str, str]) -> str:
        return row[t("col.course", "nl")].split(" — ")[0]

    blank = [r for r in rows if r[t("col.rank", "nl")] == formatting.DASH]
    assert sorted(course(r) for r in blank) == unscored
    assert {r[rate] for r in blank} == {formatting.DASH}
    withheld = [r for r in rows if r[t("col.rank", "nl")] == t("value.suppressed", "nl")]
    assert sorted(course(r) for r in withheld) == suppressed
    if suppressed:
        note = (
            "evaluatie.suppressed_note_one" if len(suppressed) == 1 else "evaluatie.suppressed_note"
        )
        assert user.page.get_by_text(t(note, "nl", n=len(suppressed), k=k)).count() >= 1
