"""Invoke dbt in-process (dbtRunner), one invocation at a time, with a progress bar."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leerdata.collector import fewer_collections
from leerdata.config import REPO_ROOT, DataPaths, duckdb_memory_limit, load_settings
from leerdata.privacy.keys import KEY_FILE_ENV, key_file_path

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult

PROFILES_DIR = REPO_ROOT / "dbt_project"
REPORTING_ALIAS = "reporting"  # profiles.yml: the build file, attached under this name
NODE_FINISHED_EVENTS = {
    "LogModelResult",
    "LogTestResult",
    "LogSeedResult",
    "LogSnapshotResult",
    "LogNodeNoOpResult",  # an exposure
}
# fired once the selection is made, before the first node: how many nodes will run
NODE_COUNT_EVENT = "ConcurrencyLine"
# dbt events printed on the console (stdout, as dbt's own console logger did; stderr
# keeps leerdata's one-line error); every info line is in <data-dir>/dbt/logs.
SHOWN_LEVELS = {"warn", "error"}


# What a `dbt build` imports before its first node runs: its CLI and result types, the
# build task (imported when the command runs) and the adapter (when the profile loads).
DBT_MODULES = ("dbt.cli.main", "dbt.artifacts.schemas.run", "dbt.task.build", "dbt.adapters.duckdb")


def import_dbt_in_background() -> threading.Thread:
    """Import dbt on a thread while the caller works on other things.

    Importing dbt is ~2 s of Python (mashumaro writes the (de)serialisers of its
    artifact classes as they are defined). `leerdata build` starts this first and then
    prepares the build (the day's selection, the copy of the published file), work that
    runs mostly in DuckDB and the file system, without the GIL. run_dbt's own imports
    wait for a module the thread is still importing (Python's per-module import locks);
    an import error shows there, where it is raised again.
    """

    def load() -> None:
        import importlib

        for name in DBT_MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # run_dbt imports it again and reports the error
                return

    thread = threading.Thread(target=load, name="leerdata-import-dbt", daemon=True)
    thread.start()
    return thread


class DbtError(RuntimeError):
    """dbt reported failures; the message lists the failing nodes."""


class DatabaseClosing:
    """The close of dbt-duckdb's database (the restricted file's checkpoint) on a thread
    of its own. `wait()` before the file is opened again or the write lock released;
    it raises what the close raised."""

    def __init__(self, close: Any = None) -> None:
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if close is not None:
            self._thread = threading.Thread(
                target=self._run, args=(close,), name="leerdata-close-duckdb", daemon=True
            )
            self._thread.start()

    def _run(self, close: Any) -> None:
        try:
            close()
        except BaseException as exc:  # handed to wait(), on the caller's thread
            self._error = exc

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


@dataclass
class DbtOutcome:
    success: bool
    failures: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # run_dbt(detach_first=...): the main database still closing (DatabaseClosing.wait)
    closing: DatabaseClosing = field(default_factory=DatabaseClosing)


# read by the macros when a node runs, never while dbt parses (an environment variable
# read then would make every change a full parse)
# macros/views_kept_in_day_builds.sql, contracts_checked_in_full_builds.sql
DAY_BUILD_ENV = "LEERDATA_DAY_BUILD"
CHANGED_YEARS_ENV = "LEERDATA_CHANGED_YEARS"  # macros/changed_years.sql


@dataclass(frozen=True)
class BuildHints:
    """What `leerdata build` tells the models besides the profile. `day_build`: a day
    build, which keeps the views of the last published build and does not check the
    contracts that build checked. `changed_years`: the years leerdata.builder.periods
    wrote to leerdata_build_changed_years (None: every year), handed over so the
    macros need not read the table."""

    day_build: bool = False
    changed_years: tuple[int, ...] | None = None

    def environment(self) -> dict[str, str]:
        years = self.changed_years
        handed = "every" if years is None else (",".join(map(str, years)) or "none")
        return {DAY_BUILD_ENV: "day build" if self.day_build else "", CHANGED_YEARS_ENV: handed}


# no hints: the macros read the table, create every view and check every contract
NO_HINTS = {DAY_BUILD_ENV: "", CHANGED_YEARS_ENV: ""}


@contextmanager
def dbt_environment(
    paths: DataPaths, reporting_db: Path, hints: BuildHints | None = None
) -> Iterator[None]:
    """The environment profiles.yml reads: the two database files, nothing secret; and
    the build's hints to the macros.

    dbt runs in the data dir and the profile names the files relative to it, so the
    profile is the same in every data dir: dbt hashes it for partial parsing and parses
    the whole project again when it changed (in a copied or moved data dir). The key file
    is named absolutely for the plugin, as it was found from where leerdata started.
    """
    root = paths.root.absolute()
    values = {
        "LEERDATA_DUCKDB_MEMORY_LIMIT": duckdb_memory_limit("build"),
        "LEERDATA_RESTRICTED_DB": os.path.relpath(paths.restricted_db.absolute(), root),
        "LEERDATA_REPORTING_BUILD_DB": os.path.relpath(reporting_db.absolute(), root),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        KEY_FILE_ENV: str(key_file_path().absolute()),
        **(hints.environment() if hints is not None else NO_HINTS),
    }
    previous = {k: os.environ.get(k) for k in values}
    cwd = Path.cwd()
    os.environ.update(values)
    try:
        os.chdir(root)
        yield
    finally:
        os.chdir(cwd)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def dbt_argv(args: Sequence[str]) -> Iterator[None]:
    """Show dbt its own arguments as sys.argv while it runs.

    dbt writes `"dbt " + " ".join(sys.argv[1:])` into run_results.json and its log as
    the invocation command; in-process, sys.argv is leerdata's own command line, which
    for `erase` and `subject-access` holds a personnel number.
    """
    previous = sys.argv
    sys.argv = ["dbt", *args]
    try:
        yield
    finally:
        sys.argv = previous


def dbt_args(command: str, paths: DataPaths, extra: Sequence[str] = ()) -> list[str]:
    settings = load_settings(paths.root)
    return [
        command,
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(PROFILES_DIR),
        "--target-path",
        str(paths.dbt_target.absolute()),
        "--log-path",
        str(paths.dbt_logs.absolute()),
        # dbt's file log defaults to debug: every event with its SQL, each line scrubbed
        # of secrets and stat()ed for rollover. That was a fifth of a small build's time
        # (A/B on a test warehouse: 38.0 and 53.7 s at debug, 29.8 and 45.6 s at info).
        "--log-level-file",
        "info",
        # dbt's console logger formats every event, debug ones too, scrubbing each line
        # of secrets by a scan of the environment, before it drops those below its
        # level: ~5,600 events in a small full build. It is off; run_dbt's callback,
        # which sees every event anyway, prints dbt's warnings and errors.
        "--log-level",
        "none",
        "--vars",
        f"{{min_cell_size: {settings.disclosure.min_cell_size}}}",
        *extra,
    ]


def _failures(result: dbtRunnerResult) -> list[str]:
    if result.exception is not None:
        return [f"dbt error: {result.exception}"]
    failures = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result, "status", ""))
        if status in {"error", "fail", "runtime error"}:
            message = (node_result.message or "").strip().splitlines()
            failures.append(f"{node_result.node.name}: {status}: {message[0] if message else ''}")
    return failures or (["dbt failed"] if not result.success else [])


def _timings(result: dbtRunnerResult) -> dict[str, float]:
    return {
        node_result.node.unique_id: float(node_result.execution_time or 0.0)
        for node_result in getattr(result.result, "results", None) or []
    }


def release_duckdb(detach_first: str | None = None) -> DatabaseClosing:
    """Close the DuckDB handle dbt-duckdb keeps open in-process after an invocation.

    Without this the build file stays attached and can be neither checkpointed nor
    reopened by the next step (publish, retention, a second build).

    `detach_first`: an attached database (profiles.yml's alias) to checkpoint and detach
    now; the main database is then closed on a thread (DatabaseClosing). Its checkpoint
    (~0.35 s of a medium day build, DuckDB's own threads) then runs beside the steps that
    need only the attached file: the disclosure audit and the publish.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    connection = getattr(env, "conn", None)
    if env is None or connection is None or detach_first is None:
        if env is not None:
            env.close()
        return DatabaseClosing()
    try:
        connection.execute(f"checkpoint {detach_first}")
        connection.execute(f"detach {detach_first}")
    except BaseException:
        env.close()
        raise
    return DatabaseClosing(env.close)


def run_dbt(
    command: str,
    paths: DataPaths,
    reporting_db: Path,
    extra: Sequence[str] = (),
    on_node_done: Any = None,
    on_node_count: Callable[[int], None] | None = None,
    results_file: Path | None = None,
    hints: BuildHints | None = None,
    detach_first: str | None = None,
) -> DbtOutcome:
    """Run one dbt command; `on_node_done(node_info)` is called as each node finishes,
    `on_node_count(n)` once dbt has selected the n nodes it will run.

    `results_file`: write dbt's run results there from the in-process result (for an
    invocation with `--no-write-json`, which skips dbt's two manifest.json writes).
    `hints`: what `leerdata build` tells the macros (BuildHints).
    `detach_first`: see release_duckdb; the caller waits for `outcome.closing`.
    """

    from dbt.artifacts.schemas.run import RunExecutionResult
    from dbt.cli.main import dbtRunner

    def callback(event: Any) -> None:
        if event.info.level in SHOWN_LEVELS:
            print(event.info.msg)  # on stdout, where dbt's console logger wrote
        if on_node_done is not None and event.info.name in NODE_FINISHED_EVENTS:
            on_node_done(getattr(event.data, "node_info", None))
        elif on_node_count is not None and event.info.name == NODE_COUNT_EVENT:
            on_node_count(int(event.data.node_count))

    paths.dbt_logs.mkdir(parents=True, exist_ok=True)
    args = dbt_args(command, paths, extra)
    with (
        dbt_environment(paths, reporting_db, hints),
        dbt_argv(args),
        fewer_collections(),
    ):
        try:
            result = dbtRunner(callbacks=[callback]).invoke(args)
        except BaseException:
            release_duckdb()
            raise
        closing = release_duckdb(detach_first)
    if results_file is not None and isinstance(result.result, RunExecutionResult):
        result.result.write(str(results_file))
    return DbtOutcome(
        success=bool(result.success),
        failures=_failures(result),
        timings=_timings(result),
        closing=closing,
    )
