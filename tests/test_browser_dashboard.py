"""The dashboards in a real headless browser (Debian chromium driven by Playwright).

A streamlit server on a free localhost port serves the tiny warehouse; every page is
opened, must render without an error box, and is photographed into
test-artifacts/screenshots/ (git-ignored; good ones are copied to docs/screenshots/).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from dashboards import charts
from dashboards.i18n import t
from dashboards.roles import ALL_PAGES, load_roles
from leerdata.config import DataPaths
from leerdata.dashboard_launcher import dashboard_url, free_port, start_dashboard, stop_dashboard
from tests.streamlit_runs import settled, watch

REPO_ROOT = Path(__file__).resolve().parents[1]

# One chromium and one dashboard server (module fixture) per run, on one worker.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_dashboard")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHROMIUM_MISSING = "Debian chromium is missing: run `make system-deps`"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
TITLE_KEYS = {
    "overzicht": "overzicht.title",
    "deelname": "deelname.title",
    "verrekening": "verrekening.title",
    "factuurcontrole": "factuur.title",
    "evaluatie": "evaluatie.title",
    "datakwaliteit": "kwaliteit.title",
}


def url_path(page: str) -> str:
    """A page's address for the first role that may open it (its first page is /)."""
    roles = load_roles().roles
    name, role = next((n, r) for n, r in sorted(roles.items()) if page in r.pages)
    return f"{'' if role.pages[0] == page else page}?role={name}"


