"""`leerdata research …`: releases for researchers."""

from __future__ import annotations

from typing import Annotated

import typer

from leerdata.commands.options import DEFAULT_DATA_DIR_VALUE, DataDirOption
from leerdata.commands.output import console
from leerdata.config import DataPaths


def describe_l(l_achieved: dict[str, int]) -> str:
    """The achieved l-diversity in words: one figure when every sensitive attribute
    reached the same l, else each attribute's own ("l=2 on exam_result, overall_score")."""
    if not l_achieved:
        return "l not applicable (no sensitive attribute shown)"
    figures = set(l_achieved.values())
    if len(figures) == 1:
        return f"l={figures.pop()} on {', '.join(sorted(l_achieved))}"
    return "l: " + ", ".join(f"{name} {l_achieved[name]}" for name in sorted(l_achieved))


def register(app: typer.Typer) -> None:
    research = typer.Typer(help="Research releases (k-anonymous microdata + protected tables).")
    app.add_typer(research, name="research")

    @research.command("release")
    def release(
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
        k: Annotated[
            int | None,
            typer.Option("--k", help="Least distinct persons per quasi-identifier class."),
        ] = None,
        l: Annotated[  # noqa: E741 - the l of l-diversity
            int | None,
            typer.Option("--l", help="Least distinct values of each sensitive attribute."),
        ] = None,
    ) -> None:
        """Write exports/research/<release-id>/ from the built warehouse."""
        from leerdata.research.release import create_release, remove_unfinished
        from leerdata.steward import writing

        paths = DataPaths.of(data_dir)
        with writing(paths, "research release"):
            unfinished = remove_unfinished(paths)
            if unfinished:
                console.print(
                    f"removed {len(unfinished)} unfinished release folder(s) an interrupted "
                    f"run left: {', '.join(folder.name for folder in unfinished)}"
                )
            result = create_release(paths, k=k, l=l)
        m = result.manifest
        console.print(
            f"release [bold]{result.release_id}[/]: {m['rows_released']:,} rows released, "
            f"{m['rows_suppressed']:,} suppressed (k={m['k_achieved']}, "
            f"{describe_l(m['l_achieved'])}, generalisation level {m['generalisation_level']}) "
            f"→ {result.folder}"
        )
