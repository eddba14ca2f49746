"""Small helpers to move numpy arrays into polars without surprises."""

from __future__ import annotations

import numpy as np
import polars as pl

# NULL in np.where / np.select: an object scalar (numpy's stubs refuse a bare None there,
# and at run time None becomes exactly this).
MISSING = np.array(None, dtype=object)


def text(name: str, values: np.ndarray) -> pl.Series:
    """A String series from a numpy object array that may hold None."""
    return pl.Series(name, np.asarray(values, dtype=object).tolist(), dtype=pl.String)


def cents_to_text(expr: pl.Expr) -> pl.Expr:
    """Integer cents → '1234.50' (money with two decimals, never through floats)."""
    sign = pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    absolute = expr.abs()
    return pl.concat_str(
        [
            sign,
            (absolute // 100).cast(pl.String),
            pl.lit("."),
            (absolute % 100).cast(pl.String).str.zfill(2),
        ]
    )


def stamps(name: str, values: np.ndarray) -> pl.Series:
    """A Datetime series from numpy datetime64 of any unit (polars wants ms/us/ns)."""
    return pl.Series(name, np.asarray(values).astype("datetime64[ms]"))


def max_int(series: pl.Series) -> int:
    """The largest value of a non-empty integer series."""
    largest = series.max()
    if not isinstance(largest, int):
        raise ValueError(f"{series.name}: no integer maximum ({largest!r})")
    return largest
