"""Options shared by many commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leerdata.config import DEFAULT_DATA_DIR

DataDirOption = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        help="Data directory (landing/, warehouse/, exports/ live below it).",
        file_okay=False,
    ),
]
DEFAULT_DATA_DIR_VALUE = DEFAULT_DATA_DIR
