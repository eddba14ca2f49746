"""Finance exports: the dispute list for a supplier and a department's statement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leerdata.commands.options import DEFAULT_DATA_DIR_VALUE, DataDirOption
from leerdata.commands.output import console
from leerdata.config import DataPaths

OutOption = Annotated[Path, typer.Option("--out", help="File to write.", dir_okay=False)]


def register(app: typer.Typer) -> None:
    @app.command()
    def disputes(
        supplier: Annotated[str, typer.Option("--supplier", help="Supplier id, e.g. SUP001.")],
        out: OutOption,
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
    ) -> None:
        """Write a supplier's disputes, with reasons in Dutch, to a .csv or .xlsx file."""
        from leerdata.finance.disputes import export_disputes

        result = export_disputes(DataPaths.of(data_dir), supplier, out)
        console.print(
            f"{result.rows} disputes for {supplier} (disputed on lines: "
            f"EUR {result.disputed_total_eur}) → {result.path}"
        )

    @app.command()
    def statement(
        department: Annotated[str, typer.Option("--department", help="Department code, e.g. VWS.")],
        quarter: Annotated[str, typer.Option("--quarter", help="Quarter, e.g. 2025-Q3.")],
        out: OutOption,
        data_dir: DataDirOption = DEFAULT_DATA_DIR_VALUE,
    ) -> None:
        """Write a department's settlement statement for a quarter (CSV, or .xlsx)."""
        from leerdata.finance.statement import export_statement

        result = export_statement(DataPaths.of(data_dir), department, quarter, out)
        console.print(
            f"{result.department_code} {result.quarter}: payable EUR {result.payable_eur}, "
            f"receivable EUR {result.receivable_eur}, net EUR {result.net_eur} "
            f"({len(result.lines)} counterparties) → {out}"
        )
