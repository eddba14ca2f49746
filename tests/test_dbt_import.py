"""`leerdata build` imports dbt on a thread while it prepares the build
(leerdata.builder.dbt_runner.import_dbt_in_background). Each check runs in a fresh
interpreter: this one imported dbt long ago."""

from __future__ import annotations

import subprocess
import sys


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def test_the_build_module_leaves_dbt_to_the_background_import() -> None:
    """Importing the build does not import dbt (else there is nothing left to overlap);
    the thread imports every module a build needs before its first node."""
    run = _run(
        "import sys\n"
        "import leerdata.builder.warehouse\n"
        "from leerdata.builder.dbt_runner import DBT_MODULES, import_dbt_in_background\n"
        "print(sorted(m for m in sys.modules if m == 'dbt' or m.startswith('dbt.')))\n"
        "import_dbt_in_background().join()\n"
        "print([m for m in DBT_MODULES if m not in sys.modules])\n"
    )
    assert run.returncode == 0, run.stderr
    before, missing = run.stdout.splitlines()
    assert before == "[]", before
    assert missing == "[]", missing


def test_an_import_that_fails_on_the_thread_is_raised_where_dbt_is_used() -> None:
    """The thread swallows the error; the import in run_dbt's path raises it."""
    run = _run(
        "import sys\n"
        "sys.modules['dbt.adapters.duckdb'] = None  # any import of it now fails\n"
        "from leerdata.builder.dbt_runner import import_dbt_in_background\n"
        "import_dbt_in_background().join()\n"
        "print('thread done')\n"
        "import dbt.adapters.duckdb\n"
    )
    assert "thread done" in run.stdout
    assert "Exception in thread" not in run.stderr, run.stderr
    assert run.returncode != 0
    assert "ModuleNotFoundError" in run.stderr or "ImportError" in run.stderr, run.stderr
