"""Synthetic landing data in the CONTRACT formats, plus the ground truth of the invoice checks.

`run_generate(scale, seed, paths)` writes `landing/{hr,catalogue,lms,invoices}/` and
`truth/` (outside landing). Same (scale, seed) → byte-identical files: the calendar is
fixed (data ends 2026-10-31) and every random choice comes from the seed.

HR snapshots are monthly, except at `rijk`, where they are quarterly: monthly snapshots
of ~130,000 people over 10 years would be ~15.6M rows (~3.7 GB of CSV) on their own.
"""

from leerdata.generate.runner import GenerateSummary, run_generate

__all__ = ["GenerateSummary", "run_generate"]
