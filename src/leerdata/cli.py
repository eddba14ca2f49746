"""The `leerdata` command line.

Each area registers its commands from its own module under leerdata.commands, so the
CLI stays a thin shell. Every failure ends as one line on stderr and a non-zero exit;
set LEERDATA_DEBUG=1 for the traceback.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import sys

import typer
from rich.console import Console

from leerdata.collector import use_command_thresholds
from leerdata.errors import LeerdataError

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
# what the process exits with when _exit_without_teardown ends it; a failure unless main
# records otherwise
_exit_code = 1


def _exit_without_teardown() -> None:
    """End the process after the other exit handlers, skipping the interpreter's teardown.

    That teardown ends with a garbage collection that frees every object dbt and the
    imports left, one by one: 0.7 s of a 9 s medium day build, after the build
    published. Registered first, so it runs last: logging and every other atexit
    handler have run; the standard streams are flushed here. (Instagram's web workers
    skip the same collection the same way.)
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_code)


def main() -> None:
    """The console script: run the command, exit with its status without teardown."""
    global _exit_code
    use_command_thresholds()
    atexit.register(_exit_without_teardown)
    try:
        _run()
        _exit_code = 0
    except SystemExit as exc:
        code = exc.code
        _exit_code = code if isinstance(code, int) else (0 if code is None else 1)
        raise


def _run() -> None:
    try:
        app(standalone_mode=False)
    except SystemExit as exc:
        raise exc
    except LeerdataError as exc:
        _stderr.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except Exception as exc:  # the CLI's promise: one line, not a traceback
        if os.environ.get("LEERDATA_DEBUG"):
            raise
        _click_exit = getattr(exc, "exit_code", None)
        if _click_exit is not None and hasattr(exc, "show"):
            exc.show()
            sys.exit(_click_exit)
        _stderr.print(
            f"[bold red]error:[/] {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
