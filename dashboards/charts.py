"""Plotly figures in one house style: Dutch number separators, euro axes, quiet layout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import plotly.colors
import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from dashboards import formatting

# Axes whose categories are periods: always in time order (plotly otherwise orders
# categories by first appearance over the traces, so a quarter missing from the first
# series ends up at the end).
PERIOD_COLUMNS = frozenset({"quarter", "month", "year", "period"})
PALETTE = ["#154273", "#39870c", "#e17000", "#a90061", "#007bc7", "#ffb612", "#673327", "#42145f"]
STATUS_COLOURS = {
    "approved": "#39870c",
    "partially_disputed": "#e17000",
    "disputed": "#d52b1e",
    "on_hold": "#8fcae7",
}


def _style(fig: go.Figure, title: str | None, *, euro_axis: str | None = None) -> go.Figure:
    fig.update_layout(
        title=title,
        separators=formatting.PLOTLY_SEPARATORS,
        margin={"l": 10, "r": 10, "t": 50 if title else 10, "b": 10},
        legend_title_text="",
        colorway=PALETTE,
        template="plotly_white",
    )
    if euro_axis == "y":
        fig.update_yaxes(tickprefix="€ ", tickformat=",.0f")
    elif euro_axis == "x":
        fig.update_xaxes(tickprefix="€ ", tickformat=",.0f")
    return fig


def _period_order(frame: pl.DataFrame, x: str) -> dict[str, list[Any]]:
    if x not in PERIOD_COLUMNS or x not in frame.columns:
        return {}
    return {x: sorted(frame[x].unique().drop_nulls().to_list(), key=str)}


def _colours(frame: pl.DataFrame, color: str | None) -> list[str]:
    """The house palette, or a longer one when there are more series than it has colours
    (two directorates must never share a colour)."""
    if color is None or frame[color].n_unique() <= len(PALETTE):
        return PALETTE
    long = PALETTE + px.colors.qualitative.Dark24 + px.colors.qualitative.Light24
    return list(dict.fromkeys(long))


def _numeric(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Plotly draws floats; money stays Decimal everywhere except in the picture."""
    return frame.with_columns(
        pl.col(c).cast(pl.Float64) for c in columns if frame.schema[c].is_decimal()
    )


def bar(
    frame: pl.DataFrame,
    x: str,
    y: str,
    *,
    title: str | None = None,
    color: str | None = None,
    labels: dict[str, str] | None = None,
    horizontal: bool = False,
    euro: bool = False,
    percent: bool = False,
    zoom: bool = False,
    barmode: str = "stack",
    color_map: dict[str, str] | None = None,
    category_orders: dict[str, list[Any]] | None = None,
) -> go.Figure:
    plotted = _numeric(frame, [y])
    category_orders = {**_period_order(plotted, x), **(category_orders or {})}
    fig = px.bar(
        plotted,
        x=y if horizontal else x,
        y=x if horizontal else y,
        color=color,
        orientation="h" if horizontal else "v",
        labels=labels,
        barmode=barmode,
        color_discrete_map=color_map,
        color_discrete_sequence=_colours(plotted, color),
        category_orders=category_orders,
    )
    value_axis = "x" if horizontal else "y"
    _style(fig, title, euro_axis=value_axis if euro else None)
    if percent:
        # Zoomed rates lie a few points apart and plotly's ticks then fall on half points:
        # whole percents would label 93 % and 93.5 % both "93%". Trailing zeros are
        # trimmed ("93%", "93,5%"); hovering shows one decimal, as the tables do.
        fig.update_layout({f"{value_axis}axis": {"tickformat": ".2~%", "hoverformat": ".1%"}})
    if zoom and plotted.height:
        # Start the value axis just below the smallest bar: on a 0-100% axis, bars at
        # 90-100% all look the same length.
        values = plotted[y].drop_nulls()
        low, high = float(cast(float, values.min())), float(cast(float, values.max()))
        span = max(high - low, 0.05 * max(abs(high), 1e-9))
        start = max(0.0, low - 0.25 * span) if low >= 0 else low - 0.25 * span
        fig.update_layout({f"{value_axis}axis": {"range": [start, high + 0.05 * span]}})
    return fig


def line(
    frame: pl.DataFrame,
    x: str,
    y: str,
    *,
    title: str | None = None,
    color: str | None = None,
    labels: dict[str, str] | None = None,
    euro: bool = False,
) -> go.Figure:
    plotted = _numeric(frame, [y])
    fig = px.line(
        plotted,
        x=x,
        y=y,
        color=color,
        labels=labels,
        markers=True,
        category_orders=_period_order(plotted, x),
        color_discrete_sequence=_colours(plotted, color),
    )
    return _style(fig, title, euro_axis="y" if euro else None)


HEATMAP_COLOURS = "Blues"


def _relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an "rgb(r, g, b)" colour."""
    channels = []
    for value in plotly.colors.unlabel_rgb(colour):
        c = value / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with `background` (one of them always
    reaches WCAG's 4.5:1). Plotly's own choice put grey text on mid-blue cells."""
    luminance = _relative_luminance(background)
    on_white = 1.05 / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#000000"


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    texts: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    row_title: str = "",
    column_title: str = "",
) -> go.Figure:
    present = [v for row in values for v in row if v is not None]
    low = min(present, default=0.0)
    high = max(present, default=0.0)
    span = high - low or 1.0  # one value (or none): every cell at the scale's start
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=list(columns),
            y=list(rows),
            text=texts,
            hovertemplate=(
                f"{row_title}: %{{y}}<br>{column_title}: %{{x}}<br>%{{text}}<extra></extra>"
            ),
            colorscale=HEATMAP_COLOURS,
            zmin=low,
            zmax=low + span,
            showscale=False,
        )
    )
    # The amounts as annotations, each in the colour that reads on its own cell.
    for row, row_values, row_texts in zip(rows, values, texts, strict=True):
        for column, value, text in zip(columns, row_values, row_texts, strict=True):
            if value is None or not text:
                continue
            cell = plotly.colors.sample_colorscale(HEATMAP_COLOURS, [(value - low) / span])[0]
            fig.add_annotation(
                x=column,
                y=row,
                text=text,
                showarrow=False,
                font={"color": readable_text_colour(cell)},
            )
    fig.update_yaxes(autorange="reversed", title=row_title)
    fig.update_xaxes(side="top", title=column_title)
    return _style(fig, title)
