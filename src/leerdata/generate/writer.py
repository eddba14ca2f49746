"""Writes frames as contract CSV files (`;`, UTF-8, header, ISO dates, true/false, empty = NULL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from leerdata.contract import CsvSource


def write_csv(frame: pl.DataFrame, source: CsvSource, path: Path) -> int:
    if tuple(frame.columns) != source.column_names:
        raise ValueError(
            f"{path.name}: columns {frame.columns} are not the contract's {source.column_names}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(
        path,
        separator=";",
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%dT%H:%M:%S",
        null_value="",
        line_terminator="\n",
    )
    return path.stat().st_size


def export_file_name(
    source: CsvSource, export: date | np.datetime64, dept: str | None = None
) -> str:
    stamp = str(np.datetime64(export, "D")).replace("-", "")
    name = f"hr_{dept}_{stamp}.csv" if dept is not None else f"{source.name}_{stamp}.csv"
    if not source.match(name):
        raise ValueError(f"{name} does not match the contract pattern {source.file_pattern}")
    return name


def split_by_file(frame: pl.DataFrame) -> Iterator[tuple[int, pl.DataFrame]]:
    """(export index, rows) per `_file`, in export order."""
    for (k,), part in frame.partition_by("_file", as_dict=True, maintain_order=True).items():
        yield int(k), part.drop("_file")
