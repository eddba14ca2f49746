"""The browser page timings of `make bench` on the tiny warehouse (headless chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from leerdata_bench import browser_pages
from leerdata_bench.targets import evaluate

from leerdata.config import DataPaths


def test_the_benchmark_names_every_page_with_a_role_that_may_open_it() -> None:
    from dashboards.roles import ALL_PAGES, load_roles

    roles = load_roles().roles
    urls = browser_pages.page_urls()
    assert set(urls) == set(ALL_PAGES)
    for page, url in urls.items():
        role = url.split("?role=")[1]
        assert page in roles[role].pages, (page, role)


def test_an_unknown_page_is_refused_before_a_browser_starts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such page: nergens"):
        browser_pages.time_pages(DataPaths.of(tmp_path), repeats=1, pages=["nergens"])


@pytest.mark.browser
def test_a_page_is_timed_until_its_last_element(tiny_warehouse: DataPaths) -> None:
    """One page besides the server's first (each visit is 5-10 s on a loaded machine;
    every page renders in tests/test_browser_dashboard.py)."""
    result = browser_pages.time_pages(tiny_warehouse, repeats=1, pages=["factuurcontrole"])
    assert set(result["pages"]) == {"factuurcontrole"}
    assert result["server_start_ms"] > 0
    for page, timing in result["pages"].items():
        cold = timing["runs"]["cold"][0]
        # The last element comes after the HTML and after the title, and takes time.
        assert 0 < cold["dom_ms"] <= cold["title_ms"] <= cold["last_ms"], page
        assert timing["warm_ms"] > 0, page


def test_browser_summary_and_target() -> None:
    def run(a: float, b: float) -> dict:
        return {
            "pages": {
                "a": {"cold_ms": a, "warm_ms": a / 4},
                "b": {"cold_ms": b, "warm_ms": b / 4},
            }
        }

    runs = [run(1000.0, 2000.0), run(1400.0, 1600.0)]
    summary = browser_pages.summarise_runs(runs)
    assert summary["b"] == {
        "cold_median_ms": 1800.0, "cold_min_ms": 1600.0, "cold_max_ms": 2000.0,
        "warm_median_ms": 450.0,
    }  # fmt: skip
    verdicts = [v for v in evaluate({"browser_pages": summary}) if "chromium" in v.name]
    assert len(verdicts) == 1 and verdicts[0].passed is False and "(b)" in verdicts[0].measured
