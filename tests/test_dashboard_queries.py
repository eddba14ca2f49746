"""Pages ask the warehouse only through the named, parameterised queries of
dashboards/queries.py (issue 17), and those keep the viewer's department scope (issue 15).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards import data, queries
from dashboards.roles import Scope
from leerdata.config import DataPaths
from tests.test_dashboard_app import frames, mart, warehouse

__all__ = ["frames", "warehouse"]  # fixtures used by name

DASHBOARDS = Path(__file__).resolve().parents[1] / "dashboards"
# Every module a page is made of, except the data layer itself.
PAGE_MODULES = sorted(
    [*(DASHBOARDS / "app_pages").glob("*.py")]
    + [DASHBOARDS / name for name in ("ui.py", "exports.py", "charts.py", "app.py")]
)
SQL = re.compile(r"\bselect\b[\s\S]*\bfrom\b|\bfrom\s+(mart|fct|dim)_", re.IGNORECASE)
RAW_QUERY_CALLS = {"query", "scoped_query", "cursor", "scoped_cursor", "connection"}


def strings_in(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):  # an f-string: its literal parts together
            literal = "".join(
                part.value
                for part in node.values
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            )
            yield node.lineno, literal


@pytest.mark.parametrize("module", PAGE_MODULES, ids=lambda p: p.name)
def test_a_page_holds_no_sql_and_calls_no_raw_query(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    sql = [(line, text) for line, text in strings_in(tree) if SQL.search(text)]
    assert sql == [], f"{module.name}: SQL text; add a named query to dashboards/queries.py"
    raw = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "data"
        and node.attr in RAW_QUERY_CALLS
    ]
    assert raw == [], f"{module.name}: data.<raw query> on lines {raw}"


def test_the_check_finds_sql_in_an_f_string() -> None:
    """Negative control: the scan sees an f-string IN list as the pages had it."""
    tree = ast.parse(
        'data.query(f"select quarter from mart_participation where department_code '
        'in ({placeholders})", departments)'
    )
    assert [text for _, text in strings_in(tree) if SQL.search(text)]


def test_list_parameters_select_exactly_the_departments(warehouse: DataPaths) -> None:
    everyone = queries.participation_departments()
    assert len(everyone) >= 3, "fixture has too few departments"
    chosen = everyone[:2]
    shown = queries.department_totals(chosen)
    expected = mart(
        warehouse,
        "select quarter, department_code, participants from mart_participation "
        "where breakdown = 'total' and department_code in (?, ?) "
        "order by quarter, department_code",
        chosen,
    )
    assert shown.select("quarter", "department_code", "participants").equals(expected)
    assert queries.department_totals([]).is_empty()


def test_named_queries_keep_the_viewers_department_scope(
    warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A viewer of one department asking for two sees only their own."""
    everyone = queries.participation_departments()
    own, other = everyone[0], everyone[1]
    monkeypatch.setattr(data, "current_scope", lambda: Scope(frozenset({own})))
    assert set(queries.department_totals([own, other])["department_code"]) == {own}
    assert queries.participation_departments() == [own]
    matrix_quarter = mart(warehouse, "select max(quarter) as q from mart_settlement_matrix")["q"][0]
    matrix = queries.settlement_matrix(matrix_quarter)
    assert all(
        own in (row["debtor_department_code"], row["creditor_department_code"])
        for row in matrix.iter_rows(named=True)
    )
