"""Dashboards without a warehouse: formatting, translations, roles, exports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from babel.messages.pofile import read_po

from dashboards import formatting, i18n
from dashboards.i18n import LANGUAGES, TRANSLATIONS, t, t_count
from dashboards.roles import ALL_PAGES, Access, RoleConfig, RoleConfigError, Scope, load_roles
from leerdata.spreadsheet import Header, Table, header_line_count, to_csv_bytes, to_xlsx_bytes

REPO_ROOT = Path(__file__).resolve().parents[1]

# Code that looks labels up (i18n.py itself only defines them).
DASHBOARD_SOURCES = sorted(
    p for p in (REPO_ROOT / "dashboards").rglob("*.py") if p.name != "i18n.py"
)


# --- formatting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.56"), "€ 1.234,56"),
        (Decimal("0"), "€ 0,00"),
        (Decimal("-31939.08"), "€ -31.939,08"),
        (Decimal("1234567.005"), "€ 1.234.567,01"),  # half-up, not banker's rounding
        (12.5, "€ 12,50"),
        (None, "–"),
    ],
)
def test_euro_is_dutch(value: object, expected: str) -> None:
    assert formatting.euro(value) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.125, "12,5%"), (Decimal("0.5"), "50,0%"), (1, "100,0%"), (0.00049, "0,0%"), (None, "–")],
)
def test_percent_is_dutch(fraction: object, expected: str) -> None:
    assert formatting.percent(fraction) == expected


def test_numbers_group_thousands_with_dots() -> None:
    assert formatting.number(1234567) == "1.234.567"
    assert formatting.number(999) == "999"
    assert formatting.number(1234.5, 1) == "1.234,5"
    assert formatting.score(7.25) == "7,3"
    assert formatting.number(float("nan")) == "–"


def test_what_rounds_to_zero_has_no_minus_sign() -> None:
    assert formatting.euro(Decimal("-0.004")) == "€ 0,00"
    assert formatting.number(-0.4) == "0"
    assert formatting.percent(-0.00049) == "0,0%"
    assert formatting.euro(Decimal("-0.005")) == "€ -0,01"  # half-up, away from zero


def test_dates_are_dutch_day_month_year() -> None:
    assert formatting.date(date(2026, 3, 5)) == "05-03-2026"
    assert formatting.date(datetime(2026, 11, 30, 23, 59)) == "30-11-2026"
    assert formatting.time(datetime(2026, 11, 30, 7, 4, 59)) == "07:04"
    assert formatting.date_time(datetime(2026, 11, 30, 7, 4)) == "30-11-2026 07:04"
    # an aware moment keeps its own zone
    cet = timezone(timedelta(hours=1))
    assert formatting.date_time(datetime(2026, 11, 30, 23, 30, tzinfo=cet)) == "30-11-2026 23:30"
    assert formatting.PLOTLY_SEPARATORS == ",."


# --- translations -----------------------------------------------------------------------


def test_the_catalogs_have_no_fuzzy_or_obsolete_labels() -> None:
    # gettext tools skip a fuzzy entry; t() would show it: neither may be in a catalog.
    for lang in LANGUAGES:
        path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
        assert (fuzzy, dict(catalog.obsolete)) == ([], {}), lang
        assert catalog.locale is not None and str(catalog.locale) == lang


def test_every_key_exists_in_both_languages() -> None:
    for key, entry in TRANSLATIONS.items():
        assert set(entry) == set(LANGUAGES), key
        for lang, text in entry.items():
            assert text.strip(), f"{key} is empty in {lang}"


@pytest.mark.parametrize(
    ("n", "lang", "start"),
    [
        (1, "nl", "1 cel onderdrukt"),
        (2, "nl", "2 cellen onderdrukt"),
        (0, "nl", "0 cellen onderdrukt"),
        (1, "en", "1 cell suppressed"),
        (21, "en", "21 cells suppressed"),
    ],
)
def test_counted_texts_take_the_cldr_plural_form(n: int, lang: str, start: str) -> None:
    assert t_count("evaluatie.suppressed_note", n, lang, k=10).startswith(start)


def test_placeholders_agree_between_languages() -> None:
    for key, entry in TRANSLATIONS.items():
        fields = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert fields["nl"] == fields["en"], key


def _used_keys() -> tuple[set[str], set[str]]:
    """Literal keys t("…")/Column(…, "col.…") use, and prefixes of f-string keys."""
    literal: set[str] = set()
    prefixes: set[str] = set()
    for path in DASHBOARD_SOURCES:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r'\bt\(\s*(f?)"([^"]+)"', text):
            if match.group(1):
                prefixes.add(match.group(2).split("{")[0])
            else:
                literal.add(match.group(2))
        for match in re.finditer(r'"((?:col|value|status|verdict|reason|dim)\.[A-Za-z_]+)"', text):
            literal.add(match.group(1))
    return literal, prefixes


def test_every_key_the_code_uses_is_translated() -> None:
    literal, prefixes = _used_keys()
    assert literal, "the scan found no keys: the pattern is broken"
    missing = sorted(key for key in literal if key not in TRANSLATIONS)
    assert not missing, missing
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in TRANSLATIONS), prefix


def test_every_page_and_status_has_a_label() -> None:
    for page in ALL_PAGES:
        assert f"page.{page}" in TRANSLATIONS
    for status in ("approved", "partially_disputed", "disputed", "on_hold"):
        assert f"status.{status}" in TRANSLATIONS
    for verdict in ("approved", "disputed", "on_hold"):
        assert f"verdict.{verdict}" in TRANSLATIONS


def test_invoice_reason_labels_follow_the_seed() -> None:
    with (REPO_ROOT / "seeds" / "invoice_reason_codes.csv").open(encoding="utf-8") as handle:
        seed = {row["reason_code"]: row["label_nl"] for row in csv.DictReader(handle)}
    assert seed
    for code, label_nl in seed.items():
        assert t(f"reason.{code}", "nl") == label_nl, code
    ours = {key.removeprefix("reason.") for key in TRANSLATIONS if key.startswith("reason.")}
    assert ours == set(seed)


def test_t_formats_values_in_the_asked_language() -> None:
    assert t("verrekening.owes", "nl", debtor="VWS", creditor="SZW", quarter="2025-Q3") == (
        "VWS is SZW verschuldigd in 2025-Q3"
    )
    assert t("page.verrekening", "en") == "Settlement"


# --- roles ------------------------------------------------------------------------------


def test_roles_file_maps_each_role_to_existing_pages() -> None:
    config = load_roles()
    assert set(config.roles) == {"management", "finance", "evaluation"}
    for role in config.roles.values():
        assert role.pages, role.name
        for page in role.pages:
            assert (REPO_ROOT / "dashboards" / "app_pages" / f"{page}.py").is_file()
    assert "verrekening" not in config.roles["management"].pages
    assert "deelname" not in config.roles["finance"].pages
    assert "factuurcontrole" not in config.roles["evaluation"].pages
    every_page = {page for role in config.roles.values() for page in role.pages}
    assert every_page == set(ALL_PAGES)


def _granted(config: RoleConfig, email: str, groups: Iterable[str] = ()) -> Access:
    access = config.access_for(email, groups)
    assert access is not None, f"{email} {groups} got no access"
    return access


def test_users_get_roles_by_address_then_groups_then_domain(tmp_path: Path) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(
        '[roles.finance]\npages = ["verrekening", "overzicht"]\n'
        '[roles.management]\npages = ["overzicht"]\n'
        '[oidc]\ngroups_claim = "roles"\n'
        '[users]\n"A.Boss@Example.nl" = { role = "management", departments = ["vws"] }\n'
        "[groups]\n"
        '"Fin-OCW" = { role = "finance", departments = ["OCW"] }\n'
        '"fin-szw" = { role = "finance", departments = ["SZW"] }\n'
        '"mgt-all" = { role = "management", departments = ["*"] }\n'
        '[domains]\n"example.nl" = { role = "finance", departments = "SZW" }\n'
        "[demo]\nenabled = false\n",
        encoding="utf-8",
    )
    config = load_roles(path)
    boss = _granted(config, "a.boss@example.nl", ["mgt-all"])
    assert (boss.role.name, boss.scope) == ("management", Scope.of(["VWS"]))  # address first
    both = _granted(config, "x@elsewhere.nl", ["fin-ocw", "FIN-SZW", "unrelated"])
    assert (both.role.name, both.scope.codes()) == ("finance", ["OCW", "SZW"])
    assert _granted(config, "x@elsewhere.nl", ["mgt-all"]).scope.is_everything
    assert _granted(config, "x@elsewhere.nl", "fin-ocw").scope.codes() == ["OCW"]
    # Groups naming two roles: refused, not guessed.
    assert config.access_for("x@elsewhere.nl", ["fin-ocw", "mgt-all"]) is None
    by_domain = _granted(config, "someone@EXAMPLE.nl")
    assert (by_domain.role.name, by_domain.scope.codes()) == ("finance", ["SZW"])
    assert config.access_for("someone@elsewhere.nl") is None
    assert config.access_for(None) is None
    assert config.groups_claim == "roles"
    assert config.roles["finance"].pages == ("overzicht", "verrekening")  # menu order
    assert config.demo_enabled is False


def test_the_committed_roles_file_has_demo_mode_off() -> None:
    config = load_roles()
    assert config.demo_enabled is False
    for grant in (*config.users.values(), *config.groups.values()):
        assert grant.scope.is_everything or grant.scope.departments


def test_roles_file_with_unknown_page_or_role_is_refused(tmp_path: Path) -> None:
    bad_page = tmp_path / "page.toml"
    bad_page.write_text('[roles.x]\npages = ["nope"]\n', encoding="utf-8")
    with pytest.raises(RoleConfigError):
        load_roles(bad_page)
    bad_role = tmp_path / "role.toml"
    bad_role.write_text(
        '[roles.x]\npages = []\n[users]\n"a@b.nl" = { role = "y", departments = ["*"] }\n',
        encoding="utf-8",
    )
    with pytest.raises(RoleConfigError, match="unknown role"):
        load_roles(bad_role)


@pytest.mark.parametrize(
    "entry",
    ['"finance"', '{ role = "x" }', '{ role = "x", departments = [] }'],
    ids=["role-only", "no-departments", "empty-departments"],
)
def test_a_grant_without_departments_is_refused(tmp_path: Path, entry: str) -> None:
    """Every user, group and domain names its departments: nothing is open by default."""
    path = tmp_path / "roles.toml"
    path.write_text(f'[roles.x]\npages = []\n[groups]\n"g" = {entry}\n', encoding="utf-8")
    with pytest.raises(RoleConfigError, match="departments"):
        load_roles(path)


# --- exports ----------------------------------------------------------------------------


HEADER = Header(
    "Afrekening VWS", "2025-Q3", datetime(2026, 11, 30, 17, 6), "Geen persoonsgegevens."
)


def test_csv_export_opens_in_dutch_excel_with_exact_cents() -> None:
    table = Table(
        ["Afdeling", "Bedrag (€)", "Aandeel"],
        [("VWS", Decimal("1234.56"), 0.125), ("SZW", Decimal("-0.10"), None)],
        money=frozenset({1}),
    )
    payload = to_csv_bytes(HEADER, table)
    assert payload.startswith(b"\xef\xbb\xbf")
    assert payload.count(b"\n") == payload.count(b"\r\n")
    text = payload.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[:4] == [
        ["Bestand", "Afrekening VWS"],
        ["Periode", "2025-Q3"],
        ["Gegevens van build", "30-11-2026 17:06"],
        ["Toelichting", "Geen persoonsgegevens."],
    ]
    assert rows[5:] == [["Afdeling", "Bedrag (€)", "Aandeel"], ["VWS", "1234,56", "0,125"],
                        ["SZW", "-0,10", ""]]  # fmt: skip
    frame = pl.read_csv(
        io.BytesIO(payload), separator=";", skip_rows=header_line_count(HEADER),
        decimal_comma=True,
    )  # fmt: skip
    assert frame["Bedrag (€)"].to_list() == [1234.56, -0.10]


def test_xlsx_export_is_a_workbook_with_numeric_amounts() -> None:
    import zipfile

    table = Table(["Afdeling", "Bedrag (€)"], [("VWS", Decimal("1234.56"))], money=frozenset({1}))
    payload = to_xlsx_bytes(HEADER, [("VWS 2025-Q3", table)])
    with zipfile.ZipFile(io.BytesIO(payload)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode("utf-8")
        strings = workbook.read("xl/sharedStrings.xml").decode("utf-8")
    assert "1234.56" in sheet
    assert "VWS" in strings and "Bedrag (€)" in strings and "2025-Q3" in strings


# --- launcher ---------------------------------------------------------------------------


def test_the_launcher_refuses_without_a_warehouse_or_a_free_port(tmp_path: Path) -> None:
    import socket

    from leerdata.config import DataPaths
    from leerdata.dashboard_launcher import DashboardError, free_port, start_dashboard

    paths = DataPaths.of(tmp_path)
    with pytest.raises(DashboardError, match="leerdata build"):
        start_dashboard(paths, free_port())
    paths.warehouse.mkdir(parents=True)
    paths.reporting_db.touch()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(DashboardError, match="in use"):
            start_dashboard(paths, busy.getsockname()[1])


def test_the_launcher_runs_the_app_headless_on_localhost() -> None:
    from leerdata.dashboard_launcher import APP, dashboard_url, streamlit_command

    command = streamlit_command(8765)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[4] == str(APP) and APP.is_file()
    assert command[command.index("--server.headless") + 1] == "true"
    assert command[command.index("--server.port") + 1] == "8765"
    assert command[command.index("--server.address") + 1] == "localhost"
    assert dashboard_url(8765) == "http://localhost:8765"


def test_a_long_table_shows_its_first_rows_and_says_how_many_there_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Streamlit's calls are recorded rather than run through AppTest.from_function,
    # which leaves its temporary script as this process's __main__ (a spawned worker
    # process of a later test in the same xdist worker would then re-run it).
    import polars as pl

    from dashboards import ui
    from dashboards.ui import Column

    shown: list[pl.DataFrame] = []
    captions: list[str] = []
    monkeypatch.setattr(ui.st, "dataframe", lambda frame, **_: shown.append(frame))
    monkeypatch.setattr(ui.st, "caption", captions.append)
    frame = pl.DataFrame({"n": list(range(ui.MAX_TABLE_ROWS + 234))})

    ui.show_table(
        frame,
        [Column("n", "col.invoices", "int")],
        prepare=lambda rows: rows.with_columns(pl.col("n") * 2),
    )

    (table,) = shown
    assert table.height == 1_000
    assert table.row(-1)[0] == "1.998"  # prepared (doubled), Dutch format
    assert len(captions) == 1 and "1.234" in captions[0] and "1.000" in captions[0]


def test_a_chart_label_adds_the_key_only_where_a_name_repeats() -> None:
    from dashboards.ui import chart_label

    frame = pl.DataFrame(
        {
            "entity_id": ["CRS1", "CRS2", "CRS3", "CRS4"],
            "entity_name": ["Basis SQL", "Agile werken", "Basis SQL", None],
        }
    )
    labels = frame.select(chart_label("entity_name", "entity_id").alias("label"))["label"].to_list()
    assert labels == ["Basis SQL (CRS1)", "Agile werken", "Basis SQL (CRS3)", "CRS4"]


def _contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two colours given as #rrggbb or rgb(r, g, b)."""

    def luminance(colour: str) -> float:
        if colour.startswith("#"):
            rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        else:
            rgb = [int(float(v)) for v in re.findall(r"[\d.]+", colour)]
        linear = [
            (c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4
            for c in rgb
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_heatmap_amount_reads_on_its_own_cell() -> None:
    """The settlement heatmap's amounts: plotly's automatic text colour put grey on
    mid-blue cells (contrast under 3:1). Every amount must reach WCAG's 4.5:1."""
    import plotly.colors

    from dashboards import charts

    steps = [float(v) for v in range(0, 101, 5)]  # every shade of the scale
    rows = [f"R{i}" for i in range(len(steps))]
    values = [[v, None] for v in steps]
    texts = [[f"€ {v:.0f}", ""] for v in steps]
    fig = charts.heatmap(rows, ["A", "B"], values, texts)
    trace = fig.data[0]
    shown = {(a.y, a.x): a for a in fig.layout.annotations}
    assert set(shown) == {(r, "A") for r in rows}, "one amount per filled cell, none elsewhere"
    for row, value in zip(rows, steps, strict=True):
        position = (value - trace.zmin) / (trace.zmax - trace.zmin)
        scale = [[at, colour] for at, colour in trace.colorscale]
        cell = plotly.colors.sample_colorscale(scale, [position])[0]
        note = shown[(row, "A")]
        assert note.text == f"€ {value:.0f}"
        assert _contrast(note.font.color, cell) >= 4.5, (value, cell, note.font.color)
