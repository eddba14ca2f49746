"""Sign-in end to end: a real OpenID Connect provider, the dashboards, a real browser.

The test starts the certified `oidc-provider` package (npm, installed from the committed
tests/oidc/package-lock.json) on 127.0.0.1 with test users, configures Streamlit's
`[auth]` for it in a temporary secrets file, and drives Debian chromium with Playwright
through the provider's own login and consent forms. Nothing of the login flow is
mocked. Per user it checks the pages in the menu, a figure of its departments against
the marts, that `?role=` and page addresses change nothing, and that after logging out
no page opens.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from dashboards import formatting
from dashboards.auth_texts import say
from dashboards.i18n import t
from leerdata.config import DataPaths
from leerdata.dashboard_launcher import dashboard_url, free_port, start_dashboard, stop_dashboard
from leerdata.duckdb_rows import scalar
from tests.streamlit_runs import settled, watch
from tests.test_browser_dashboard import CHROMIUM, CHROMIUM_ARGS, TITLE_KEYS

REPO_ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser_login")]

OIDC_DIR = REPO_ROOT / "tests" / "oidc"
CLIENT_ID = "leerdata-dashboards"
CLIENT_SECRET = "only-for-this-test"
PROVIDER_ISSUER: list[str] = []  # set by the login_server fixture


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # a user of the test provider, not a test class for pytest to collect

    login: str
    email: str
    groups: tuple[str, ...]
    role: str | None
    departments: tuple[str, ...]  # ("*",) = every department


# Mapped by e-mail (fin-vws) and by group claim (the others), as config/roles.toml allows.
USERS = [
    TestUser("fin-ocw", "fin.ocw@ocw.test", ("lop-finance-ocw",), "finance", ("OCW",)),
    TestUser("fin-vws", "fin.vws@vws.test", (), "finance", ("VWS",)),
    TestUser("mgt-szw", "mgt.szw@szw.test", ("lop-management-szw",), "management", ("SZW",)),
    TestUser("eval-lop", "eval@lop.test", ("lop-evaluation",), "evaluation", ("*",)),
    TestUser("stranger", "someone@elsewhere.test", ("unrelated",), None, ()),
]
ROLES_TOML = """
[roles.management]
label_nl = "Management"
pages = ["overzicht", "deelname", "datakwaliteit"]
[roles.finance]
label_nl = "Financiën"
pages = ["overzicht", "verrekening", "factuurcontrole", "datakwaliteit"]
[roles.evaluation]
label_nl = "Evaluatie / L&D"
pages = ["overzicht", "evaluatie", "datakwaliteit"]
[oidc]
groups_claim = "groups"
[users]
"fin.vws@vws.test" = { role = "finance", departments = ["VWS"] }
[groups]
"lop-finance-ocw" = { role = "finance", departments = ["OCW"] }
"lop-management-szw" = { role = "management", departments = ["SZW"] }
"lop-evaluation" = { role = "evaluation", departments = ["*"] }
[demo]
enabled = true  # must change nothing: with a provider, the login decides
"""


def npm_ci() -> None:
    """Install the test provider from the committed lock file (git-ignored node_modules)."""
    if (OIDC_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    assert npm, "npm is missing: Node.js is needed for the login test (make oidc-deps)"
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=OIDC_DIR,
        check=True,
        timeout=300,
    )


def start_provider(port: int, redirect_uri: str, workdir: Path) -> subprocess.Popen[str]:
    config = {
        "client": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [redirect_uri],
            "post_logout_redirect_uris": [redirect_uri],
        },
        "users": {u.login: {"email": u.email, "groups": list(u.groups)} for u in USERS},
    }
    config_file = workdir / "provider.json"
    config_file.write_text(json.dumps(config), encoding="utf-8")
    process = subprocess.Popen(
        ["node", str(OIDC_DIR / "provider.mjs"), str(port), str(config_file)],
        stdout=subprocess.PIPE,
        stderr=(workdir / "provider.log").open("w"),
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until "ready <issuer>" (or the process ends)
    assert line.startswith("ready "), (line, (workdir / "provider.log").read_text())
    return process


@pytest.fixture(scope="module")
def login_server(
    tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, DataPaths]]:
    npm_ci()
    workdir = tmp_path_factory.mktemp("oidc")
    # A data dir of its own (the access log goes to its logs/), reading the tiny build.
    root = workdir / "data"
    (root / "warehouse").mkdir(parents=True)
    (root / "warehouse" / "reporting.duckdb").symlink_to(tiny_warehouse.reporting_db)
    paths = DataPaths.of(root)
    provider_port, app_port = free_port(), free_port()
    redirect_uri = f"{dashboard_url(app_port)}/oauth2callback"
    provider = start_provider(provider_port, redirect_uri, workdir)
    PROVIDER_ISSUER[:] = [f"http://127.0.0.1:{provider_port}"]
    secrets = workdir / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        'cookie_secret = "a-cookie-secret-for-this-test-only"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n'
        'client_kwargs = { scope = "openid email groups", prompt = "login" }\n',
        encoding="utf-8",
    )
    roles = workdir / "roles.toml"
    roles.write_text(ROLES_TOML, encoding="utf-8")
    app = None
    try:
        app = start_dashboard(
            paths,
            app_port,
            log_file=workdir / "streamlit.log",
            secrets_file=secrets,
            extra_env={"LEERDATA_ROLES_FILE": str(roles), "LEERDATA_DEMO": "1"},
        )
        yield dashboard_url(app_port), paths
    finally:
        if app is not None:
            stop_dashboard(app)
        provider.terminate()
        provider.wait(timeout=10)


def truth(paths: DataPaths, sql: str, params: list[Any]) -> Any:
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        return scalar(con, sql, params)


def open_page(page: Page, url: str) -> None:
    """Open the address and wait until the script run it asked for is over."""
    with settled(page):
        page.goto(url)


def log_in(page: Page, server: str, login: str) -> None:
    page.goto(server)
    page.get_by_role("button", name=t("auth.login", "nl")).click()
    # The provider's own login form (oidc-provider's interactions), then its consent.
    page.wait_for_selector("input[name=login]", timeout=30_000)
    assert page.url.startswith("http://127.0.0.1:"), page.url
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "not checked by the development interactions")
    page.locator("button[type=submit]").first.click()
    with settled(page):
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{server}/**", timeout=30_000)


def log_out(page: Page, server: str) -> None:
    page.get_by_role("button", name=t("auth.logout", "nl")).click()
    # Streamlit ends the provider session too (RP-initiated logout): confirm there.
    with settled(page):
        page.get_by_role("button", name="Yes, sign me out").click(timeout=30_000)
        page.wait_for_url(f"{server}/**", timeout=30_000)


def menu(page: Page) -> list[str]:
    return [
        text.strip().splitlines()[-1]
        for text in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
        if text.strip()
    ]


def metric_value(page: Page, label: str) -> str:
    """The value of the one metric with this label. Waits for it to be drawn: once, in a
    full suite under load, a finished and idle run had not drawn the page's metrics yet
    (an empty list of metrics, 1 of 802 tests)."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    try:
        expect(metric).to_have_count(1, timeout=30_000)
    except AssertionError as missing:
        shown = page.locator('[data-testid="stMetric"]').all_inner_texts()
        raise AssertionError(f"no single metric {label!r} among {shown}") from missing
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def shown_quarter(page: Page) -> str:
    return page.get_by_role("combobox", name=t("filter.quarter", "nl")).input_value()


