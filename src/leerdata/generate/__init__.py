"""Synthetic landing data in the docs/contract.md formats, plus the invoice checks' ground truth.

`run_generate(scale, seed, paths)` writes `landing/{hr,catalogue,lms,invoices}/` and
`truth/` (outside landing). Same (scale, seed) → byte-identical files: the calendar is
fixed (data ends 2026-10-31) and every random choice comes from the seed.

HR snapshots are monthly, except at `rijk`, where they are quarterly: quarterly HR is
already 5.5M rows (1.1 GB) of the 2.9 GB rijk landing zone; monthly would triple that to
~16.5M rows (~3.3 GB) and push the landing zone past 5 GB.
"""

from leerdata.generate.runner import GenerateSummary, run_generate

__all__ = ["GenerateSummary", "run_generate"]
