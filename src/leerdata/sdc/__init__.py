"""Statistical disclosure control: cell suppression for the published marts and its audit.

- tables: a protected table as cells (person counts) and the linear relations between
  them (a margin is the sum of its parts; a non-additive margin only covers them).
- suppression: primary suppression (small cells, group disclosure) and secondary
  suppression driven by the audit until no suppressed cell is exposed.
- audit: the attacker's view, an LP per suppressed cell (HiGHS, see lp) over the
  published cells, margins and non-negativity.
- lp: min and max of each variable of one LP from one warm HiGHS model.
- marts: how the cells and relations of each published mart are derived from its rows.
"""
