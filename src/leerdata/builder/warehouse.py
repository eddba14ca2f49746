"""`leerdata build`: dbt build into a fresh reporting file, then swap it in."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leerdata.builder.dbt_runner import (
    REPORTING_ALIAS,
    BuildHints,
    DbtError,
    DbtOutcome,
    import_dbt_in_background,
    run_dbt,
)
from leerdata.builder.periods import write_changed_years
from leerdata.builder.publish import discard, publish, start_from_published
from leerdata.builder.selection import DaySelection, choose, project_fingerprint, record_published
from leerdata.builder.watermarks import forget_published_recomputed_keys
from leerdata.config import DataPaths, load_settings
from leerdata.errors import LeerdataError
from leerdata.privacy.keys import ensure_outside, load_or_create_key


class BuildError(LeerdataError):
    pass


@dataclass
class BuildResult:
    outcome: DbtOutcome
    reporting_db: str
    # what a day's build rebuilt: None = everything (see leerdata.builder.selection)
    selection: DaySelection | None = None


def ensure_restricted_tables(paths: DataPaths) -> None:
    """Every table a dbt source names exists before dbt runs (empty if nothing wrote it
    yet), so models read them plainly instead of checking for their existence."""
    from leerdata.builder.periods import ensure_changed_years_table
    from leerdata.builder.watermarks import ensure_watermark_table
    from leerdata.ingest.schema import create_raw_tables
    from leerdata.retention.tables import ensure_retention_tables

    with duckdb.connect(str(paths.restricted_db)) as con:
        create_raw_tables(con)
        ensure_retention_tables(con)
        ensure_watermark_table(con)
        ensure_changed_years_table(con)


def refuse_exposed_tables(paths: DataPaths, build_file: Path, day_build: bool = False) -> None:
    """The disclosure audit (leerdata.sdc.published) on the fresh file: never publish a
    small cell or a suppressed cell a reader can recompute or narrow. A day build has
    the settings of the published file, which passed the audit: its unchanged years are
    not propagated again (a full build, chosen when the settings change, audits all)."""
    from leerdata.sdc.published import audit_reporting

    findings = audit_reporting(
        build_file,
        load_settings(paths.root).disclosure.min_cell_size,
        audited_before=paths.reporting_db if day_build else None,
    )
    if findings:
        discard(build_file)
        shown = "; ".join(str(f) for f in findings[:5])
        raise BuildError(
            f"disclosure audit failed ({len(findings)} findings), reporting.duckdb left "
            f"unchanged: {shown}"
        )


def build_warehouse(
    paths: DataPaths,
    select: Sequence[str] = (),
    show_progress: bool = True,
    full_refresh: bool = False,
) -> BuildResult:
    """Build and publish under the data directory's write lock (one build at a time:
    two builds share reporting.building.duckdb, and the second would delete the first's;
    and no ingest adds a batch while the incremental models read their watermarks).

    `full_refresh`: rebuild the incremental staging models from every landing batch
    instead of only the batches loaded since their last build."""
    from leerdata.steward import writing

    import_dbt_in_background()  # while the lock is taken and the build prepared
    with writing(paths, "build", show_progress):
        return _build_and_publish(paths, select, show_progress, full_refresh)


# dbt threads of a day build, unless LEERDATA_DBT_THREADS says otherwise (profiles.yml:
# 2 by default). A day build's nodes are small: most of their time is dbt's Python
# (compiling, materialisation macros, events), which holds the GIL, and DuckDB's part is
# short. More threads let one node's statement run while another thread holds the GIL.
# Medium day builds of one copied warehouse, alternating: 2 threads 7.44, 7.54, 7.98 s;
# 4 threads 7.09, 7.24, 7.08, 7.36, 6.87 s; 8 threads 7.44, 7.05 s. Full builds, whose
# large nodes run in DuckDB on every core anyway, gained nothing (medium full refresh,
# 2 threads 17.6 and 17.7 s, 4 threads 18.5 and 17.1 s) and keep the profile's 2,
# which bounds how many large tables are built at once.
DAY_BUILD_THREADS = 4


def day_build_threads() -> list[str]:
    if os.environ.get("LEERDATA_DBT_THREADS"):
        return []
    return ["--threads", str(DAY_BUILD_THREADS)]


def _build_and_publish(
    paths: DataPaths, select: Sequence[str], show_progress: bool, full_refresh: bool
) -> BuildResult:
    if not paths.restricted_db.exists():
        raise BuildError(
            f"no restricted database at {paths.restricted_db}; run `leerdata ingest` first"
        )
    ensure_outside(paths.root)
    load_or_create_key()  # create on first use, before dbt's threads race for it
    ensure_restricted_tables(paths)
    build_file = paths.reporting_build_db
    discard(build_file)
    # The console shows dbt's warnings and errors only; its file log (<data-dir>/dbt/logs)
    # keeps every info line (dbt_runner.dbt_args).
    extra: list[str] = []
    # dbt unit tests check model logic on fixed rows: the same result on every build, so
    # they run in `make test` (tests/test_dbt_unit_tests.py), not in production builds,
    # where they cost ~0.5 s each. The data tests (invariants on today's data) stay.
    extra += ["--exclude-resource-type", "unit_test"]
    day: DaySelection | None = None
    fingerprint = project_fingerprint(repr(load_settings(paths.root).disclosure))
    if not full_refresh and not select:
        day = choose(paths.restricted_db, paths.warehouse, fingerprint, paths.reporting_db)
        full_refresh = day.full_refresh
        if day.select is not None:
            # dbt writes manifest.json twice per invocation (~1 s each at medium). A day
            # build has the same project as the build before it (else the fingerprint
            # forces a full refresh), so the manifest on disk stays right; the run
            # results are written from the in-process result instead.
            extra += ["--no-write-json", "--select", *day.select, *day_build_threads()]
    if full_refresh:
        extra += ["--full-refresh"]
    if select:
        extra += ["--select", *select]
    years = day.years if day is not None and day.select is not None else None
    with duckdb.connect(str(paths.restricted_db)) as con:
        write_changed_years(con, years)
        forget_published_recomputed_keys(con)
    if day is not None and day.select is not None:
        start_from_published(paths.reporting_db, build_file)
    with Progress(
        TextColumn("[bold]dbt build"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        disable=not show_progress,
        transient=False,
    ) as progress:
        day_build = day is not None and day.select is not None
        task = progress.add_task("", total=None)  # until dbt says how many nodes it runs

        def advance(node_info: object) -> None:
            name = getattr(node_info, "node_name", "") if node_info else ""
            progress.update(task, advance=1, description=name)

        def count(nodes: int) -> None:
            progress.update(task, total=nodes)

        try:
            outcome = run_dbt(
                "build",
                paths,
                build_file,
                extra,
                on_node_done=advance,
                on_node_count=count,
                results_file=paths.dbt_target / "run_results.json" if day_build else None,
                hints=BuildHints(day_build=day_build, changed_years=years),
                # the restricted file's checkpoint runs beside the audit and the publish
                detach_first=REPORTING_ALIAS,
            )
        except Exception as exc:
            discard(build_file)
            raise BuildError(f"dbt could not run: {exc}") from exc
    try:
        if not outcome.success:
            discard(build_file)
            shown = "; ".join(outcome.failures[:5])
            more = f" (+{len(outcome.failures) - 5} more)" if len(outcome.failures) > 5 else ""
            raise BuildError(f"dbt build failed, reporting.duckdb left unchanged: {shown}{more}")
        refuse_exposed_tables(paths, build_file, day_build)
        publish(build_file, paths.reporting_db)
    finally:
        # before the restricted file is opened again or the write lock released
        outcome.closing.wait()
    if not select:
        # a build of a user's selection covers only part of the project: not a base
        # for the next day's selection
        record_published(paths.restricted_db, paths.warehouse, fingerprint)
    return BuildResult(outcome=outcome, reporting_db=str(paths.reporting_db), selection=day)


__all__ = ["BuildError", "BuildResult", "DbtError", "build_warehouse"]
