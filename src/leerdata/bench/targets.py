"""The performance targets at `rijk` scale on the 2-core reference machine, and the verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GIB = 1024**3


@dataclass(frozen=True)
class Verdict:
    name: str
    target: str
    measured: str
    passed: bool | None  # None: not measured in this run

    @property
    def label(self) -> str:
        return {True: "PASS", False: "MISS", None: "n/a"}[self.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "measured": self.measured,
            "verdict": self.label,
        }


def _median(summary: dict[str, Any], step: str) -> float | None:
    entry = summary.get("steps", {}).get(step)
    return entry["median_s"] if entry else None


def evaluate(summary: dict[str, Any], medium_build_s: float | None = None) -> list[Verdict]:
    """Verdicts from a summary (medians over runs); missing measurements give n/a."""
    verdicts: list[Verdict] = []

    def seconds(name: str, steps: tuple[str, ...], limit: float) -> None:
        parts = summary.get("per_run_sums", {}).get("+".join(steps))
        value = parts["median_s"] if parts else None
        verdicts.append(
            Verdict(
                name,
                f"≤ {limit:.0f} s",
                f"{value:.1f} s" if value is not None else "not measured",
                None if value is None else value <= limit,
            )
        )

    seconds("full ingest + build", ("ingest_full", "build_full"), 180)
    seconds("one extra day: ingest + build", ("ingest_day", "build_day"), 30)

    overhead = summary.get("dbt_split", {}).get("overhead_share_median")
    verdicts.append(
        Verdict(
            "dbt overhead share of the build",
            "≤ 25 %",
            f"{overhead * 100:.0f} %" if overhead is not None else "not measured",
            None if overhead is None else overhead <= 0.25,
        )
    )

    pages = summary.get("pages", {})
    if pages:
        slowest = max(pages, key=lambda p: pages[p]["cold_median_ms"])
        worst = pages[slowest]["cold_median_ms"]
        verdicts.append(
            Verdict(
                "slowest dashboard page (server-side, cold cache)",
                "≤ 500 ms",
                f"{worst:.0f} ms ({slowest})",
                worst <= 500,
            )
        )
    else:
        verdicts.append(Verdict("slowest dashboard page", "≤ 500 ms", "not measured", None))

    rss = [s["peak_rss_max_bytes"] for s in summary.get("steps", {}).values()]
    peak_step = (
        max(summary.get("steps", {}).items(), key=lambda kv: kv[1]["peak_rss_max_bytes"])[0]
        if rss
        else None
    )
    verdicts.append(
        Verdict(
            "peak RSS of any step",
            "≤ 4 GiB",
            f"{max(rss) / GIB:.2f} GiB ({peak_step})" if rss else "not measured",
            None if not rss else max(rss) <= 4 * GIB,
        )
    )

    build = _median(summary, "build_full")
    if build is not None and medium_build_s:
        ratio = build / medium_build_s
        verdicts.append(Verdict("build time vs medium", "≤ 6×", f"{ratio:.1f}×", ratio <= 6))
    else:
        verdicts.append(Verdict("build time vs medium", "≤ 6×", "no medium result", None))
    return verdicts
