"""Employees and their monthly history, written as HR snapshots.

The population is simulated on a month grid: hires, exits (with retirement at 67),
one transfer between departments for some, one scale step for some, a few rehires
(same personnel number, new hire date) and a few people missing from one snapshot.
A snapshot row shows exit_date only in the person's last snapshot before leaving.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np
import polars as pl

from leerdata.contract import HR
from leerdata.generate.frames import MISSING, text
from leerdata.generate.org import (
    EMAIL_DOMAIN,
    JOB_TITLES_BY_BAND,
    SCALE_WEIGHTS,
    Organisation,
    band_of_scale,
)
from leerdata.generate.pools import NAME_PREFIXES, PREFIX_WEIGHTS, NamePools
from leerdata.generate.scales import Calendar, ScaleSpec

NEVER = 10**6  # month index meaning "not within the window"
EXIT_RATE_PER_YEAR = 0.075
GROWTH_PER_YEAR = 0.01
TRANSFER_RATE_PER_YEAR = 0.04
PROMOTION_RATE_PER_YEAR = 0.10
REHIRE_SHARE = 0.05
MISSING_SHARE = 0.006
TITLES_BEFORE = ("mr.", "drs.", "ir.", "dr.", "ing.", "prof. dr.")
TITLES_AFTER = ("MSc", "MA", "LLM", "MBA", "BSc")


@dataclass
class People:
    """One entry per person; month indexes refer to the Calendar grid."""

    static: pl.DataFrame  # identifying columns that never change
    email_local: np.ndarray
    h1: np.ndarray  # first spell: hire month (-1 = before the window)
    hire1: np.ndarray
    e1: np.ndarray  # exit month or NEVER
    exit1: np.ndarray
    h2: np.ndarray  # rehire month or NEVER
    hire2: np.ndarray
    t: np.ndarray  # transfer month or NEVER
    d0: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    cell0: np.ndarray
    cell1: np.ndarray
    cell2: np.ndarray
    s0: np.ndarray
    c: np.ndarray  # scale step month or NEVER
    job_pick: np.ndarray
    miss: np.ndarray  # snapshot month the person is missing from, or -1
    snapshot_months: np.ndarray
    dept_codes: tuple[str, ...]

    def employed(self, m: int) -> np.ndarray:
        return ((self.h1 <= m) & (m <= self.e1)) | (self.h2 <= m)

    def dept_at(self, m: int) -> np.ndarray:
        return np.where(m >= self.h2, self.d2, np.where(m >= self.t, self.d1, self.d0))

    def present(self, m: int) -> np.ndarray:
        return self.employed(m) & (self.miss != m)

    def eligible(self, m: int) -> np.ndarray:
        """Employed in month m, not leaving in it, and in the latest snapshot on or before it."""
        i = int(np.searchsorted(self.snapshot_months, m, side="right")) - 1
        snap = self.snapshot_months[max(i, 0)]
        return self.employed(m) & self.employed(int(snap)) & (self.e1 != m)


def _names(n: int, gender: np.ndarray, pools: NamePools, rng: np.random.Generator) -> dict:
    male = (gender == "M") | ((gender != "F") & (rng.random(n) < 0.5))
    n_given = rng.choice([1, 2, 3], size=n, p=[0.45, 0.40, 0.15])
    given = []
    for _ in range(3):
        pick_m = pools.male_first[rng.integers(0, len(pools.male_first), n)]
        pick_f = pools.female_first[rng.integers(0, len(pools.female_first), n)]
        given.append(np.where(male, pick_m, pick_f))
    first_names = pl.DataFrame({f"g{k}": given[k] for k in range(3)}).select(
        pl.concat_str(
            [
                pl.col("g0"),
                pl.when(pl.lit(n_given) >= 2).then(pl.col("g1")),
                pl.when(pl.lit(n_given) >= 3).then(pl.col("g2")),
            ],
            separator=" ",
            ignore_nulls=True,
        ).alias("first_names"),
        pl.concat_str(
            [
                pl.col("g0").str.slice(0, 1) + ".",
                pl.when(pl.lit(n_given) >= 2).then(pl.col("g1").str.slice(0, 1) + "."),
                pl.when(pl.lit(n_given) >= 3).then(pl.col("g2").str.slice(0, 1) + "."),
            ],
            ignore_nulls=True,
        ).alias("initials"),
    )
    prefix_pick = rng.choice(len(NAME_PREFIXES), size=n, p=PREFIX_WEIGHTS)
    prefix = np.where(
        rng.random(n) < 0.28, np.array(NAME_PREFIXES, dtype=object)[prefix_pick], MISSING
    )
    has_partner = rng.random(n) < np.where(gender == "F", 0.25, 0.05)
    partner_prefix_pick = np.array(NAME_PREFIXES, dtype=object)[
        rng.choice(len(NAME_PREFIXES), size=n, p=PREFIX_WEIGHTS)
    ]
    partner_prefix = np.where(has_partner & (rng.random(n) < 0.28), partner_prefix_pick, MISSING)
    return {
        "first_names": first_names["first_names"].to_numpy(),
        "initials": first_names["initials"].to_numpy(),
        "last_name": pools.last[rng.integers(0, len(pools.last), n)],
        "name_prefix": prefix,
        "partner_last_name": np.where(
            has_partner, pools.last[rng.integers(0, len(pools.last), n)], MISSING
        ),
        "partner_name_prefix": partner_prefix,
    }


def _employee_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    raw = rng.integers(10_000_000, 100_000_000, size=int(n * 1.2) + 10)
    _, first = np.unique(raw, return_index=True)
    ids = raw[np.sort(first)][:n]
    return ids.astype(str).astype(object)


def _email_locals(static: pl.DataFrame) -> np.ndarray:
    local = static.select(
        (
            pl.col("initials").str.slice(0, 1).str.to_lowercase()
            + "."
            + pl.concat_str([pl.col("name_prefix"), pl.col("last_name")], ignore_nulls=True)
            .str.replace_all(r"[^A-Za-z]", "")
            .str.to_lowercase()
        ).alias("local")
    )["local"]
    # Unique mailboxes: the second j.devries becomes j.devries2.
    frame = pl.DataFrame({"local": local}).with_row_index("i")
    frame = frame.with_columns(pl.col("i").rank("ordinal").over("local").alias("k"))
    return (
        frame.select(
            pl.when(pl.col("k") > 1)
            .then(pl.col("local") + pl.col("k").cast(pl.String))
            .otherwise(pl.col("local"))
        )
        .to_series()
        .to_numpy()
    )


def _at_least(
    chosen: np.ndarray, eligible: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """`chosen`, topped up from `eligible` so at least k are chosen (small scales need examples)."""
    chosen = chosen & eligible
    short = k - int(chosen.sum())
    pool = np.nonzero(eligible & ~chosen)[0]
    if short > 0 and len(pool):
        chosen = chosen.copy()
        chosen[rng.choice(pool, size=min(short, len(pool)), replace=False)] = True
    return chosen


def simulate_people(
    spec: ScaleSpec, cal: Calendar, org: Organisation, pools: NamePools, rng: np.random.Generator
) -> People:
    months = cal.months
    n0 = spec.headcount
    monthly_hires = rng.poisson(n0 * (EXIT_RATE_PER_YEAR + GROWTH_PER_YEAR) / 12, size=months)
    n = n0 + int(monthly_hires.sum())
    h1 = np.concatenate([np.full(n0, -1), np.repeat(np.arange(months), monthly_hires)])
    initial = h1 < 0

    # Age at the window start for the initial staff; at hire for new staff.
    age_years = np.where(
        initial,
        rng.triangular(19, 42, 66, n),
        np.clip(rng.gamma(4.0, 3.0, n) + 21, 19, 60),
    )
    start = cal.start
    hire_month_start = cal.month_start(np.maximum(h1, 0))
    reference = np.where(initial, start, hire_month_start)
    birth = reference - (age_years * 365.25).astype("timedelta64[D]")
    tenure_days = (rng.random(n) * (age_years - 18) * 365.25 * 0.8).astype("timedelta64[D]")
    hire1 = np.where(initial, start - tenure_days - np.timedelta64(1, "D"), hire_month_start)

    # Exits: a constant hazard, capped by retirement at 67.
    p_exit = EXIT_RATE_PER_YEAR / 12
    e1 = np.maximum(h1, 0) + rng.geometric(p_exit, n)
    retire = cal.month_of(birth + np.timedelta64(int(67 * 365.25), "D"))
    e1 = np.minimum(e1, retire)
    e1 = np.where(e1 >= months, NEVER, np.maximum(e1, np.maximum(h1, 0)))
    exit_day = np.where(
        rng.random(n) < 0.7,
        cal.month_end(np.minimum(e1, months)),
        cal.month_start(np.minimum(e1, months)) + rng.integers(7, 27, n).astype("timedelta64[D]"),
    )
    exit1 = np.where(e1 < NEVER, exit_day, np.datetime64("NaT"))

    # Rehires: same personnel number, new hire date, a few months after leaving.
    can_rehire = e1 <= months - 4
    rehired = _at_least(rng.random(n) < REHIRE_SHARE, can_rehire, 3, rng)
    h2 = np.where(
        rehired, e1 + rng.integers(2, 4, n) + rng.integers(0, 9, n) * (e1 < months - 12), NEVER
    )
    h2 = np.where(h2 < months, h2, NEVER)
    hire2 = cal.month_start(np.minimum(h2, months))

    # Departments: a transfer for some (at most one), maybe another on rehire.
    n_dept = len(org.codes)
    d0 = rng.choice(n_dept, size=n, p=org.weights)
    d1 = (d0 + rng.integers(1, n_dept, n)) % n_dept
    lo = np.maximum(h1, 0) + 1
    hi = np.minimum(e1, months - 1)
    p_transfer = 1 - (1 - TRANSFER_RATE_PER_YEAR) ** spec.years
    t_pick = lo + (rng.random(n) * np.maximum(hi - lo + 1, 1)).astype(np.int64)
    t = np.where(_at_least(rng.random(n) < p_transfer, hi >= lo, 5, rng), t_pick, NEVER)
    last_dept = np.where(t < NEVER, d1, d0)
    d2 = np.where(rng.random(n) < 0.5, last_dept, rng.choice(n_dept, size=n, p=org.weights))
    cell0, cell1, cell2 = (org.random_cell(d, rng) for d in (d0, d1, d2))

    s0 = rng.choice(18, size=n, p=SCALE_WEIGHTS / SCALE_WEIGHTS.sum()) + 1
    s0 = np.where(age_years < 23, np.minimum(s0, 9), s0)
    p_step = 1 - (1 - PROMOTION_RATE_PER_YEAR) ** spec.years
    c_pick = lo + (rng.random(n) * np.maximum(hi - lo + 1, 1)).astype(np.int64)
    c = np.where((hi >= lo) & (s0 < 18) & (rng.random(n) < p_step), c_pick, NEVER)

    # Missing from one snapshot (not the first or last of the spell).
    snaps = np.arange(0, months, spec.snapshot_every_months)
    first_i = np.searchsorted(snaps, np.maximum(h1, 0))
    last_i = np.searchsorted(snaps, np.minimum(e1, months - 1), side="right") - 1
    room = last_i - first_i - 1
    miss_i = first_i + 1 + (rng.random(n) * np.maximum(room, 1)).astype(np.int64)
    missing = _at_least(rng.random(n) < MISSING_SHARE, room >= 1, 3, rng)
    miss = np.where(missing, snaps[np.clip(miss_i, 0, len(snaps) - 1)], -1)

    gender = rng.choice(
        np.array(["M", "F", "X", ""], dtype=object), size=n, p=[0.49, 0.49, 0.01, 0.01]
    )
    names = _names(n, gender, pools, rng)
    salutation = np.select([gender == "M", gender == "F"], ["De heer", "Mevrouw"], default=MISSING)
    title_before = np.where(
        rng.random(n) < 0.14, np.array(TITLES_BEFORE, dtype=object)[rng.integers(0, 6, n)], MISSING
    )
    title_after = np.where(
        rng.random(n) < 0.05, np.array(TITLES_AFTER, dtype=object)[rng.integers(0, 5, n)], MISSING
    )
    static = pl.DataFrame(
        [
            text("employee_id", _employee_ids(n, rng)),
            text("last_name", names["last_name"]),
            text("name_prefix", names["name_prefix"]),
            text("initials", names["initials"]),
            text("first_names", names["first_names"]),
            text("partner_last_name", names["partner_last_name"]),
            text("partner_name_prefix", names["partner_name_prefix"]),
            text("salutation", salutation),
            text("title_before", title_before),
            text("title_after", title_after),
            text("gender", np.where(gender == "", MISSING, gender)),
            pl.Series("birth_date", birth.astype("datetime64[D]")),
            text("birth_place", pools.places[rng.integers(0, len(pools.places), n)]),
        ]
    )
    return People(
        static=static,
        email_local=_email_locals(static),
        h1=h1,
        hire1=hire1.astype("datetime64[D]"),
        e1=e1,
        exit1=exit1.astype("datetime64[D]"),
        h2=h2,
        hire2=hire2,
        t=t,
        d0=d0,
        d1=d1,
        d2=d2,
        cell0=cell0,
        cell1=cell1,
        cell2=cell2,
        s0=s0,
        c=c,
        job_pick=rng.integers(0, 1000, n),
        miss=miss,
        snapshot_months=snaps,
        dept_codes=org.codes,
    )


def hr_snapshots(
    people: People, cal: Calendar, org: Organisation
) -> Iterator[tuple[str, np.datetime64, pl.DataFrame]]:
    """(department code, export date, snapshot frame) for every HR file."""
    codes = np.array(org.codes, dtype=object)
    domains = np.array([EMAIL_DOMAIN[c] for c in org.codes], dtype=object)
    months = cal.months
    last_i = (
        np.searchsorted(people.snapshot_months, np.minimum(people.e1, months - 1), side="right") - 1
    )
    last_snap_spell1 = people.snapshot_months[np.clip(last_i, 0, None)]
    for m in people.snapshot_months.tolist():
        idx = np.nonzero(people.present(m))[0]
        in_spell2 = people.h2[idx] <= m
        dept = people.dept_at(m)[idx]
        cell = np.where(
            in_spell2,
            people.cell2[idx],
            np.where(m >= people.t[idx], people.cell1[idx], people.cell0[idx]),
        )
        scale = people.s0[idx] + (m >= people.c[idx])
        band = band_of_scale(scale)
        job = np.empty(len(idx), dtype=object)
        for b, titles in enumerate(JOB_TITLES_BY_BAND):
            sel = band == b
            job[sel] = np.array(titles, dtype=object)[people.job_pick[idx][sel] % len(titles)]
        shows_exit = (~in_spell2) & (people.e1[idx] < NEVER) & (last_snap_spell1[idx] == m)
        frame = people.static[idx].with_columns(
            text("department_code", codes[dept]),
            text("directorate", org.directorate[cell]),
            text("unit", org.unit[cell]),
            text("team", org.team[cell]),
            text("email", people.email_local[idx] + "@" + domains[dept]),
            pl.Series("hire_date", np.where(in_spell2, people.hire2[idx], people.hire1[idx])),
            pl.Series("exit_date", np.where(shows_exit, people.exit1[idx], np.datetime64("NaT"))),
            text("job_title", job),
            pl.Series("salary_scale", scale, dtype=pl.Int64),
            pl.Series("_dept", dept),
        )
        frame = frame.sort("_dept", "employee_id")
        export = cast(np.datetime64, cal.first_working_day(m))  # one month in: one day out
        for d, part in frame.partition_by("_dept", as_dict=True, maintain_order=True).items():
            yield str(codes[d[0]]), export, part.select(HR.column_names)
