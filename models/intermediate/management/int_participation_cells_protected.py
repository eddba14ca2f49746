"""Disclosure control of the participation table, in the warehouse (not in the UI).

Same engine as the evaluation tables (leerdata.sdc): primary suppression below
min_cell_size persons, group disclosure, then complementary suppression until the LP
audit passes over the whole linked table (quarters > year, department total >
directorate / scale band / age band / gender, department total covering the delivery
modes). A Python model is a table by necessity.
"""

from leerdata.sdc.marts import PARTICIPATION, protect
from leerdata.sdc.tables import ProtectionRule


def model(dbt, session):
    dbt.config(materialized="table")
    rule = ProtectionRule(min_cell_size=int(dbt.config.get("min_cell_size")))
    cells = dbt.ref("int_participation_cells").pl()
    cells = cells.sort(["department_code", "breakdown", "breakdown_value", "period_type", "period"])
    return protect(cells, PARTICIPATION, rule).to_arrow()
