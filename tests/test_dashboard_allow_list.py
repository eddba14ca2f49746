"""The dashboards' query allow-list resolves every table reference with its scope.

Before, common table expression names counted as global: a scoped CTE named like a
restricted table anywhere in the query admitted the real table everywhere else, which
returned 258 rows with enrolment pseudonyms from fct_cost_allocation. One test per
bypass tried so far, and the scoped uses the pages rely on still pass.
"""

from __future__ import annotations

import pytest

from dashboards import data

# Reads a published mart too, so the query is not refused for reading none.
LEAK = (
    "select enrolment_key as k from fct_cost_allocation "
    "cross join (select 1 as one from dim_departments limit 1) as published"
)
BYPASSES = {
    "cte in a sibling subquery": (
        "select * from (with fct_cost_allocation as (select 1 as k) "
        "select k from fct_cost_allocation) as decoy, "
        f"({LEAK}) as leaked"
    ),
    "cte in one union branch": (
        "(with fct_cost_allocation as (select 1 as k) select k from fct_cost_allocation) "
        f"union all ({LEAK})"
    ),
    "cte in a scalar subquery of the where clause": (
        f"{LEAK} where exists (with fct_cost_allocation as (select 1) "
        "select * from fct_cost_allocation)"
    ),
    "cte whose own body reads the table of its name": (
        f"with fct_cost_allocation as ({LEAK}) select * from fct_cost_allocation"
    ),
    "cte body reading a later cte's name": (
        "with a as (select * from fct_cost_allocation), "
        "fct_cost_allocation as (select 1 as k from mart_participation) select * from a"
    ),
    "cte in a subquery of the select list": (
        "select (with fct_cost_allocation as (select 1) select count(*) "
        "from fct_cost_allocation), (select max(enrolment_key) from fct_cost_allocation) "
        "from mart_participation"
    ),
    "upper-case table name": LEAK.replace("from fct_cost_allocation", "from FCT_COST_ALLOCATION"),
    "quoted mixed-case name": LEAK.replace(
        "from fct_cost_allocation", 'from "Fct_Cost_Allocation"'
    ),
    "schema-qualified name next to a cte of that name": (
        "with fct_cost_allocation as (select 1 as k) "
        + LEAK.replace("from fct_cost_allocation", "from main.fct_cost_allocation")
    ),
    "summarize": "select * from (summarize fct_cost_allocation)",
    "describe": "select * from (describe fct_cost_allocation)",
    "show tables": "select * from (show tables)",
    "query_table": "select * from query_table('fct_cost_allocation')",
    "query()": "select * from query('select * from fct_cost_allocation')",
}


@pytest.mark.parametrize("sql", BYPASSES.values(), ids=BYPASSES.keys())
def test_every_bypass_tried_so_far_is_refused(sql: str) -> None:
    with pytest.raises(data.DisallowedQueryError):
        data.check_query(sql)


ALLOWED = {
    "a cte named after nothing": (
        "with per_quarter as (select quarter, sum(participants) as n from mart_participation "
        "group by quarter) select * from per_quarter",
        {"mart_participation"},
    ),
    "a later cte reading an earlier one": (
        "with a as (select * from mart_settlement_matrix), b as (select * from a) select * from b",
        {"mart_settlement_matrix"},
    ),
    "a cte seen from a nested subquery": (
        "with a as (select * from dim_departments) select * from (select * from a) as inner_scope",
        {"dim_departments"},
    ),
    "a cte shadowing a published mart's name": (
        "with mart_participation as (select * from mart_participation_yearly) "
        "select * from mart_participation",
        {"mart_participation_yearly"},
    ),
}


@pytest.mark.parametrize(("sql", "tables"), ALLOWED.values(), ids=ALLOWED.keys())
def test_scoped_ctes_on_published_marts_pass(sql: str, tables: set[str]) -> None:
    assert data.check_query(sql) == tables
