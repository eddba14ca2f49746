"""Columns that say when a build ran, not what the data holds.

Two builds of the same data may differ only in these: `mart_quality_freshness` counts a
source's age in days up to the build's date, so a build just after midnight counts one
day more than one just before it (CI saw this in the retention scenario at 23:48 UTC).
The dates the ages are counted from stay in the comparison.
"""

from __future__ import annotations

BUILD_MOMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "mart_quality_build": ("build_id", "built_at"),
    "mart_quality_freshness": ("newest_file_age_days", "newest_delivery_age_days"),
}
