"""Disclosure control of the evaluation tables, in the warehouse (not in the UI).

Reads every cell of the course, supplier and category tables (quarters and years) and
returns them with is_suppressed and suppression_reason from leerdata.sdc: primary
suppression below min_cell_size persons and for group disclosure, then complementary
suppression until the LP audit finds no suppressed cell narrower than its protection
interval. The marts null every measure of a suppressed cell.

A Python model is a table by necessity (dbt cannot run Python as a view).
"""

from leerdata.sdc.marts import EVALUATION, protect
from leerdata.sdc.tables import ProtectionRule


def model(dbt, session):
    dbt.config(materialized="table")
    rule = ProtectionRule(min_cell_size=int(dbt.config.get("min_cell_size")))
    cells = dbt.ref("int_evaluation_cells").pl()
    cells = cells.sort(["evaluation_level", "entity_id", "period_type", "period"])
    return protect(cells, EVALUATION, rule).to_arrow()
