"""How big each scale is, and the fixed calendar it lives on.

The calendar is fixed (it never depends on today's date) so that a (scale, seed) pair
always produces the same bytes: the data ends on AS_OF and reaches back `years`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

AS_OF = date(2026, 10, 31)
SHARED_DEPARTMENTS = ("VWS", "OCW", "SZW")


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    years: int
    headcount: int
    all_departments: bool
    external_suppliers: int
    courses: int
    snapshot_every_months: int  # 1 = monthly HR snapshots, 3 = quarterly


SCALES: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec("tiny", 1, 200, False, 6, 30, 1),
    "small": ScaleSpec("small", 3, 3_000, False, 12, 90, 1),
    "medium": ScaleSpec("medium", 5, 25_000, False, 25, 250, 1),
    # Quarterly HR snapshots at rijk: monthly would be ~16.5M HR rows (~3.3 GB of CSV).
    "rijk": ScaleSpec("rijk", 10, 130_000, True, 60, 700, 3),
}


def scale_spec(name: str) -> ScaleSpec:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}") from None


@dataclass(frozen=True)
class Calendar:
    """Month grid of the window: month 0 is the first month, `months` the count."""

    first_month: np.datetime64  # datetime64[M]
    months: int
    as_of: np.datetime64  # datetime64[D]

    @classmethod
    def for_years(cls, years: int) -> Calendar:
        last = np.datetime64(AS_OF, "M")
        months = 12 * years
        return cls(last - (months - 1), months, np.datetime64(AS_OF, "D"))

    @property
    def start(self) -> np.datetime64:
        return self.first_month.astype("datetime64[D]")

    def month_start(self, m: np.ndarray | int) -> np.ndarray:
        return (self.first_month + np.asarray(m)).astype("datetime64[M]").astype("datetime64[D]")

    def month_end(self, m: np.ndarray | int) -> np.ndarray:
        return self.month_start(np.asarray(m) + 1) - np.timedelta64(1, "D")

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Month index (may be <0 or >= months) of datetime64 values."""
        months = np.asarray(days).astype("datetime64[M]")
        return (months - self.first_month).astype(np.int64)

    def first_working_day(self, m: np.ndarray | int) -> np.ndarray:
        start = self.month_start(m)
        return np.busday_offset(start, 0, roll="forward")

    @property
    def export_dates(self) -> np.ndarray:
        """Month-end export dates of the LMS and catalogue (the last one is AS_OF)."""
        return self.month_end(np.arange(self.months))
