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

    stopped = summary.get("stopped", {})

    def seconds(name: str, steps: tuple[str, ...], limit: float) -> None:
        parts = summary.get("per_run_sums", {}).get("+".join(steps))
        value = parts["median_s"] if parts else None
        if value is None and any(step in stopped for step in steps):
            # A step was killed at its timeout: what ran is a lower bound of the total.
            bound = sum(
                stopped[step]["after_s"] if step in stopped else (_median(summary, step) or 0.0)
                for step in steps
            )
            verdicts.append(
                Verdict(
                    name,
                    f"≤ {limit:.0f} s",
                    f"> {bound:.0f} s (stopped)",
                    False if bound > limit else None,
                )
            )
            return
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

    share = summary.get("day_share_of_full")
    verdicts.append(
        Verdict(
            "one extra day / full ingest + build (same run)",
            "≤ 25 %",
            f"{share['median'] * 100:.0f} %" if share else "not measured",
            None if not share else share["median"] <= 0.25,
        )
    )

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

    browser = summary.get("browser_pages", {})
    if browser:
        slowest = max(browser, key=lambda p: browser[p]["cold_median_ms"])
        worst = browser[slowest]["cold_median_ms"]
        verdicts.append(
            Verdict(
                "slowest dashboard page in chromium (cold, until the last element)",
                "≤ 1500 ms",
                f"{worst:.0f} ms ({slowest})",
                worst <= 1500,
            )
        )

    peaks = {step: s["peak_rss_max_bytes"] for step, s in summary.get("steps", {}).items()}
    for step, s in stopped.items():  # polled high-water mark up to the kill
        peaks[step] = max(peaks.get(step, 0), s["peak_rss_bytes"])
    rss = list(peaks.values())
    peak_step = max(peaks, key=peaks.__getitem__) if peaks else None
    unknown = sorted(step for step, s in stopped.items() if not s["peak_rss_bytes"])
    if rss and unknown and max(rss) <= 4 * GIB:  # a killed step without a polled figure
        verdicts.append(
            Verdict(
                "peak RSS of any step",
                "≤ 4 GiB",
                f"{max(rss) / GIB:.2f} GiB ({peak_step}); {', '.join(unknown)} unknown (stopped)",
                None,
            )
        )
        rss = []
    if rss or not unknown:
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
    elif "build_full" in stopped and medium_build_s:
        ratio = stopped["build_full"]["after_s"] / medium_build_s
        verdicts.append(
            Verdict(
                "build time vs medium",
                "≤ 6×",
                f"> {ratio:.1f}× (stopped)",
                False if ratio > 6 else None,
            )
        )
    else:
        verdicts.append(Verdict("build time vs medium", "≤ 6×", "no medium result", None))
    return verdicts
