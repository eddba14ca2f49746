"""Building blocks the pages share: language, sidebar filters, formatted tables."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import polars as pl
import streamlit as st

from dashboards import data, formatting, queries
from dashboards.i18n import DEFAULT_LANGUAGE, LANGUAGE_STATE_KEY, LANGUAGES, current_language, t

Kind = Literal["text", "int", "euro", "pct", "score", "decimal", "date", "datetime", "bool"]


# Keys of the widgets whose option labels are translated. The browser side of a
# selectbox or multiselect holds a choice by its shown label and kept showing it after
# a language switch ("Tevredenheid (1–10)" on an English page). A value set through the
# Session State API is sent to the browser again, with its label in the new language.
TRANSLATED_WIDGETS_KEY = "_translated_widgets"


def translated(key: str) -> str:
    """`key`, registered as a widget whose option labels follow the language."""
    registered = st.session_state.setdefault(TRANSLATED_WIDGETS_KEY, set())
    registered.add(key)
    return key


def _relabel_translated_widgets() -> None:
    for key in st.session_state.get(TRANSLATED_WIDGETS_KEY, set()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


# The address carries a language other than the default (…/deelname?lang=en), so a
# reload, a bookmark or a shared link opens in the language it was read in.
LANGUAGE_PARAM = "lang"


def language_picker() -> str:
    if LANGUAGE_STATE_KEY not in st.session_state:
        asked = st.query_params.get(LANGUAGE_PARAM)
        st.session_state[LANGUAGE_STATE_KEY] = asked if asked in LANGUAGES else DEFAULT_LANGUAGE
    st.sidebar.radio(
        t("app.language"),
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANGUAGE_STATE_KEY,
        horizontal=True,
        on_change=_relabel_translated_widgets,
    )
    lang = current_language()
    # Set on every run: a page change in the menu drops the address's parameters.
    if lang == DEFAULT_LANGUAGE:
        st.query_params.pop(LANGUAGE_PARAM, None)
    else:
        st.query_params[LANGUAGE_PARAM] = lang
    return lang


def require_warehouse() -> None:
    """Stop with a clear message when nothing has been built yet."""
    try:
        data.build_stamp()
    except data.WarehouseMissingError:
        st.error(t("app.no_warehouse", path=data.reporting_db_path()))
        st.stop()


def require_marts(*names: str) -> None:
    """Stop the page with a message when this build lacks a mart it needs."""
    require_warehouse()
    for name in names:
        if not data.table_exists(name):
            st.info(t("app.mart_missing", name=name))
            st.stop()


def build_caption() -> None:
    try:
        if not data.table_exists("mart_quality_build"):
            return
    except data.WarehouseMissingError:
        return
    built_at = queries.built_at()
    if built_at is not None:
        st.sidebar.caption(t("app.build", built_at=formatting.date_time(built_at)))


def previous_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"


def build_date() -> date:
    """The day the shown warehouse was built (today when the build does not say)."""
    return _build_date_of(data.build_stamp())


@functools.lru_cache(maxsize=4)
def _build_date_of(stamp: int) -> date:
    """Once per published file: period labels ask for it hundreds of times a run."""
    del stamp  # the cache key only
    built_at = queries.built_at()
    return built_at.date() if built_at is not None else date.today()


def quarter_end(quarter: str) -> date:
    year, q = int(quarter[:4]), int(quarter[-1])
    return date(year, 12, 31) if q == 4 else date(year, 3 * q + 1, 1) - timedelta(days=1)


def period_start(period: str) -> date:
    text = str(period)
    if "-Q" in text:
        return date(int(text[:4]), 3 * int(text[-1]) - 2, 1)
    if len(text) == 7:  # YYYY-MM
        return date(int(text[:4]), int(text[5:]), 1)
    return date(int(text[:4]), 1, 1)


def period_end(period: str) -> date:
    text = str(period)
    if "-Q" in text:
        return quarter_end(text)
    if len(text) == 7:
        year, month = int(text[:4]), int(text[5:])
        return (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return date(int(text[:4]), 12, 31)


def is_running(period: str) -> bool:
    """Started but not over on the build date: its figures are still growing."""
    built = build_date()
    return period_start(period) <= built <= period_end(period)


def offered(periods: Sequence[str]) -> list[str]:
    """The periods worth offering: those that have started by the build date (a future
    quarter only holds requests for sessions to come, and reads as empty)."""
    built = build_date()
    started = [p for p in periods if period_start(p) <= built]
    return started or list(periods)


def period_label(period: object, lang: str | None = None) -> str:
    """'2026-Q4' → '2026-Q4 (lopend)' while the quarter is still running."""
    text = str(period)
    return t("period.running", lang, period=text) if is_running(text) else text


def label_periods(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """The period column as labels that mark a running period (for charts' axes)."""
    labels = {p: period_label(p) for p in frame[column].unique().to_list()}
    return frame.with_columns(pl.col(column).cast(pl.String).replace_strict(labels))


def running_note(periods: Sequence[str]) -> None:
    """Say so under a chart when it shows a period that is not over yet."""
    running = [str(p) for p in periods if is_running(str(p))]
    if running:
        st.caption(
            t("period.running_note", period=running[-1], built=formatting.date(build_date()))
        )


def latest_closed(periods: Sequence[str]) -> str:
    """The latest quarter (or year) over by the build date: a quarter still running
    would look like a collapse. The latest period when none is over yet."""
    built = build_date()
    closed = [
        p for p in periods if (quarter_end(p) if "-Q" in str(p) else date(int(p), 12, 31)) < built
    ]
    return max(closed) if closed else max(periods)


def quarter_picker(quarters: Sequence[str], key: str) -> str:
    options = offered(sorted(quarters))
    lang = current_language()  # bound into format_func, which may run outside a rerun
    return st.sidebar.selectbox(
        t("filter.quarter"),
        options,
        index=options.index(latest_closed(options)),
        format_func=lambda p: period_label(p, lang),
        key=translated(key),
    )


def quarter_range_picker(quarters: Sequence[str], key: str) -> tuple[str, str]:
    options = offered(sorted(quarters))
    if len(options) == 1:
        return options[0], options[0]
    lang = current_language()
    first, last = st.sidebar.select_slider(
        t("filter.quarters"),
        options=options,
        value=(options[0], options[-1]),
        format_func=lambda p: period_label(p, lang),
        key=translated(key),
    )
    return first, last


@dataclass(frozen=True)
class Column:
    """One displayed column: source column, label key, and how to format it."""

    name: str
    label: str
    kind: Kind = "text"
    places: int | None = None
    translate: str | None = None  # i18n prefix for values, e.g. "status." → "status.approved"


def format_value(value: Any, kind: Kind, places: int | None = None) -> str:
    if value is None:
        return formatting.DASH
    if kind == "int":
        return formatting.number(value, 0 if places is None else places)
    if kind == "decimal":
        return formatting.number(value, 1 if places is None else places)
    if kind == "euro":
        return formatting.euro(value, 2 if places is None else places)
    if kind == "pct":
        return formatting.percent(value, 1 if places is None else places)
    if kind == "score":
        return formatting.score(value, 1 if places is None else places)
    if kind == "date":
        return formatting.date(value)
    if kind == "datetime":
        return formatting.date_time(value)
    if kind == "bool":
        return t("value.yes") if value else t("value.no")
    return str(value)


def display_frame(frame: pl.DataFrame, columns: Sequence[Column]) -> pl.DataFrame:
    """The frame as Dutch-formatted text with translated headers.

    In a row with `suppressed` true, an empty measure reads "onderdrukt" (not "–"), so a
    suppressed cell is never mistaken for a zero or a missing value.
    """
    suppressed = (
        frame["suppressed"].fill_null(False).to_list()
        if "suppressed" in frame.columns
        else [False] * frame.height
    )
    shown: dict[str, list[str]] = {}
    for column in columns:
        values = frame[column.name].to_list()
        texts = []
        for value, is_suppressed in zip(values, suppressed, strict=True):
            if value is None and is_suppressed and column.kind != "text":
                texts.append(t("value.suppressed"))
            elif column.translate and value is not None:
                texts.append(translate_value(column.translate, str(value)))
            else:
                texts.append(format_value(value, column.kind, column.places))
        shown[t(column.label)] = texts
    return pl.DataFrame(shown, schema={label: pl.String for label in shown})


def translate_value(prefix: str, value: str) -> str:
    from dashboards.i18n import TRANSLATIONS

    key = f"{prefix}{value}"
    return t(key) if key in TRANSLATIONS else value


# A table shows at most this many rows: every shown value is formatted in Python, and at
# rijk scale an unfiltered dispute list alone has tens of thousands of lines (seconds
# per page view). Downloads and charts always use the full selection.
MAX_TABLE_ROWS = 1_000


def show_table(
    frame: pl.DataFrame,
    columns: Sequence[Column],
    key: str | None = None,
    prepare: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> None:
    """`prepare`: per-row work (labels) done on the rows shown only."""
    if frame.is_empty():
        st.info(t("app.no_data"))
        return
    shown = frame.head(MAX_TABLE_ROWS)
    if prepare is not None:
        shown = prepare(shown)
    st.dataframe(display_frame(shown, columns), hide_index=True, width="stretch", key=key)
    if frame.height > shown.height:
        st.caption(
            t(
                "app.table_truncated",
                shown=formatting.number(shown.height),
                total=formatting.number(frame.height),
            )
        )


def chart_label(name: str, key: str) -> pl.Expr:
    """An entity's category on a chart: its name, with its key where two rows of the frame
    share the name. Course titles repeat (another supplier, another level), and a chart
    keyed by a repeated name stacks their bars into one."""
    named = pl.coalesce(name, key)
    with_key = pl.format("{} ({})", named, pl.col(key))
    return pl.when(pl.len().over(named) > 1).then(with_key).otherwise(named)


def department_label(code: str | None, names: dict[str, str]) -> str:
    if code is None:
        return formatting.DASH
    return f"{code} — {names[code]}" if code in names else code


def department_names() -> dict[str, str]:
    """Department code → name in the session's language."""
    return queries.department_names("en" if current_language() == "en" else "nl")
