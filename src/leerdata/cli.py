"""The `leerdata` command line.

Each area registers its commands from its own module under leerdata.commands, so the
CLI stays a thin shell. Every failure ends as one line on stderr and a non-zero exit;
set LEERDATA_DEBUG=1 for the traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console

from leerdata.collector import use_command_thresholds
from leerdata.errors import LeerdataError
from leerdata.process_exit import end_without_teardown

# Modules under leerdata.commands, each with `register(app: typer.Typer) -> None`.
COMMAND_MODULES: tuple[str, ...] = (
    "pipeline",
    "privacy",
    "finance",
    "research",
)

app = typer.Typer(
    name="leerdata",
    help="Training-data warehouse of a shared government learning service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _module in COMMAND_MODULES:
    importlib.import_module(f"leerdata.commands.{_module}").register(app)

_stderr = Console(stderr=True)


def main() -> None:
    """The console script: run the command and exit with its status, without the
    interpreter's teardown (leerdata.process_exit)."""
    use_command_thresholds()
    try:
        status = _run()
    except SystemExit as exc:
        code = exc.code
        end_without_teardown(code if isinstance(code, int) else (0 if code is None else 1))
        raise
    end_without_teardown(status)
    sys.exit(status)


def _run() -> int:
    """The command's exit status; a failure is reported here, as one line."""
    try:
        app(standalone_mode=False)
    except SystemExit:
        raise
    except LeerdataError as exc:
        _stderr.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 1
    except Exception as exc:  # the CLI's promise: one line, not a traceback
        if os.environ.get("LEERDATA_DEBUG"):
            raise
        _click_exit = getattr(exc, "exit_code", None)
        if _click_exit is not None and hasattr(exc, "show"):
            exc.show()
            return int(_click_exit)
        _stderr.print(
            f"[bold red]error:[/] {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True
        )
        return 2
    return 0


if __name__ == "__main__":
    main()
