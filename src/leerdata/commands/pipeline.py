"""generate → ingest → build → demo: the main job."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from leerdata.commands.options import DEFAULT_DATA_DIR_VALUE, DataDirOption
from leerdata.config import DataPaths

console = Console()


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
    console.print(
        f"ingested {summary.files_loaded} new files ({summary.files_skipped} already loaded): "
        f"{summary.rows_read:,} rows read = {summary.rows_loaded:,} loaded + "
        f"{summary.rows_quarantined:,} quarantined → {paths.restricted_db}"
    )


def do_build(paths: DataPaths) -> None:
    from leerdata.build.warehouse import build_warehouse

    result = build_warehouse(paths)
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
    def build(data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE) -> None:
        """Run the dbt build and publish warehouse/reporting.duckdb atomically."""
        do_build(DataPaths.of(data_dir))

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
        if paths.landing.exists() and any(paths.landing.iterdir()):
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
