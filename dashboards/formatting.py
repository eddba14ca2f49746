"""Numbers and dates as a Dutch reader expects them: € 1.234,56 · 12,5% · 1.234 · 30-11-2026.

The one place numbers and dates become text, so every page, table and download label
agrees. The symbols, grouping and patterns are CLDR's for nl_NL (Babel); numbers are
always Dutch, also on the English pages (README, "Roles"). Two choices are leerdata's own
(interpretation #57): amounts are rounded half-up on Decimal before Babel sees them
(Babel rounds half-even), so money never passes through float and a cent never drifts;
and the currency sign is followed by a plain space where CLDR has a no-break space.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import NumberPattern, get_decimal_symbol, get_group_symbol

LOCALE = Locale.parse("nl_NL")
CURRENCY = "EUR"
DASH = "–"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # NaN


def _half_up(value: Any, places: int) -> Decimal:
    """Rounded half-up to `places` decimals, without float; never a negative zero."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded == 0 else rounded


@functools.lru_cache(maxsize=32)
def _pattern(kind: str, places: int) -> NumberPattern:
    """The locale's CLDR pattern for `kind`, showing exactly `places` decimals."""
    standard = {
        "decimal": LOCALE.decimal_formats[None],
        "currency": LOCALE.currency_formats["standard"],
        "percent": LOCALE.percent_formats[None],
    }[kind]
    pattern = copy.copy(standard)
    pattern.frac_prec = (places, places)
    return pattern


def _apply(kind: str, value: Decimal, places: int) -> str:
    text = _pattern(kind, places).apply(
        value, LOCALE, currency=CURRENCY if kind == "currency" else None, currency_digits=False
    )
    return text.replace("\N{NO-BREAK SPACE}", " ")


def number(value: Any, places: int = 0) -> str:
    """1234.5 → '1.235' (places=0) or '1.234,5' (places=1)."""
    if _is_missing(value):
        return DASH
    return _apply("decimal", _half_up(value, places), places)


def euro(value: Any, places: int = 2) -> str:
    """Decimal('1234.56') → '€ 1.234,56'; negative amounts as '€ -1.234,56'."""
    if _is_missing(value):
        return DASH
    return _apply("currency", _half_up(value, places), places)


def percent(fraction: Any, places: int = 1) -> str:
    """A fraction (0.125) as '12,5%'."""
    if _is_missing(fraction):
        return DASH
    # Rounded as a percentage; the pattern multiplies by 100 again (exactly, on Decimal).
    hundredfold = _half_up(Decimal(str(fraction)).scaleb(2), places)
    return _apply("percent", hundredfold.scaleb(-2), places)


def score(value: Any, places: int = 1) -> str:
    """A mean score or an NPS: 7.25 → '7,3'."""
    return number(value, places)


def date(value: dt.date) -> str:
    """A day in CLDR's short Dutch form: 30-11-2026."""
    return format_date(value, "short", locale=LOCALE)


def time(value: dt.datetime) -> str:
    """The time of day in CLDR's short Dutch form, in the moment's own time zone: 22:31."""
    return format_time(value, "short", tzinfo=value.tzinfo, locale=LOCALE)


def date_time(value: dt.datetime) -> str:
    """The short date and the short time: 30-11-2026 22:31 (CLDR's combined pattern
    would put a comma between them)."""
    return f"{date(value)} {time(value)}"


# Plotly's layout.separators: decimal mark first, then the thousands separator.
PLOTLY_SEPARATORS = get_decimal_symbol(LOCALE) + get_group_symbol(LOCALE)
