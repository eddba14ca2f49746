"""The benchmark harness at tiny scale: each measuring part does what its figure claims.

- a step's peak RSS is that child's, and a step past its timeout is killed;
- the extra landing day loads cleanly (nothing quarantined) on top of the tiny warehouse;
- replaying dbt's compiled SQL without dbt rebuilds the same marts (same tables, rows);
- every dashboard page is rendered and timed;
- medians, sums and the PASS/MISS verdicts follow from the runs.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from leerdata_bench import harness
from leerdata_bench.extra_day import write_extra_day
from leerdata_bench.facts import dbt_log_timings, ingest_by_source, max_batch
from leerdata_bench.measure import run_measured
from leerdata_bench.replay import replay
from leerdata_bench.targets import GIB, evaluate

from leerdata.config import DataPaths
from tests.build_moment import BUILD_MOMENT_COLUMNS

MIB = 1024**2


def copy_warehouse(source: DataPaths, to: Path) -> DataPaths:
    shutil.copytree(source.root, to, symlinks=True)
    return DataPaths.of(to)


def test_peak_rss_is_the_childs_own_and_a_timeout_kills(tmp_path: Path) -> None:
    grab = "b = bytearray(300 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"
    big = run_measured([sys.executable, "-c", grab], tmp_path / "big.log")
    small = run_measured([sys.executable, "-c", "pass"], tmp_path / "small.log")
    assert big.exit_code == 0 and small.exit_code == 0
    assert big.peak_rss_bytes >= 300 * MIB
    assert small.peak_rss_bytes < 150 * MIB  # not the previous child's, not cumulative
    failed = run_measured(
        [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "f.log", check=False
    )
    assert failed.exit_code == 3
    slow = run_measured(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        tmp_path / "s.log",
        check=False,
        timeout=1,
    )
    assert slow.timed_out and slow.exit_code != 0 and slow.seconds < 10
    held = f"{grab.replace('300', '200')}; import time; time.sleep(30)"
    killed = run_measured([sys.executable, "-c", held], tmp_path / "k.log", check=False, timeout=3)
    assert killed.timed_out and killed.peak_rss_bytes >= 200 * MIB  # polled before the kill


def test_the_extra_day_loads_cleanly_after_the_last_export(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    from leerdata.ingest import run_ingest

    paths = copy_warehouse(tiny_warehouse, tmp_path / "d")
    before = max_batch(paths)
    extra = write_extra_day(paths, seed=1)
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        ((last_export,),) = con.execute("select max(_file_date) from raw_enrolments").fetchall()
        ((known,),) = con.execute(
            "select count(distinct enrolment_id) from raw_enrolments"
        ).fetchall()
    assert (extra.day - last_export).days == 1
    assert extra.rows["enrolments"] >= 5 and extra.rows["invoices"] >= 1
    assert all(extra.day.strftime("%Y%m%d") in name for name in extra.files)

    summary = run_ingest(paths, show_progress=False)
    assert summary.files_loaded == len(extra.files)
    assert summary.rows_quarantined == 0
    written = sum(v for k, v in extra.rows.items() if k != "invoices")
    assert summary.rows_read == written
    by_source = ingest_by_source(paths, before)
    assert by_source["invoices"]["files"] == extra.rows["invoices"]
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        ((now_known,),) = con.execute(
            "select count(distinct enrolment_id) from raw_enrolments"
        ).fetchall()
        # every new invoice line points at an enrolment that exists and is billable
        ((unbillable,),) = con.execute(
            "select count(*) from raw_invoice_lines l left join ("
            "  select enrolment_id, status from raw_enrolments qualify row_number() over ("
            "  partition by enrolment_id order by updated_at desc) = 1) e"
            "  on e.enrolment_id = l.order_line_ref "
            "where l._batch_id > ? and coalesce(e.status, '') not in ('completed', 'no_show')",
            [before],
        ).fetchall()
    assert now_known > known  # new requests, not only updates
    assert unbillable == 0


def test_replaying_dbts_sql_rebuilds_the_same_marts(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    result = replay(tiny_warehouse, tiny_warehouse.restricted_db, tmp_path / "replay")
    assert result["missing_run_files"] == []
    assert result["nodes_by_kind"]["model"] > 20 and result["nodes_by_kind"]["test"] > 20
    assert result["audit_findings"] == 0
    assert result["replay_seconds"] > 0

    assert (
        _differing_tables(tiny_warehouse.reporting_db, tmp_path / "replay" / "reporting.duckdb")
        == []
    )
    assert tiny_warehouse.restricted_db.exists()  # the source was copied, never touched


def _differing_tables(built: Path, replayed: Path) -> list[str]:
    """The tables whose rows differ, value by value, between the build and its replay
    (row counts alone let a replay without the cell key salt publish other noise)."""
    differing = []
    with duckdb.connect() as con:
        con.execute(f"attach '{built}' as built (read_only)")
        con.execute(f"attach '{replayed}' as replayed (read_only)")
        names = [
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'built'"
            ).fetchall()
        ]
        assert names
        for name in names:
            moment = BUILD_MOMENT_COLUMNS.get(name)
            rows = f"* exclude ({', '.join(moment)})" if moment else "*"
            one, other = f"select {rows} from built.{name}", f"select {rows} from replayed.{name}"
            ((extra,),) = con.execute(f"select count(*) from ({one} except all {other})").fetchall()
            ((lacking,),) = con.execute(
                f"select count(*) from ({other} except all {one})"
            ).fetchall()
            if extra or lacking:
                differing.append(name)
    return differing


def test_every_dashboard_page_is_rendered_and_timed(
    tiny_warehouse: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leerdata_bench.pages import time_pages

    from dashboards.roles import ALL_PAGES

    monkeypatch.setenv("LEERDATA_DATA_DIR", str(tiny_warehouse.root))
    monkeypatch.setenv("LEERDATA_DEMO", "1")  # as the benchmark's `python -m` run does
    timed = time_pages(repeats=1)["pages"]
    assert set(timed) == set(ALL_PAGES)
    for page, figures in timed.items():
        assert figures["errors"] == [], page
        assert figures["title"], page
        assert figures["cold_ms"] > 0 and figures["warm_ms"] > 0


def _run(n: int, build: float, replay_s: float, page_ms: float, rss_gib: float) -> dict:
    def step(seconds: float) -> dict:
        return {"seconds": seconds, "peak_rss_bytes": int(rss_gib * GIB), "exit_code": 0}

    return {
        "run": n,
        "steps": {
            "ingest_full": step(20.0),
            "build_full": step(build),
            "ingest_day": step(2.0),
            "build_day": step(build / 2),
        },
        "replay": {"replay_seconds": replay_s, "audit_seconds": 1.0},
        "dbt_full": {"run_phase_seconds": build - 5, "all_execution_seconds": {"model.a": n * 1.0}},
        "dbt_day": {"all_execution_seconds": {"model.b": n * 0.5, "model.c": 0.1}},
        "pages": {"pages": {"overzicht": {"cold_ms": page_ms, "warm_ms": page_ms / 4}}},
    }


def test_summary_takes_medians_and_the_targets_judge_them() -> None:
    runs = [
        _run(1, 100.0, 90.0, 300.0, 1.0),
        _run(2, 140.0, 95.0, 700.0, 5.0),
        _run(3, 120.0, 90.0, 400.0, 1.0),
    ]
    summary = harness.summarise(runs)
    assert summary["steps"]["build_full"]["median_s"] == 120.0
    assert summary["steps"]["build_full"]["min_s"] == 100.0
    assert summary["per_run_sums"]["ingest_full+build_full"]["median_s"] == 140.0
    assert summary["pages"]["overzicht"]["cold_median_ms"] == 400.0
    assert summary["dbt_split"]["overhead_share_median"] == pytest.approx(0.25)
    assert summary["dbt_slowest_nodes_full_build"][0]["median_s"] == 2.0
    assert [n["unique_id"] for n in summary["dbt_day_build_nodes"]] == ["model.b", "model.c"]
    assert summary["dbt_day_build_nodes"][0]["median_s"] == 1.0
    # per run (2 + build / 2) / (20 + build): 52/120, 72/160, 62/140 -> median 62/140
    assert summary["day_share_of_full"]["median"] == pytest.approx(62 / 140, abs=1e-3)

    verdicts = {v.name: v.label for v in evaluate(summary, medium_build_s=10.0)}
    assert verdicts["full ingest + build"] == "PASS"  # 140 s ≤ 180 s
    assert verdicts["one extra day: ingest + build"] == "MISS"  # 62 s > 30 s
    assert verdicts["dbt overhead share of the build"] == "PASS"
    assert verdicts["one extra day / full ingest + build (same run)"] == "MISS"  # 44 %
    assert verdicts["slowest dashboard page (server-side, cold cache)"] == "PASS"
    assert verdicts["peak RSS of any step"] == "MISS"  # one run peaked at 5 GiB
    assert verdicts["build time vs medium"] == "MISS"  # 12×
    assert {v.label for v in evaluate({})} == {"n/a"}


def test_a_step_stopped_at_its_timeout_counts_as_a_lower_bound() -> None:
    run = _run(1, 100.0, 90.0, 300.0, 1.0)
    del run["replay"], run["pages"], run["steps"]["ingest_day"], run["steps"]["build_day"]
    run["steps"]["build_full"] = {
        "seconds": 1200.0, "peak_rss_bytes": int(4.5 * GIB), "exit_code": -9, "timed_out": True,
    }  # fmt: skip
    summary = harness.summarise([run])
    assert "build_full" not in summary["steps"]
    assert summary["stopped"]["build_full"]["after_s"] == 1200.0
    verdicts = {v.name: v for v in evaluate(summary, medium_build_s=100.0)}
    assert verdicts["full ingest + build"].label == "MISS"
    assert verdicts["full ingest + build"].measured == "> 1220 s (stopped)"
    assert verdicts["build time vs medium"].label == "MISS"  # > 12×
    assert verdicts["peak RSS of any step"].label == "MISS"  # 4.5 GiB before the kill
    assert evaluate(summary, medium_build_s=1000.0)[-1].label == "n/a"  # > 1.2× proves nothing


def test_steps_need_what_they_build_on() -> None:
    with pytest.raises(SystemExit, match="needs ingest"):
        harness.Plan(harness.parse_args(["--scale", "tiny", "--steps", "generate", "build"]))
    plan = harness.Plan(harness.parse_args(["--scale", "rijk"]))
    assert plan.runs == 1 and plan.max_load == 2.5 and plan.steps == set(harness.STEP_CHOICES)


def test_dbt_log_timings_read_the_last_invocation_only(tmp_path: Path) -> None:
    paths = DataPaths.of(tmp_path)
    paths.dbt_logs.mkdir(parents=True)
    ok = "\x1b[32mOK\x1b[0m"
    (paths.dbt_logs / "dbt.log").write_text(
        "Running with dbt=1.11\n"
        f"1 of 2 OK created sql table model main.old ...... [{ok} in 99.00s]\n"
        "Running with dbt=1.11\n"
        f"1 of 3 OK created sql table model main.stg_a ...... [{ok} in 1.50s]\n"
        "2 of 3 START sql table model reporting.main.fct_b\n"
        f"2 of 3 OK created sql table model reporting.main.fct_b .. [{ok} in 12.25s]\n"
    )
    assert dbt_log_timings(paths) == [
        {"name": "reporting.main.fct_b", "seconds": 12.25},
        {"name": "main.stg_a", "seconds": 1.5},
    ]


def test_every_result_records_the_machine_speed_beside_the_load() -> None:
    from leerdata_bench.machine import SPEED_PROBE_ADDITIONS, machine_info, speed_probe_s

    assert SPEED_PROBE_ADDITIONS >= 1_000_000, "too short a probe measures the timer"
    probe = speed_probe_s()
    assert 0 < probe < 60
    at_start = machine_info()["speed_probe_s_at_start"]
    assert isinstance(at_start, float) and at_start > 0
