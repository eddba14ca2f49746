"""The cheap checks before the contract's regular expressions change no outcome.

Every value below goes through a column's checks and cast twice: the default path (a
GLOB first, the regular expression only for what the GLOB lets through) and the plain
regular-expression path. Reason code and typed value must be the same for each value,
and every value a cheap form accepts must be one its regular expression accepts.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from leerdata.contract import Column
from leerdata.ingest import csv_rules
from leerdata.ingest.csv_rules import (
    cheap_form,
    reason_expression,
    trimmed_name,
    trimmed_projection,
    typed_expression,
)

# Each rule's edge cases: the canonical form, its neighbours that are still valid, and
# near misses (signs, widths, separators, non-ASCII digits, glob metacharacters).
ADVERSARIAL = {
    "int": [
        "0",
        "7",
        "18",
        "19",
        "42",
        "+5",
        "-5",
        "-0",
        "05",
        " 5 ",
        "5.0",
        "1e3",
        "1_000",
        "0x10",
        "1 2",
        "5a",
        "a5",
        "[5]",
        "*",
        "?",
        "٣",
        "１２",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999",
        "\t3",
        "3\u00a0",
    ],
    "decimal": [
        "0",
        "12",
        "12.5",
        "12.50",
        "12.500",
        "12.505",
        ".5",
        ".50",
        ".505",
        "12.",
        "-1.00",
        "+1.00",
        "1,50",
        "1.2.3",
        "12.a5",
        "1a.50",
        "..50",
        "12.5 0",
        "100.00",
        "100.01",
        "9999999999999999.99",
        "99999999999999999.99",
        "abc.12",
        "1e2",
        "  3.25 ",
        ".",
        "1.",
        "1.0.0",
        "1-.50",
        "٣.٢٥",
        "*.50",
        "?.50",
        "[1].50",
    ],
    "date": [
        "2024-01-05",
        "2024-1-05",
        "2024-02-29",
        "2023-02-29",
        "2024-02-30",
        "0000-01-01",
        "0001-01-01",
        "0999-12-31",
        "9999-12-31",
        "12024-01-01",
        "2024-01-05T00:00:00",
        "2024/01/05",
        "20240105",
        "2024-01-0a",
        "٢٠٢٤-٠١-٠٥",
        "-024-01-05",
        "+2024-01-05",
        " 2024-01-05 ",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "2024-01-5 ",
        "2024-01-05 ",
        "2024--1-05",
        "[024-01-05",
        "2024-01-05Z",
    ],
    "timestamp": [
        "2024-01-05T10:15:00",
        "2024-01-05 10:15:00",
        "2024-01-05",
        "2024-01-05T10:15",
        "2024-01-05T10:15:00Z",
        "2024-01-05T10:15:00+01:00",
        "2024-01-05T10:15:00+0100",
        "2024-01-05T10:15:00+01",
        "2024-01-05T10:15:00-05:00",
        "2024-01-05T10:15Z",
        "2024-01-05T10:15+02:00",
        "2024-01-05T10:15:00.123",
        "2024-01-05 10:15:00.123456",
        "2024-01-05T24:00:00",
        "2024-01-05T23:60:00",
        "2024-01-05T23:59:60",
        "2024-01-05t10:15:00",
        "2024-01-05T1:15:00",
        "2024-01-05T10:15:0",
        "2024-02-30T10:00:00",
        "12024-01-05T10:00:00",
        "2024-01-05X10:15:00",
        "2024-01-05T10-15-00",
        "2024-01-05T10:15:00 ",
        "2024-01-05T10:15:00+1",
        "2024-01-05T10:15:00+01:0",
        "2024-01-05T10:15:00++01",
        "0000-01-01T00:00:00",
        "-024-01-05T10:15:00",
        "2024-01-05T10:15:00.",
        "2024-01-05T10:15:00Z+01",
        "2024-01-05T٠٠:15:00",
        "2024-01-05  10:15:00",
    ],
    "bool": ["true", "false", "TRUE", "False", " true ", "yes", "1", "t", "truee"],
}
COMMON = ["", " ", "  ", "\t", "null", "NULL", "-", "x"]

COLUMNS = [
    Column("plain_int", "int"),
    Column("scale", "int", required=True, minimum=1, maximum=18),
    Column("vat_rate", "int", required=True, allowed=("0", "21")),
    Column("price", "decimal", required=True, minimum=0),
    Column("pct", "decimal", minimum=0, maximum=100),
    Column("birth_date", "date"),
    Column("valid_from", "date", required=True),
    Column("updated_at", "timestamp", required=True),
    Column("submitted_at", "timestamp"),
    Column("present", "bool", required=True),
]


def _checked(
    con: duckdb.DuckDBPyConnection, column: Column, values: list[str | None], cheap: bool
) -> list[tuple[str | None, str | None, str | None]]:
    frame = pl.DataFrame({"c0": values}, schema={"c0": pl.String})
    con.register("_values", frame)
    try:
        rows = con.execute(
            f"select c0, {reason_expression(column, 'c0', cheap)}, "
            f"cast({typed_expression(column, 'c0', cheap)} as varchar) "
            f"from (select *, {trimmed_projection({column: 'c0'})} from _values) "
            "order by all"
        ).fetchall()
    finally:
        con.unregister("_values")
    return rows


def _values(column: Column) -> list[str | None]:
    return [None, *COMMON, *(v for values in ADVERSARIAL.values() for v in values)]


@pytest.mark.parametrize("column", COLUMNS, ids=lambda c: c.name)
def test_cheap_path_gives_the_same_reason_and_value_as_the_regex_path(column: Column) -> None:
    con = duckdb.connect()
    values = _values(column)
    cheap = _checked(con, column, values, cheap=True)
    plain = _checked(con, column, values, cheap=False)
    assert len(cheap) == len(values)
    differences = [(c, p) for c, p in zip(cheap, plain, strict=True) if c != p]
    assert differences == []


@pytest.mark.parametrize("column_type", ["int", "decimal", "date", "timestamp"])
def test_a_cheap_form_accepts_only_what_its_regex_accepts(column_type: str) -> None:
    """The property the equality rests on, and proof that the cheap form is used at all."""
    con = duckdb.connect()
    regex = csv_rules._FORMS[column_type]
    form = cheap_form(column_type, "v")
    assert form is not None
    values = [v for values in ADVERSARIAL.values() for v in values] + COMMON
    rows = con.execute(
        f"select v, coalesce({form}, false), regexp_full_match(v, '{regex}') "
        "from unnest(?) as t(v)",
        [values],
    ).fetchall()
    assert [v for v, cheap, full in rows if cheap and not full] == []
    # The usual form of each type takes the cheap path (else the check saves nothing).
    usual = {
        "int": "42",
        "decimal": "12.50",
        "date": "2024-01-05",
        "timestamp": "2024-01-05T10:15:00",
    }
    assert dict((v, cheap) for v, cheap, _ in rows)[usual[column_type]] is True


def test_trimmed_projection_names_each_typed_field_once() -> None:
    columns = {Column("a"): "c0", Column("b", "int"): "c1", Column("c", "date"): "c2"}
    projection = trimmed_projection(columns)
    assert projection.count(" as ") == 2
    assert trimmed_name("c1") in projection and trimmed_name("c2") in projection
