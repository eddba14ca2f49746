"""Numbers as a Dutch reader expects them: € 1.234,56 · 12,5% · 1.234.

The one place numbers become text, so every page, table and download label agrees.
Money is formatted from Decimal without passing through float, so a cent never drifts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DASH = "–"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # NaN


def _group(digits: str) -> str:
    """Thousands separated by dots: 1234567 → 1.234.567."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ".".join(parts)


def _dutch_decimal(value: Any, places: int) -> str:
    exact = Decimal(str(value)) if not isinstance(value, Decimal) else value
    quantum = Decimal(1).scaleb(-places)
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    text = _group(whole)
    if places > 0:
        text += "," + fraction.ljust(places, "0")
    return sign + text


def number(value: Any, places: int = 0) -> str:
    """1234.5 → '1.235' (places=0) or '1.234,5' (places=1)."""
    if _is_missing(value):
        return DASH
    return _dutch_decimal(value, places)


def euro(value: Any, places: int = 2) -> str:
    """Decimal('1234.56') → '€ 1.234,56'; negative amounts as '€ -1.234,56'."""
    if _is_missing(value):
        return DASH
    return f"€ {_dutch_decimal(value, places)}"


def percent(fraction: Any, places: int = 1) -> str:
    """A fraction (0.125) as '12,5%'."""
    if _is_missing(fraction):
        return DASH
    return f"{_dutch_decimal(Decimal(str(fraction)) * 100, places)}%"


def score(value: Any, places: int = 1) -> str:
    """A mean score or an NPS: 7.25 → '7,3'."""
    return number(value, places)


# Plotly's layout.separators: decimal mark first, then the thousands separator.
PLOTLY_SEPARATORS = ",."
