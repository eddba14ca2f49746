"""`benchmarks/run.py`: measure every pipeline step at one scale, several runs.

Per run, in a fresh data directory (its own pseudonym key under the work dir):

  generate → ingest (full) → build (full) → replay (dbt's SQL without dbt) → research
  release → dashboard pages → write one extra landing day → ingest (day) → build (day)

Each step is a subprocess measured for wall time and peak RSS. Before each run the
harness waits (60 s steps) until the 1-minute load average is under --max-load, so
figures are not other people's work; the load is recorded either way. Results go to
benchmarks/results/<scale>-<timestamp>.json after every run, with medians and min–max
over the runs, and the targets are judged and printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from leerdata.config import DataPaths
from leerdata_bench.checkout import REPO_ROOT, with_bench_path
from leerdata_bench.facts import dbt_log_timings, dbt_run_facts
from leerdata_bench.machine import load_average, machine_info, speed_probe_s
from leerdata_bench.measure import Measurement, StepFailed, run_measured
from leerdata_bench.targets import GIB, evaluate

STEP_CHOICES = ("generate", "ingest", "build", "replay", "research", "dashboards", "day")
NEEDS = {
    "ingest": ("generate",),
    "build": ("ingest",),
    "replay": ("build",),
    "research": ("build",),
    "dashboards": ("build",),
    "day": ("build",),
}
MEASURED_STEPS = (
    "generate",
    "ingest_full",
    "build_full",
    "replay",
    "research_release",
    "dashboards",
    "write_day",
    "ingest_day",
    "build_day",
)
SUMS = (("ingest_full", "build_full"), ("ingest_day", "build_day"))
QUIET_SCALES = {"medium", "rijk"}
DEFAULT_RUNS = {"tiny": 3, "small": 3, "medium": 3, "rijk": 1}
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"

console = Console()


class Plan:
    """Parsed arguments plus derived paths and commands."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.scale: str = args.scale
        self.seed: int = args.seed
        self.runs: int = args.runs or DEFAULT_RUNS[args.scale]
        self.steps: set[str] = set(args.steps or STEP_CHOICES)
        self.landing_from: Path | None = args.landing_from
        if self.landing_from is not None:
            self.steps.discard("generate")
        for step in self.steps:
            for need in NEEDS.get(step, ()):
                if need not in self.steps and not (need == "generate" and self.landing_from):
                    raise SystemExit(
                        f"--steps {step} needs {need} (or --landing-from for generate)"
                    )
        self.work: Path = (args.work_dir or Path(f"/tmp/leerdata-bench-{self.scale}")).resolve()
        self.results_dir: Path = args.results_dir.resolve()
        self.keep: bool = args.keep
        self.max_load: float | None = (
            args.max_load
            if args.max_load is not None
            else (2.5 if self.scale in QUIET_SCALES else None)
        )
        self.max_wait_s: float = args.max_wait_minutes * 60
        self.step_timeout: float | None = args.step_timeout
        self.page_repeats: int = args.page_repeats
        self.medium_result: Path | None = args.compare_medium
        self.python = sys.executable
        cli = Path(sys.executable).with_name("leerdata")
        self.leerdata = [str(cli)] if cli.exists() else [self.python, "-m", "leerdata.cli"]

    def env(self, data_dir: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "LEERDATA_KEY_FILE": str(self.work / "key" / "pseudonym.key"),
                "LEERDATA_DATA_DIR": str(data_dir),
                "PYTHONUNBUFFERED": "1",
                "COLUMNS": "120",
            }
        )
        env.pop("LEERDATA_CONFIG", None)  # the repository's defaults, nobody's local override
        return with_bench_path(env)  # children run `python -m leerdata_bench.x`


def wait_until_quiet(max_load: float | None, max_wait_s: float) -> dict[str, Any]:
    began = time.monotonic()
    if max_load is None:
        return {"max_load": None, "waited_s": 0, "timed_out": False}
    while os.getloadavg()[0] >= max_load:
        waited = time.monotonic() - began
        if waited >= max_wait_s:
            console.print(
                f"[yellow]load still {os.getloadavg()[0]:.2f} after {waited:.0f} s: measuring"
            )
            return {"max_load": max_load, "waited_s": round(waited), "timed_out": True}
        console.print(f"load {os.getloadavg()[0]:.2f} ≥ {max_load}: waiting 60 s")
        time.sleep(60)
    return {"max_load": max_load, "waited_s": round(time.monotonic() - began), "timed_out": False}