@pytest.fixture(scope="module")
def server(tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    # Demo mode for this server only, as `leerdata demo` runs it (off in config/roles.toml).
    process = start_dashboard(tiny_warehouse, port, log_file=log, demo=True)
    try:
        yield dashboard_url(port)
    finally:
        stop_dashboard(process)


def wait_until_rendered(page: Page, timeout: float = 30.0, language: str = "nl") -> None:
    """Until every plotly chart has drawn and no table is still loading (a skeleton in its
    place), after the script run is over (wait for that with `settled` around the goto or
    click that started it).

    app.py writes the build caption after the page has run, so it must be there too.
    """
    finished = page.get_by_text(t("app.build", language, built_at="").strip())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        charts = page.locator('[data-testid="stPlotlyChart"]').count()
        drawn = page.locator('[data-testid="stPlotlyChart"] .main-svg').count()
        # Tables load their grid lazily: a skeleton stands in until it is drawn.
        loading = page.locator('[data-testid="stSkeleton"]').count()
        if finished.count() > 0 and drawn >= charts and not loading:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{page.url} did not finish rendering in {timeout:.0f} s")


def open_rendered(page: Page, url: str, timeout: float = 30.0) -> None:
    """Open the address, wait for the script run it asked for, then for the drawing."""
    with settled(page, timeout=timeout):
        page.goto(url)
    wait_until_rendered(page, timeout=timeout)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium for the module; each test opens its page in a context of its own."""
    assert CHROMIUM.exists(), CHROMIUM_MISSING
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def own_page(browser: Browser, height: int) -> Iterator[Page]:
    """A page in a new browser context (no cookie or storage of another test)."""
    context = browser.new_context(viewport={"width": 1440, "height": height})
    try:
        yield watch(context.new_page())
    finally:
        context.close()


def test_every_page_renders_in_chromium(server: str, browser: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with own_page(browser, 1800) as page:
        for name in ALL_PAGES:
            open_rendered(page, f"{server}/{url_path(name)}")
            page.wait_for_selector("h1", timeout=30_000)
            assert page.locator('[data-testid="stException"]').count() == 0, name
            content = page.content()
            assert "Traceback" not in content, name
            assert "Page not found" not in content, name
            heading = page.locator("h1").first.inner_text()
            assert t(TITLE_KEYS[name], "nl") in heading, (name, heading)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert sorted(p.stem for p in SCREENSHOTS.glob("*.png")) >= sorted(ALL_PAGES)


def sidebar_links(page: Page) -> list[str]:
    """The page titles in the sidebar menu (each link's text ends with its title)."""
    return [
        link.inner_text().strip().splitlines()[-1]
        for link in page.locator('[data-testid="stSidebarNav"] a').all()
        if link.inner_text().strip()
    ]


@pytest.mark.parametrize("by_link", [False, True], ids=["picked", "role-link"])
def test_the_demo_role_survives_english_and_a_page_change(
    server: str, browser: Browser, by_link: bool
) -> None:
    """Financiën picked (or ?role=finance), English picked, 'Invoice checks' clicked: the
    page opens for finance, and the role box reads 'Finance'."""
    with own_page(browser, 1200) as page:
        open_rendered(page, f"{server}/?role=finance" if by_link else server)
        role_box = page.get_by_role("combobox", name=t("auth.demo_role", "nl"))
        if not by_link:
            role_box.click()
            with settled(page, interaction=True):
                page.get_by_role("option", name="Financiën").click()
            wait_until_rendered(page)
        assert role_box.input_value() == "Financiën"
        with settled(page, interaction=True):
            page.get_by_text("English", exact=True).click()
        page.wait_for_selector(f"h1:has-text('{t('overzicht.title', 'en')}')")
        wait_until_rendered(page, language="en")
        with settled(page):  # another page: always a run
            page.get_by_role("link", name=t("page.factuurcontrole", "en")).click()
        wait_until_rendered(page, language="en")
        assert page.locator("h1").first.inner_text() == t("factuur.title", "en")
        english_box = page.get_by_role("combobox", name=t("auth.demo_role", "en"))
        assert english_box.input_value() == "Finance"
        assert t("page.verrekening", "en") in sidebar_links(page)


@pytest.mark.parametrize(
    ("address", "kind", "named"),
    [
        ("verrekening?role=management", "not_allowed", t("page.verrekening", "nl")),
        ("bestaat-niet?role=finance", "not_found", "/bestaat-niet"),
    ],
    ids=["not-allowed", "unknown"],
)
def test_an_address_the_role_cannot_open_gets_our_own_page(
    server: str, browser: Browser, address: str, kind: str, named: str
) -> None:
    """Not Streamlit's bare English "Page not found" dialog: a Dutch page that says why,
    with a link back to the role's first page."""
    with own_page(browser, 1200) as page:
        open_rendered(page, f"{server}/{address}")
        content = page.content()
        assert "Page not found" not in content
        assert "You have requested page" not in content
        assert page.locator('[role="dialog"]').count() == 0
        assert page.locator("h1").first.inner_text() == t(f"unavailable.{kind}.title", "nl")
        body = t(f"unavailable.{kind}.body", "nl", page=named)
        assert page.get_by_text(body).count() == 1
        home = load_roles().roles[address.split("role=")[1]].pages[0]
        with settled(page):  # another page: always a run
            page.get_by_role(
                "link", name=t("unavailable.back", "nl", page=t(f"page.{home}", "nl"))
            ).click()
        page.wait_for_selector(f"h1:has-text('{t(TITLE_KEYS[home], 'nl')}')")
        wait_until_rendered(page)


@pytest.mark.parametrize("horizontal", [True, False], ids=["bars", "columns"])
def test_a_zoomed_percent_axis_never_repeats_a_label(browser: Browser, horizontal: bool) -> None:
    """Rates a few points apart (the evaluation page's categories: 93.1 to 95.6 %), drawn
    by chromium: every value-axis label that plotly draws is a different number."""
    frame = pl.DataFrame(
        {"category": [f"c{n}" for n in range(10)], "rate": [0.931 + 0.0028 * n for n in range(10)]}
    )
    figure = charts.bar(frame, "category", "rate", horizontal=horizontal, percent=True, zoom=True)
    figure.update_layout(width=700, height=450)
    axis = "xtick" if horizontal else "ytick"
    with own_page(browser, 600) as page:
        page.set_content(figure.to_html(include_plotlyjs=True, full_html=True))
        page.wait_for_selector(f"g.{axis} text", timeout=30_000)
        labels = page.locator(f"g.{axis} text").all_text_contents()
    assert len(labels) >= 3, labels
    assert len(set(labels)) == len(labels), labels
    assert all(label.endswith("%") and "." not in label for label in labels), labels


def test_a_choice_reads_in_english_after_the_switch(server: str, browser: Browser) -> None:
    """The browser sends a choice back by its shown label and kept showing that label
    after a language switch: "Tevredenheid (1–10)" on an English page."""
    with own_page(browser, 1200) as page:
        open_rendered(page, f"{server}/evaluatie?role=evaluation")
        metric_box = page.get_by_role("combobox", name=t("filter.metric", "nl"))
        metric_box.click()
        with settled(page, interaction=True):
            page.get_by_role("option", name=t("col.satisfaction", "nl")).click()
        wait_until_rendered(page)
        with settled(page, interaction=True):
            page.get_by_text("English", exact=True).click()
        wait_until_rendered(page, language="en")
        english_box = page.get_by_role("combobox", name=t("filter.metric", "en"))
        assert english_box.input_value() == t("col.satisfaction", "en")
        ranking = t("evaluatie.ranking", "en", metric=t("col.satisfaction", "en"))
        assert page.get_by_role("heading", name=ranking).count() == 1


def test_chosen_statuses_read_in_english_after_the_switch(server: str, browser: Browser) -> None:
    with own_page(browser, 1200) as page:
        open_rendered(page, f"{server}/factuurcontrole?role=finance")
        with settled(page, interaction=True):
            page.get_by_text("English", exact=True).click()
        wait_until_rendered(page, language="en")
        tags = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelectTagsContainer"]')
        chips = [tag.get_attribute("aria-label") for tag in tags.locator("[data-tag]").all()]
        statuses = ("approved", "partially_disputed", "disputed", "on_hold")
        assert chips == [t(f"status.{s}", "en") for s in statuses], chips
