"""The data steward's privacy commands: retention, subject access, erasure."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from leerdata.commands.options import DEFAULT_DATA_DIR_VALUE, DataDirOption
from leerdata.commands.output import console
from leerdata.config import DataPaths
from leerdata.errors import LeerdataError

EmployeeIdOption = Annotated[
    str, typer.Option("--employee-id", help="Personnel number of the data subject.")
]


def _parse_date(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise LeerdataError(f"--as-of must be a date YYYY-MM-DD, not {value!r}") from exc


def register(app: typer.Typer) -> None:
    retention = typer.Typer(help="Retention: erase and unlink personal data when it is due.")
    app.add_typer(retention, name="retention")

    @retention.command("apply")
    def retention_apply(
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="Apply the retention periods as on this date (today)."),
        ] = None,
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
    ) -> None:
        """Erase people N years after exit and unlink old enrolments (config [retention])."""
        from leerdata.retention import apply_retention

        result = apply_retention(
            DataPaths.of(data_dir), _parse_date(as_of) if as_of else date.today()
        )
        console.print(
            f"retention applied: {result.persons_erased} persons erased, "
            f"{result.enrolments_unlinked} enrolments unlinked ({result.seconds:.1f} s)"
        )

    @app.command("subject-access")
    def subject_access(
        employee_id: EmployeeIdOption,
        out: Annotated[Path, typer.Option("--out", help="JSON file to write (mode 0600).")],
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
    ) -> None:
        """Export everything held about one person (GDPR art. 15) as JSON."""
        from leerdata.locking import write_lock
        from leerdata.subject_access import collect, write_export

        paths = DataPaths.of(data_dir)
        # The lock only keeps a build or an erasure from changing the files mid-export.
        with write_lock(paths, "subject-access"):
            written = write_export(collect(paths, employee_id), out)
        console.print(f"subject-access export written to {written} (mode 0600)")

    @app.command("erase")
    def erase(
        employee_id: EmployeeIdOption,
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
    ) -> None:
        """Erase one person now and unlink all their enrolments (GDPR art. 17)."""
        from leerdata.retention import erase_person

        result = erase_person(DataPaths.of(data_dir), employee_id)
        console.print(
            f"erased: {result.persons_erased} person, "
            f"{result.enrolments_unlinked} enrolments unlinked; warehouse rebuilt"
        )
        if result.landing_files:
            # File names only: they say which deliveries, not who.
            console.print(
                f"{len(result.landing_files)} delivered files in landing/ still hold this "
                "person (leerdata keeps deliveries as received; remove or replace them at "
                "the source, see README 'Erasure and the landing zone'):",
                highlight=False,
            )
            for name in result.landing_files:
                console.print(f"  {name}", highlight=False)