def research_command(plan: Plan, data_dir: Path) -> tuple[list[str], str]:
    """`leerdata research release` when the CLI has it, else the same function directly."""
    probe = subprocess.run(
        [*plan.leerdata, "research", "release", "--help"],
        capture_output=True,
        env=plan.env(data_dir),
    )
    if probe.returncode == 0:
        return [*plan.leerdata, "research", "release", "--data-dir", str(data_dir)], "cli"
    code = (
        "import sys; from leerdata.config import DataPaths; "
        "from leerdata.research.release import create_release; "
        "create_release(DataPaths.of(sys.argv[1]))"
    )
    return [plan.python, "-c", code, str(data_dir)], "create_release (no CLI command yet)"


def _json_from(command: list[str], env: dict[str, str]) -> Any:
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


class Run:
    """One run: a fresh data dir, every selected step, the facts after each."""

    def __init__(self, plan: Plan, number: int) -> None:
        self.plan = plan
        self.number = number
        self.data_dir = plan.work / f"run{number}"
        self.paths = DataPaths.of(self.data_dir)
        self.logs = plan.work / "logs" / f"run{number}"
        self.record: dict[str, Any] = {"run": number, "steps": {}}

    def step(self, name: str, command: list[str], **extra: Any) -> Measurement:
        console.print(f"  [bold]{name}[/] …", end="")
        # What earlier steps wrote reaches the disk before this one is timed, so their
        # writeback is not billed to it: a rijk ingest started a minute after `generate`
        # had written 2.9 GB measured 111 s, later ones 72-90 s (stop 31).
        synced = time.perf_counter()
        os.sync()
        extra = {**extra, "sync_before_s": round(time.perf_counter() - synced, 3)}
        measured = run_measured(
            command,
            self.logs / f"{name}.log",
            env=self.plan.env(self.data_dir),
            cwd=REPO_ROOT,
            check=False,
            timeout=self.plan.step_timeout,
        )
        self.record["steps"][name] = {**measured.as_dict(), **extra}
        rss = measured.peak_rss_bytes / GIB
        console.print(f" {measured.seconds:.1f} s, peak RSS {rss:.2f} GiB")
        if measured.timed_out:
            raise StepFailed(
                f"{name} stopped after the {self.plan.step_timeout:.0f} s step timeout"
            )
        if measured.exit_code != 0:
            tail = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-15:]
            raise StepFailed(f"{name} exited {measured.exit_code}:\n" + "\n".join(tail))
        return measured

    def execute(self) -> dict[str, Any]:
        plan, d = self.plan, str(self.data_dir)
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        (plan.work / "key").mkdir(exist_ok=True)
        py = plan.python
        try:
            self._run_steps(plan, d, py)
        except StepFailed as exc:
            self.record["failed"] = str(exc)
            console.print(f"[red]{exc}")
            self.record["dbt_log_slowest"] = dbt_log_timings(self.paths)
        finally:
            if not plan.keep:
                shutil.rmtree(self.data_dir, ignore_errors=True)
        return self.record

    def _run_steps(self, plan: Plan, d: str, py: str) -> None:
        env = plan.env(self.data_dir)
        if "generate" in plan.steps:
            self.step(
                "generate",
                [
                    *plan.leerdata,
                    "generate",
                    "--scale",
                    plan.scale,
                    "--seed",
                    str(plan.seed),
                    "--data-dir",
                    d,
                ],
            )
        elif plan.landing_from is not None:
            # Hard links: the same files without copying gigabytes; nothing rewrites them.
            shutil.copytree(
                plan.landing_from / "landing", self.paths.landing, copy_function=os.link
            )
        self.record["landing_bytes"] = sum(
            f.stat().st_size for f in self.paths.landing.rglob("*") if f.is_file()
        )
        self.record["landing_files"] = sum(1 for f in self.paths.landing.rglob("*") if f.is_file())
        if "ingest" not in plan.steps:
            return
        self.step("ingest_full", [*plan.leerdata, "ingest", "--data-dir", d])
        self.record["ingest_full_by_source"] = _json_from(
            [py, "-m", "leerdata_bench.facts", "ingest", d], env
        )
        snapshot = self.data_dir / "bench" / "prebuild" / "restricted.duckdb"
        if "replay" in plan.steps:
            snapshot.parent.mkdir(parents=True)
            shutil.copyfile(self.paths.restricted_db, snapshot)  # the state dbt starts from
        if "build" not in plan.steps:
            return
        self.step("build_full", [*plan.leerdata, "build", "--data-dir", d])
        self.record["dbt_full"] = dbt_run_facts(self.paths)
        if "replay" in plan.steps:
            out = self.data_dir / "bench" / "replay.json"
            self.step(
                "replay",
                [py, "-m", "leerdata_bench.replay", "--data-dir", d, "--snapshot", str(snapshot),
                 "--work", str(self.data_dir / "bench" / "replay"), "--out", str(out)],
            )  # fmt: skip
            self.record["replay"] = json.loads(out.read_text())
            snapshot.unlink()
        if "research" in plan.steps:
            command, how = research_command(plan, self.data_dir)
            self.step("research_release", command, how=how)
        if "dashboards" in plan.steps:
            out = self.data_dir / "bench" / "pages.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            self.step(
                "dashboards",
                [
                    py,
                    "-m",
                    "leerdata_bench.pages",
                    "--out",
                    str(out),
                    "--repeats",
                    str(plan.page_repeats),
                ],
            )
            self.record["pages"] = json.loads(out.read_text())
            # What a user waits for: the same pages in headless chromium.
            browser_out = self.data_dir / "bench" / "browser_pages.json"
            self.step(
                "browser_pages",
                [py, "-m", "leerdata_bench.browser_pages", "--data-dir", d,
                 "--out", str(browser_out), "--repeats", str(plan.page_repeats)],
            )  # fmt: skip
            self.record["browser_pages"] = json.loads(browser_out.read_text())
        if "day" in plan.steps:
            out = self.data_dir / "bench" / "extra_day.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            batch = _json_from([py, "-m", "leerdata_bench.facts", "max-batch", d], env)
            self.step(
                "write_day",
                [
                    py,
                    "-m",
                    "leerdata_bench.extra_day",
                    "--data-dir",
                    d,
                    "--seed",
                    str(plan.seed),
                    "--out",
                    str(out),
                ],
            )
            self.record["extra_day"] = json.loads(out.read_text())
            self.step("ingest_day", [*plan.leerdata, "ingest", "--data-dir", d])
            self.record["ingest_day_by_source"] = _json_from(
                [py, "-m", "leerdata_bench.facts", "ingest", d, str(batch)], env
            )
            self.step("build_day", [*plan.leerdata, "build", "--data-dir", d])
            self.record["dbt_day"] = dbt_run_facts(self.paths)


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(values), 3),
        "min_s": round(min(values), 3),
        "max_s": round(max(values), 3),
        "n": len(values),
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians and min–max over the runs that measured each thing."""
    summary: dict[str, Any] = {"steps": {}, "per_run_sums": {}, "pages": {}, "dbt_split": {}}
    for step in MEASURED_STEPS:
        done = [
            r["steps"][step]
            for r in runs
            if step in r["steps"] and r["steps"][step]["exit_code"] == 0
        ]
        if done:
            summary["steps"][step] = {
                **_spread([s["seconds"] for s in done]),
                "peak_rss_median_bytes": int(statistics.median(s["peak_rss_bytes"] for s in done)),
                "peak_rss_max_bytes": max(s["peak_rss_bytes"] for s in done),
            }
    stopped = [
        (step, r["steps"][step])
        for r in runs
        for step in r["steps"]
        if r["steps"][step].get("timed_out")
    ]
    if stopped:  # lower bounds: the step had not finished when it was killed
        summary["stopped"] = {
            step: {"after_s": m["seconds"], "peak_rss_bytes": m["peak_rss_bytes"]}
            for step, m in stopped
        }
    for parts in SUMS:
        totals = [
            sum(r["steps"][p]["seconds"] for p in parts)
            for r in runs
            if all(p in r["steps"] and r["steps"][p]["exit_code"] == 0 for p in parts)
        ]
        if totals:
            summary["per_run_sums"]["+".join(parts)] = _spread(totals)

    # The day's cost as a share of the full ingest + build, within each run (both are
    # measured on the same machine minutes apart, so the ratio is less noisy than either).
    shares = [
        sum(r["steps"][p]["seconds"] for p in SUMS[1])
        / sum(r["steps"][p]["seconds"] for p in SUMS[0])
        for r in runs
        if all(p in r["steps"] and r["steps"][p]["exit_code"] == 0 for p in SUMS[0] + SUMS[1])
    ]
    if shares:
        summary["day_share_of_full"] = {
            "median": round(statistics.median(shares), 3),
            "min": round(min(shares), 3),
            "max": round(max(shares), 3),
            "n": len(shares),
        }

    split = []
    for r in runs:
        if "replay" in r and "build_full" in r["steps"]:
            build = r["steps"]["build_full"]["seconds"]
            replay = r["replay"]
            dbt = r.get("dbt_full") or {}
            split.append(
                {
                    "build_s": build,
                    "replay_sql_s": replay["replay_seconds"],
                    "audit_s": replay["audit_seconds"],
                    "dbt_run_phase_s": dbt.get("run_phase_seconds"),
                    # Python + dbt start-up, parsing, manifest; plus the (small) publish.
                    "startup_parse_s": round(
                        build - (dbt.get("run_phase_seconds") or 0) - replay["audit_seconds"], 3
                    ),
                    "overhead_share": 1 - replay["replay_seconds"] / build,
                }
            )
    if split:
        shares = [s["overhead_share"] for s in split]
        summary["dbt_split"] = {
            "overhead_share_median": round(statistics.median(shares), 3),
            "overhead_share_min": round(min(shares), 3),
            "overhead_share_max": round(max(shares), 3),
            "per_run": split,
            "meaning": "overhead = 1 - (DuckDB time of dbt's compiled SQL replayed in one "
            "connection) / (wall time of `leerdata build`)",
        }

    pages: dict[str, dict[str, list[float]]] = {}
    for r in runs:
        for page, m in (r.get("pages") or {}).get("pages", {}).items():
            if "cold_ms" in m:
                pages.setdefault(page, {"cold": [], "warm": []})
                pages[page]["cold"].append(m["cold_ms"])
                pages[page]["warm"].append(m["warm_ms"])
    for page, values in pages.items():
        summary["pages"][page] = {
            "cold_median_ms": round(statistics.median(values["cold"]), 1),
            "cold_min_ms": min(values["cold"]),
            "cold_max_ms": max(values["cold"]),
            "warm_median_ms": round(statistics.median(values["warm"]), 1),
        }

    from leerdata_bench.browser_pages import summarise_runs

    summary["browser_pages"] = summarise_runs([r.get("browser_pages") or {} for r in runs])

    per_node: dict[str, list[float]] = {}
    for r in runs:
        for uid, seconds in ((r.get("dbt_full") or {}).get("all_execution_seconds") or {}).items():
            per_node.setdefault(uid, []).append(seconds)
    slowest = sorted(per_node.items(), key=lambda kv: statistics.median(kv[1]), reverse=True)[:10]
    summary["dbt_slowest_nodes_full_build"] = [
        {"unique_id": uid, **_spread(values)} for uid, values in slowest
    ]
    day_nodes: dict[str, list[float]] = {}
    for r in runs:
        for uid, seconds in ((r.get("dbt_day") or {}).get("all_execution_seconds") or {}).items():
            day_nodes.setdefault(uid, []).append(seconds)
    summary["dbt_day_build_nodes"] = [
        {"unique_id": uid, **_spread(values)}
        for uid, values in sorted(
            day_nodes.items(), key=lambda kv: statistics.median(kv[1]), reverse=True
        )
    ]
    return summary


def medium_build_seconds(plan: Plan) -> tuple[float | None, str | None]:
    candidates = (
        [plan.medium_result]
        if plan.medium_result
        else sorted(plan.results_dir.glob("medium-*.json"), reverse=True)
    )
    for path in candidates:
        try:
            step = json.loads(path.read_text())["summary"]["steps"]["build_full"]
        except (OSError, KeyError, json.JSONDecodeError):
            continue
        return step["median_s"], str(
            path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        )
    return None, None


def print_report(result: dict[str, Any]) -> None:
    summary = result["summary"]
    steps = Table(title=f"{result['scale']} × {len(result['runs'])} run(s) — seconds and peak RSS")
    for column in ("step", "median s", "min–max s", "peak RSS (max)"):
        steps.add_column(column, justify="right" if column != "step" else "left")
    for name, s in summary["steps"].items():
        steps.add_row(
            name, f"{s['median_s']:.1f}", f"{s['min_s']:.1f}–{s['max_s']:.1f}",
            f"{s['peak_rss_max_bytes'] / GIB:.2f} GiB",
        )  # fmt: skip
    console.print(steps)
    if summary["pages"]:
        pages = Table(title="dashboard pages, server-side render (ms)")
        for column in ("page", "cold median", "cold min–max", "warm median"):
            pages.add_column(column, justify="right" if column != "page" else "left")
        for page, p in summary["pages"].items():
            pages.add_row(
                page,
                f"{p['cold_median_ms']:.0f}",
                f"{p['cold_min_ms']:.0f}–{p['cold_max_ms']:.0f}",
                f"{p['warm_median_ms']:.0f}",
            )
        console.print(pages)
    if summary.get("browser_pages"):
        from leerdata_bench.browser_pages import report_table

        console.print(report_table(summary["browser_pages"]))
    if summary["dbt_slowest_nodes_full_build"]:
        slow = Table(title="dbt: ten slowest nodes of the full build (execution s, median)")
        slow.add_column("node")
        slow.add_column("median s", justify="right")
        for node in summary["dbt_slowest_nodes_full_build"]:
            slow.add_row(node["unique_id"], f"{node['median_s']:.2f}")
        console.print(slow)
    targets = Table(title=f"targets (set for rijk; this is {result['scale']})")
    for column in ("target", "goal", "measured", "verdict"):
        targets.add_column(column)
    for v in result["targets"]:
        colour = {"PASS": "green", "MISS": "red"}.get(v["verdict"], "dim")
        targets.add_row(v["name"], v["target"], v["measured"], f"[{colour}]{v['verdict']}")
    console.print(targets)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the leerdata pipeline at one scale.")
    parser.add_argument("--scale", choices=tuple(DEFAULT_RUNS), default="medium")
    parser.add_argument("--runs", type=int, help="default 3 (1 for rijk)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--steps", nargs="+", choices=STEP_CHOICES, help="default: all")
    parser.add_argument("--landing-from", type=Path, help="reuse DIR/landing instead of generating")
    parser.add_argument("--work-dir", type=Path, help="default /tmp/leerdata-bench-<scale>")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    parser.add_argument("--max-load", type=float, help="wait until the 1-min load is below")
    parser.add_argument("--max-wait-minutes", type=float, default=25)
    parser.add_argument("--step-timeout", type=float, help="kill a step after this many seconds")
    parser.add_argument("--page-repeats", type=int, default=3)
    parser.add_argument("--compare-medium", type=Path, help="medium result JSON for the 6× target")
    parser.add_argument("--rejudge", type=Path, help="recompute summary and targets of a result")
    return parser.parse_args(argv)


def rejudge(path: Path, plan: Plan) -> Path:
    """Summary and verdicts of a stored result again (after the harness or targets changed)."""
    result = json.loads(path.read_text())
    medium_s, medium_from = (
        medium_build_seconds(plan) if result["scale"] == "rijk" else (None, None)
    )
    result["summary"] = summarise(result["runs"])
    result["medium_build_reference"] = {"median_s": medium_s, "from": medium_from}
    result["targets"] = [v.as_dict() for v in evaluate(result["summary"], medium_s)]
    path.write_text(json.dumps(result, indent=2) + "\n")
    print_report(result)
    return path


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    plan = Plan(args)
    if args.rejudge:
        return rejudge(args.rejudge, plan)
    plan.work.mkdir(parents=True, exist_ok=True)
    plan.results_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    out = plan.results_dir / f"{plan.scale}-{started:%Y%m%dT%H%M%SZ}.json"
    result: dict[str, Any] = {
        "scale": plan.scale,
        "seed": plan.seed,
        "runs_requested": plan.runs,
        "steps_selected": sorted(plan.steps),
        "started_at": started.isoformat(),
        "machine": machine_info(),
        "commands": {
            "generate": f"leerdata generate --scale {plan.scale} --seed {plan.seed} --data-dir D",
            "ingest_full": "leerdata ingest --data-dir D",
            "build_full": "leerdata build --data-dir D",
            "replay": "python -m leerdata_bench.replay (target/run SQL, one DuckDB connection)",
            "research_release": "leerdata research release --data-dir D",
            "dashboards": "python -m leerdata_bench.pages (AppTest, every page)",
            "write_day": "python -m leerdata_bench.extra_day (one extra landing day)",
            "ingest_day": "leerdata ingest --data-dir D (after the extra day)",
            "build_day": "leerdata build --data-dir D (after the extra day)",
        },
        "runs": [],
    }
    medium_s, medium_from = medium_build_seconds(plan) if plan.scale == "rijk" else (None, None)
    for number in range(1, plan.runs + 1):
        console.rule(f"{plan.scale}: run {number} of {plan.runs}")
        quiet = wait_until_quiet(plan.max_load, plan.max_wait_s)
        run = Run(plan, number)
        run.record["load_average_at_start"] = load_average()
        run.record["load_wait"] = quiet
        run.record["speed_probe_s"] = {"start": speed_probe_s()}
        result["runs"].append(run.execute())
        run.record["speed_probe_s"]["end"] = speed_probe_s()
        result["summary"] = summarise(result["runs"])
        result["medium_build_reference"] = {"median_s": medium_s, "from": medium_from}
        result["targets"] = [v.as_dict() for v in evaluate(result["summary"], medium_s)]
        result["finished_at"] = datetime.now(UTC).isoformat()
        out.write_text(json.dumps(result, indent=2) + "\n")  # after every run: partial is kept
    shutil.rmtree(plan.work / "key", ignore_errors=True)  # the logs stay for reading
    print_report(result)
    console.print(f"results: {out}")
    return out
