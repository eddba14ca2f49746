"""The one row of a query that always returns one; None from such a query is a bug."""

from __future__ import annotations

import duckdb
import pytest

from leerdata.duckdb_rows import one_row, scalar


def test_one_row_and_scalar() -> None:
    with duckdb.connect() as con:
        assert one_row(con, "select 1, 'a'") == (1, "a")
        assert scalar(con, "select count(*) from range(?)", [5]) == 5


def test_no_row_is_an_error_not_a_none() -> None:
    with duckdb.connect() as con, pytest.raises(LookupError, match="no row"):
        scalar(con, "select 1 where false")
