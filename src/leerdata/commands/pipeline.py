"""generate → ingest → build → demo: the main job."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from leerdata.commands.options import DEFAULT_DATA_DIR_VALUE, DataDirOption
from leerdata.commands.output import console
from leerdata.config import DataPaths

if TYPE_CHECKING:
    from leerdata.ingest.runner import IngestSummary


class Scale(StrEnum):
    tiny = "tiny"
    small = "small"
    medium = "medium"
    rijk = "rijk"


ScaleOption = Annotated[Scale, typer.Option("--scale", help="Size of the synthetic data.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed; same seed, same files.")]


def do_generate(scale: Scale, seed: int, paths: DataPaths) -> None:
    from leerdata.generate import run_generate

    summary = run_generate(scale.value, seed, paths, show_progress=True)
    console.print(
        f"generated [bold]{scale.value}[/] (seed {seed}): {summary.files} files, "
        f"{summary.bytes / 1e6:,.1f} MB in {paths.landing} ({summary.seconds:.1f} s)"
    )


def do_ingest(paths: DataPaths) -> None:
    from leerdata.ingest import run_ingest

    summary = run_ingest(paths, show_progress=True)
    console.print(ingest_message(summary, paths))


def ingest_message(summary: IngestSummary, paths: DataPaths) -> str:
    # A skipped file has the same bytes as one loaded before, in this run or an earlier
    # one (a monthly catalogue export that did not change): "already loaded" read as a
    # second run on a brand-new data dir.
    skipped = (
        f" ({summary.files_skipped} skipped: same content as a file loaded before)"
        if summary.files_skipped
        else ""
    )
    return (
        f"ingested {summary.files_loaded} new files{skipped}: "
        f"{summary.rows_read:,} rows read = {summary.rows_loaded:,} loaded + "
        f"{summary.rows_quarantined:,} quarantined → {paths.restricted_db}"
    )


def announce_new_key() -> None:
    """Before a build creates the pseudonymisation key: say where, and that it matters."""
    from leerdata.privacy.keys import key_file_path

    path = key_file_path()
    if not path.exists():
        console.print(
            f"creating the pseudonymisation key at {path} (mode 0600). Back it up "
            "separately: with another key, new builds' pseudonyms no longer match earlier ones.",
            highlight=False,
        )


def do_build(paths: DataPaths, full_refresh: bool = False) -> None:
    from leerdata.builder.warehouse import build_warehouse

    announce_new_key()
    result = build_warehouse(paths, full_refresh=full_refresh)
    if result.selection is not None:
        console.print(result.selection.describe(), highlight=False)
    elif full_refresh:
        console.print("full refresh: asked for", highlight=False)
    console.print(f"built and published {result.reporting_db}")


def register(app: typer.Typer) -> None:
    @app.command()
    def generate(
        scale: ScaleOption = Scale.small,
        seed: SeedOption = 42,
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
    ) -> None:
        """Write synthetic landing data in the docs/contract.md formats (and truth/ for tests)."""
        do_generate(scale, seed, DataPaths.of(data_dir))

    @app.command()
    def ingest(data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE) -> None:
        """Load new landing files into warehouse/restricted.duckdb (bad rows → quarantine)."""
        do_ingest(DataPaths.of(data_dir))

    @app.command()
    def build(
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
        full_refresh: Annotated[
            bool,
            typer.Option(
                "--full-refresh",
                help="Recompute the incremental staging models from every landing batch "
                "(a normal build reads only the batches loaded since the last build).",
            ),
        ] = False,
    ) -> None:
        """Run the dbt build and publish warehouse/reporting.duckdb atomically."""
        do_build(DataPaths.of(data_dir), full_refresh=full_refresh)

    @app.command()
    def demo(
        scale: ScaleOption = Scale.small,
        seed: SeedOption = 42,
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
        no_dashboard: Annotated[
            bool, typer.Option("--no-dashboard", help="Stop after the build.")
        ] = False,
        port: Annotated[int, typer.Option("--port", help="Dashboard port.")] = 8501,
    ) -> None:
        """generate → ingest → build → start the dashboard in demo mode (this run only)."""
        paths = DataPaths.of(data_dir)
        from leerdata.generate.staging import holds_files

        # landing files appear only once a generate has written all of them (a killed
        # one leaves none), so files here are a whole data set: a user's or a finished run
        if holds_files(paths.landing):
            console.print(f"landing data already in {paths.landing}; not generating again")
        else:
            do_generate(scale, seed, paths)
        do_ingest(paths)
        do_build(paths)
        if no_dashboard:
            console.print(f"warehouse ready: {paths.reporting_db}")
            return
        from leerdata.dashboard_launcher import serve_dashboard

        serve_dashboard(paths, port=port, demo=True)
