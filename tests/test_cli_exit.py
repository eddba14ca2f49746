"""The console script leaves without the interpreter's teardown (leerdata.cli.main):
what it printed, its exit status and the exit handlers of the command must survive
that."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# A command added for the test, run through leerdata.cli.main as the console script
# runs it; its output goes to a pipe, so stdout is block-buffered and only a flush
# gets it out before os._exit.
PROBE = """
import atexit, sys
import leerdata
# as a library imported after leerdata does (dbt imports multiprocessing, whose handler
# finalizes the semaphores dbt made)
atexit.register(lambda: print("handler registered at import ran"))
from leerdata.cli import app, main

@app.command("probe")
def probe(code: int = 0) -> None:
    atexit.register(lambda: print("handler of the command ran"))
    print("line " * 2000)
    if code:
        sys.exit(code)

sys.argv = ["leerdata", *sys.argv[1:]]
main()
"""


def _leerdata(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_buffered_output_and_a_commands_exit_handler_survive_the_exit(tmp_path: Path) -> None:
    done = _leerdata("probe", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("line ") == 2000
    assert done.stdout.rstrip().endswith("handler registered at import ran")
    assert "handler of the command ran" in done.stdout


def test_the_exit_status_of_a_command_is_kept(tmp_path: Path) -> None:
    done = _leerdata("probe", "--code", "3", cwd=tmp_path)
    assert done.returncode == 3
    assert "handler of the command ran" in done.stdout


def test_a_failure_exits_1_with_its_one_line_and_a_usage_error_2(tmp_path: Path) -> None:
    failed = _leerdata("build", "--data-dir", str(tmp_path / "nothing"), cwd=tmp_path)
    assert failed.returncode == 1
    assert "error: no restricted database" in failed.stderr
    assert "Traceback" not in failed.stderr
    unknown = _leerdata("no-such-command", cwd=tmp_path)
    assert unknown.returncode == 2


def test_importing_leerdata_without_the_console_script_keeps_the_usual_exit(
    tmp_path: Path,
) -> None:
    """A test or the dashboard imports leerdata; only the console script exits early."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import atexit, sys, leerdata.cli\n"
            "atexit.register(lambda: print('teardown reached'))\nsys.exit(5)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 5
    assert "teardown reached" in done.stdout
