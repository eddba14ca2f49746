"""The LP attacker of the tests (tests/disclosure_attacker.py) on a built warehouse of any
scale, one year at a time.

    python benchmarks/disclosure_attack.py --data-dir D [--years 2025 2026] [--release R]

The attack tests run on the tiny and small warehouses only; this runs the same attack on
a medium or rijk build. Every relation the attacker writes down stays within one year
(a year is the sum of its quarters; margins and cross-table totals are per period), so
attacking year by year finds what attacking all years at once finds, in far smaller
LPs. Prints, per year: published rows, small true counts attacked, counts the bulk LPs
left to single LPs, and where the attacker pins a count (exit status 1 if anywhere).
With --release (a folder exports/research/<release-id> of the same build) the attacker
also holds that release's microdata: their floors and ceilings within each year
(tests/microdata_bounds.py; the bounds summed over years are left out, as the years are
attacked apart).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import polars as pl

from leerdata.config import DataPaths
from tests.disclosure_attacker import Attack, published_cells, true_cells
from tests.microdata_bounds import add_microdata_bounds, read_release
from tests.test_disclosure_attack import PUBLISHED_METHOD


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--years", nargs="*", type=int, help="default: every published year")
    parser.add_argument("--release", type=Path, help="a research release of this build")
    args = parser.parse_args()
    release = read_release(args.release) if args.release else None
    paths = DataPaths.of(args.data_dir)
    evaluation, participation, courses = published_cells(paths.reporting_db)
    evaluation_truth, participation_truth = true_cells(paths.restricted_db)
    years = args.years or sorted(set(evaluation["year"]) | set(participation["year"]))
    pinned = 0
    for year in years:
        started = time.perf_counter()
        model = Attack(
            evaluation.filter(pl.col("year") == year),
            participation.filter(pl.col("year") == year),
            courses,
            PUBLISHED_METHOD,
        )
        bounds = add_microdata_bounds(model, *release, per_period=True) if release else 0
        truth = model.truth_vector(
            evaluation_truth.filter(pl.col("period").str.starts_with(str(year))),
            participation_truth.filter(pl.col("period").str.starts_with(str(year))),
        )
        result = model.solve(truth, model.describe)
        pinned += len(result.recovered)
        print(
            f"{year}: {result.candidates} small counts attacked, {result.unresolved} left "
            f"to single LPs, {len(result.recovered)} pinned, {bounds} microdata bounds "
            f"({time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        for recovery in result.recovered:
            # where, not the true value: the restricted zone stays where it is
            print(f"  pinned: {recovery.table} {recovery.cell} {recovery.count}", flush=True)
    return 1 if pinned else 0


if __name__ == "__main__":
    raise SystemExit(main())
