"""What a user waits for: every dashboard page timed in headless Debian chromium.

The server-side timings (leerdata_bench.pages) leave out the browser: loading the app's
JavaScript, the websocket round trips, drawing charts and tables. Here a real browser
(Playwright driving /usr/bin/chromium) opens each page through a running Streamlit
server, and the time is from the start of navigation until the page's last element is
rendered: the last change to the page's DOM (a MutationObserver records it) after which
the script run is over, every chart is drawn and no table is still loading, and nothing
changes for QUIET_SECONDS.

- `cold`: the first visitor after a build. The server is running (its Python imports
  done by one visit beforehand), the reporting file's modification time is bumped (a
  build swaps the file in, which changes the key of every cached query and of the
  connection), and the browser profile is fresh (no cached JavaScript).
- `warm`: the same page reloaded in the same browser on the same server.
- `server_start_ms`: once, the first page on a newly started server (imports included).

Per page, a breakdown of the cold load: `dom_ms` (HTML and JavaScript: DOMContentLoaded),
`title_ms` (the page's title is on screen: the script has started sending), `last_ms`
(the last element). Repeated, medians kept.

    python -m leerdata_bench.browser_pages --data-dir D --out browser_pages.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leerdata.config import DataPaths

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUIET_SECONDS = 1.0
TIMEOUT_SECONDS = 120.0
# Records the time (ms since navigation start) of the last change to the document.
LAST_MUTATION_SCRIPT = """
window.__lastMutation = 0;
new MutationObserver(() => { window.__lastMutation = performance.now(); })
  .observe(document, {subtree: true, childList: true, characterData: true});
"""


def _rendered(page: Any) -> bool:
    """The script run is over, every chart drawn, no table loading."""
    finished = page.locator('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]')
    if finished.count() == 0 or page.locator('[data-testid="stStatusWidget"]').count() > 0:
        return False
    charts = page.locator('[data-testid="stPlotlyChart"]').count()
    drawn = page.locator('[data-testid="stPlotlyChart"] .main-svg').count()
    loading = page.locator('[data-testid="stSkeleton"]').count()
    return drawn >= charts and loading == 0


def _wait_for_last_element(page: Any) -> float:
    """Milliseconds from navigation start to the last DOM change of the finished page."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    quiet_since: float | None = None
    last_seen = -1.0
    while time.monotonic() < deadline:
        last = float(page.evaluate("window.__lastMutation || 0"))
        if _rendered(page) and last == last_seen:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= QUIET_SECONDS:
                return last
        else:
            quiet_since = None
        last_seen = last
        page.wait_for_timeout(50)
    raise TimeoutError(f"{page.url} did not finish rendering in {TIMEOUT_SECONDS:.0f} s")


def _navigation_ms(page: Any) -> dict[str, float]:
    timing = page.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {dom: n ? n.domContentLoadedEventEnd : 0}; })()"
    )
    return {"dom_ms": round(float(timing["dom"]), 1)}


def _open(page: Any, url: str) -> dict[str, float]:
    page.goto(url)
    page.wait_for_selector("h1", timeout=TIMEOUT_SECONDS * 1000)
    title = page.evaluate("performance.now()")
    last = _wait_for_last_element(page)
    problems = page.locator('[data-testid="stException"]').count()
    if problems or "Page not found" in page.content():
        raise RuntimeError(f"{url} rendered with an error")
    return {**_navigation_ms(page), "title_ms": round(title, 1), "last_ms": round(last, 1)}


def _visit(browser: Any, url: str) -> tuple[dict[str, float], dict[str, float]]:
    """Open `url` in a fresh browser profile, then reload it: (first, again)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1800})
    context.add_init_script(LAST_MUTATION_SCRIPT)
    try:
        page = context.new_page()
        return _open(page, url), _open(page, url)
    finally:
        context.close()


def _as_after_a_build(paths: DataPaths) -> None:
    """A new modification time: every cached query and the connection go stale, as when
    `leerdata build` publishes a new file (the data stay the same)."""
    stat = paths.reporting_db.stat()
    os.utime(paths.reporting_db, ns=(stat.st_atime_ns, time.time_ns()))


def page_urls() -> dict[str, str]:
    """Each page's path and a role that may open it (its first page lives at /)."""
    from dashboards.roles import ALL_PAGES, load_roles

    roles = load_roles().roles
    urls = {}
    for page in ALL_PAGES:
        name, role = next((n, r) for n, r in sorted(roles.items()) if page in r.pages)
        urls[page] = f"{'' if role.pages[0] == page else page}?role={name}"
    return urls