def heading(page: Page) -> str:
    headings = page.locator("h1")
    return headings.first.inner_text().strip() if headings.count() else ""


def assert_departments_figure(page: Page, server: str, paths: DataPaths, user: TestUser) -> None:
    """One figure of the user's own departments, as the marts give it (and not the
    figure of every department, unless the user sees every department)."""
    every = user.departments == ("*",)
    codes = ["OCW", "SZW", "VWS"] if every else list(user.departments)
    if user.role == "finance":
        open_page(page, f"{server}/verrekening")
        quarter = shown_quarter(page)
        total_sql = (
            "select coalesce(sum(amount_eur), 0) from mart_settlement_matrix where quarter = ?"
        )
        own = truth(
            paths,
            f"{total_sql} and (list_contains(?, creditor_department_code) "
            "or list_contains(?, debtor_department_code))",
            [quarter, codes, codes],
        )
        everyone = truth(paths, total_sql, [quarter])
        label = t("verrekening.total", "nl", quarter=quarter)
        assert metric_value(page, label) == formatting.euro(own)
    else:
        open_page(page, server)
        quarter = shown_quarter(page)
        participants_sql = (
            "select sum(participants) filter (where not suppressed) from mart_participation "
            "where breakdown = 'total' and quarter = ?"
        )
        own = truth(
            paths, f"{participants_sql} and list_contains(?, department_code)", [quarter, codes]
        )
        everyone = truth(paths, participants_sql, [quarter])
        assert metric_value(page, t("overzicht.participants", "nl")) == formatting.number(own)
    assert (own == everyone) == every, (user.login, quarter, own, everyone)