def time_pages(
    paths: DataPaths, repeats: int = 3, pages: Sequence[str] | None = None
) -> dict[str, Any]:
    """Time every page (or only `pages`), `repeats` times each, cold and warm."""
    from playwright.sync_api import sync_playwright

    from leerdata.dashboard_launcher import (
        dashboard_url,
        free_port,
        start_dashboard,
        stop_dashboard,
    )

    urls = page_urls()
    if pages is not None:
        unknown = set(pages) - set(urls)
        if unknown:
            raise ValueError(f"no such page: {', '.join(sorted(unknown))}")
        urls = {name: urls[name] for name in pages}
    if not CHROMIUM.exists():
        raise SystemExit("Debian chromium is missing: run `make system-deps`")
    runs: dict[str, dict[str, list[dict[str, float]]]] = {}
    port = free_port()
    server = start_dashboard(paths, port, demo=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                first = _visit(browser, f"{dashboard_url(port)}/{next(iter(urls.values()))}")
                for _ in range(repeats):
                    for name, path in urls.items():
                        _as_after_a_build(paths)
                        cold, warm = _visit(browser, f"{dashboard_url(port)}/{path}")
                        entry = runs.setdefault(name, {"cold": [], "warm": []})
                        entry["cold"].append(cold)
                        entry["warm"].append(warm)
            finally:
                browser.close()
    finally:
        stop_dashboard(server)
    return {
        "what": "ms from navigation start to the last rendered element, headless chromium",
        "repeats": repeats,
        "server_start_ms": first[0]["last_ms"],
        "pages": {name: _summary(entry) for name, entry in runs.items()},
    }


def _median(values: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(v[key] for v in values), 1)


def _summary(entry: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    cold, warm = entry["cold"], entry["warm"]
    return {
        "cold_ms": _median(cold, "last_ms"),
        "cold_min_ms": min(v["last_ms"] for v in cold),
        "cold_max_ms": max(v["last_ms"] for v in cold),
        "warm_ms": _median(warm, "last_ms"),
        "cold_breakdown_ms": {key: _median(cold, key) for key in ("dom_ms", "title_ms")},
        "runs": entry,
    }


def summarise_runs(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per page over benchmark runs: medians of the per-run medians."""
    per_page: dict[str, dict[str, list[float]]] = {}
    for result in results:
        for page, m in (result.get("pages") or {}).items():
            entry = per_page.setdefault(page, {"cold": [], "warm": []})
            entry["cold"].append(m["cold_ms"])
            entry["warm"].append(m["warm_ms"])
    return {
        page: {
            "cold_median_ms": round(statistics.median(v["cold"]), 1),
            "cold_min_ms": min(v["cold"]),
            "cold_max_ms": max(v["cold"]),
            "warm_median_ms": round(statistics.median(v["warm"]), 1),
        }
        for page, v in per_page.items()
    }


def report_table(summary: dict[str, dict[str, float]]) -> Any:
    from rich.table import Table

    table = Table(title="dashboard pages in chromium, until the last element (ms)")
    for column in ("page", "cold median", "cold min–max", "warm median"):
        table.add_column(column, justify="right" if column != "page" else "left")
    for page, p in summary.items():
        table.add_row(
            page,
            f"{p['cold_median_ms']:.0f}",
            f"{p['cold_min_ms']:.0f}–{p['cold_max_ms']:.0f}",
            f"{p['warm_median_ms']:.0f}",
        )
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    result = time_pages(DataPaths.of(args.data_dir), args.repeats)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text if not args.out else f"wrote {args.out}")


if __name__ == "__main__":
    main()