def assert_no_page_opens(
    page: Page, server: str, text_expected: str, names: Iterable[str] = tuple(TITLE_KEYS)
) -> None:
    """Neither by its address nor with a ?role= link does any of these pages open."""
    for name in names:
        for url in (f"{server}/{name}", f"{server}/{name}?role=finance"):
            open_page(page, url)
            assert heading(page) not in {t(key, "nl") for key in TITLE_KEYS.values()}, url
            assert page.locator('[data-testid="stMetric"]').count() == 0, url
            assert page.locator('[data-testid="stDataFrame"]').count() == 0, url
            assert text_expected in page.locator('[data-testid="stMain"]').inner_text(), url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian chromium is missing: run `make system-deps`"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.mark.parametrize("user", USERS, ids=[u.login for u in USERS])
def test_each_role_logs_in_sees_its_pages_and_figures_and_logs_out(
    login_server: tuple[str, DataPaths], browser: Browser, user: TestUser
) -> None:
    server, paths = login_server
    context = browser.new_context(viewport={"width": 1440, "height": 1200})
    page = watch(context.new_page())
    try:
        log_in(page, server, user.login)
        if user.role is None:
            text = page.locator('[data-testid="stMain"]').inner_text()
            assert say("no_access", "nl", email=user.email) in text
            assert menu(page) == []
            assert_no_page_opens(page, server, say("no_access", "nl", email=user.email))
            return
        roles = tomllib.loads(ROLES_TOML)["roles"]
        pages = [p for p in TITLE_KEYS if p in roles[user.role]["pages"]]
        assert menu(page) == [t(f"page.{p}", "nl") for p in pages]
        # Its pages through the menu, as a user goes to them (a page load starts the whole
        # frontend again: about twice the browser's work of a menu click).
        for number, name in enumerate(pages):
            with settled(page, interaction=True):
                page.locator('[data-testid="stSidebarNav"] a').nth(number).click()
            assert heading(page) == t(TITLE_KEYS[name], "nl"), name
            assert page.locator('[data-testid="stException"]').count() == 0, name
        # Another role's page, by address and with a ?role= link: still this user's pages.
        for name in (p for p in TITLE_KEYS if p not in pages):
            for url in (f"{server}/{name}", f"{server}/{name}?role=finance"):
                open_page(page, url)
                assert heading(page) != t(TITLE_KEYS[name], "nl"), url
                assert menu(page) == [t(f"page.{p}", "nl") for p in pages], url
        assert page.get_by_role("combobox", name=t("auth.demo_role", "nl")).count() == 0
        assert_departments_figure(page, server, paths, user)
        open_page(page, f"{server}/?role=management")
        assert_departments_figure(page, server, paths, user)  # the link changed nothing
        log_out(page, server)
        # A session left behind would open the pages this user could open; every page
        # of a visitor who never logged in: test_a_visitor_who_never_logged_in_opens_no_page
        assert_no_page_opens(page, server, t("auth.please_login", "nl"), pages)
    finally:
        context.close()
    logged = [
        json.loads(line)
        for line in (paths.logs / "access.log").read_text(encoding="utf-8").splitlines()
    ]
    mine = [entry for entry in logged if entry["user"] == user.email]
    assert mine, "nothing of this user in the access log"
    if user.role is not None:
        assert {entry["page"] for entry in mine if entry["event"] == "page"} >= set(pages)
        assert all(entry["role"] == user.role for entry in mine)
    else:
        assert [entry["event"] for entry in mine] == ["refused"] * len(mine)


def test_a_visitor_who_never_logged_in_opens_no_page(
    login_server: tuple[str, DataPaths], browser: Browser
) -> None:
    server, _ = login_server
    context = browser.new_context(viewport={"width": 1440, "height": 1200})
    page = watch(context.new_page())
    try:
        open_page(page, server)
        # the frontend may draw the button a moment after the run ended (seen once under
        # load): wait for it, then the menu is known to be drawn empty, not yet unseen
        expect(page.get_by_role("button", name=t("auth.login", "nl"))).to_have_count(
            1, timeout=30_000
        )
        assert menu(page) == []
        assert_no_page_opens(page, server, t("auth.please_login", "nl"))
    finally:
        context.close()


def test_the_provider_refuses_a_wrong_client_secret(
    login_server: tuple[str, DataPaths],
) -> None:
    """A negative control: the provider is real and checks the client, so a token request
    with a wrong secret is refused there (and the app cannot be entered around it)."""
    server, _ = login_server
    issuer = PROVIDER_ISSUER[0]
    with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration") as reply:
        token_endpoint = json.load(reply)["token_endpoint"]
    request = urllib.request.Request(
        token_endpoint,
        data=urllib.parse.urlencode(
            {"grant_type": "authorization_code", "code": "made-up", "redirect_uri": server}
        ).encode(),
        headers={
            "Authorization": "Basic "
            + base64.b64encode(f"{CLIENT_ID}:wrong-secret".encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert json.load(refused.value)["error"] == "invalid_client"
