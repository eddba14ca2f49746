"""Retention and erasure runs: record → build → plan → freeze → erase/unlink → rebuild →
compact → clear the record.

The pending-erasure record (leerdata.retention.pending) is written before anything
changes and removed only after the compaction, so a run killed at any moment is
finished by the next command that writes (`finish_pending`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

import duckdb

from leerdata.builder.warehouse import build_warehouse
from leerdata.builder.watermarks import invalidate_watermarks
from leerdata.config import DataPaths, load_settings
from leerdata.errors import LeerdataError
from leerdata.privacy.keys import ensure_outside, load_existing_key
from leerdata.retention import mutate
from leerdata.retention.compact import compact
from leerdata.retention.freeze import freeze_enrolment_attributes, freeze_person_birth_years
from leerdata.retention.landing import landing_files_holding
from leerdata.retention.pending import (
    PendingWork,
    clear_pending,
    read_pending,
    subject_hash,
    subjects_still_present,
    write_pending,
)
from leerdata.retention.plan import plan_erasure, plan_retention, planned_counts
from leerdata.retention.runlog import RunRecord, append_log_line, append_resume_line, record_run
from leerdata.retention.tables import ensure_retention_tables
from leerdata.steward import writing


class RetentionError(LeerdataError):
    pass


@dataclass(frozen=True)
class RetentionResult:
    persons_erased: int
    enrolments_unlinked: int
    rebuilt: bool
    seconds: float
    # `erase` only: delivered files in landing/ that still hold the personnel number.
    landing_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resumed:
    """A pending run that a command finished before its own work."""

    work: PendingWork
    result: RetentionResult


def _require_warehouse(paths: DataPaths) -> None:
    if not paths.restricted_db.exists():
        raise RetentionError(
            f"no restricted database at {paths.restricted_db}; run `leerdata ingest` first"
        )
    ensure_outside(paths.root)


def _rebuild_and_compact(paths: DataPaths, show_progress: bool) -> None:
    try:
        # full refresh: the raw rows were rewritten in place, not added as a batch
        build_warehouse(paths, show_progress=show_progress, full_refresh=True)
    finally:
        # Also after a failed build: erased values must not stay in free blocks. The
        # pending record stays when the build failed, so the next command builds again.
        compact(paths.restricted_db)


def _run(
    paths: DataPaths,
    run_kind: str,
    as_of: date,
    plan: Callable[[duckdb.DuckDBPyConnection], None],
    show_progress: bool,
    pending: PendingWork,
) -> RetentionResult:
    started = time.perf_counter()
    run_at = datetime.now()
    settings = load_settings(paths.root).retention
    write_pending(paths, pending)
    # A fresh build first: the frozen attributes must be what reporting shows now, and a
    # warehouse that does not build is no place to start erasing in.
    build_warehouse(paths, show_progress=show_progress)
    with duckdb.connect(str(paths.restricted_db)) as con:
        ensure_retention_tables(con)
        con.execute("begin transaction")
        reattached = mutate.reattach_redelivered_rows(con)
        plan(con)
        persons, enrolments = planned_counts(con)
        if reattached or persons or enrolments:
            # raw rows change in place, without a new batch: the incremental staging
            # models must recompute everything, even if this run is killed right after
            invalidate_watermarks(con)
        if persons or enrolments:
            mutate.assign_surrogates(con)
            freeze_enrolment_attributes(con)
            freeze_person_birth_years(con)
            mutate.erase_free_text(con)
            mutate.redact_quarantine(con)
            mutate.unlink_enrolments(con)
            mutate.erase_persons(con)
        record = record_run(
            con,
            RunRecord(
                run_kind=run_kind,
                run_at=run_at,
                as_of_date=as_of,
                person_years_after_exit=settings.person_years_after_exit,
                enrolment_link_months=settings.enrolment_link_months,
                persons_erased=persons,
                enrolments_unlinked=enrolments,
                run_seconds=round(time.perf_counter() - started, 3),
            ),
        )
        con.execute("commit")
    changed = bool(reattached or persons or enrolments)
    if changed:
        _rebuild_and_compact(paths, show_progress)
    clear_pending(paths)
    total = time.perf_counter() - started
    append_log_line(paths, record, total)
    return RetentionResult(persons, enrolments, rebuilt=changed, seconds=total)


def finish_pending(paths: DataPaths, show_progress: bool = True) -> Resumed | None:
    """Finish an erasure or retention run a crash interrupted; None when there is none.

    Whoever of the recorded persons is still in the raw tables is erased now (the
    mutation had not committed); then the warehouse is rebuilt and compacted either way.
    """
    work = read_pending(paths)
    if work is None:
        return None
    started = time.perf_counter()
    if not paths.restricted_db.exists():
        clear_pending(paths)
        return None
    present = (
        subjects_still_present(
            paths.restricted_db, load_existing_key(paths.root), work.subject_hashes
        )
        if work.subject_hashes
        else []
    )
    if present:
        result = _run(
            paths,
            "erasure",
            date.today(),
            lambda con: plan_erasure(con, present),
            show_progress,
            work,
        )
    else:
        _rebuild_and_compact(paths, show_progress)
        clear_pending(paths)
        result = RetentionResult(0, 0, rebuilt=True, seconds=time.perf_counter() - started)
    append_resume_line(paths, work.run_kind, result.persons_erased, result.seconds)
    return Resumed(work, result)


def apply_retention(
    paths: DataPaths, as_of: date | None = None, show_progress: bool = True
) -> RetentionResult:
    """Erase people `person_years_after_exit` after they left; unlink old enrolments."""
    with writing(paths, "retention apply", show_progress):
        _require_warehouse(paths)
        as_of = as_of or date.today()
        settings = load_settings(paths.root).retention
        return _run(
            paths,
            "retention",
            as_of,
            lambda con: plan_retention(
                con, as_of, settings.person_years_after_exit, settings.enrolment_link_months
            ),
            show_progress,
            PendingWork("retention"),
        )


def _known(paths: DataPaths, employee_id: str) -> bool:
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        row = con.execute(
            "select exists(select 1 from main.raw_hr where employee_id = $id) "
            "or exists(select 1 from main.raw_enrolments where employee_id = $id)",
            {"id": employee_id},
        ).fetchone()
    return bool(row and row[0])


def erase_person(paths: DataPaths, employee_id: str, show_progress: bool = True) -> RetentionResult:
    """GDPR art. 17: erase one person and unlink all their enrolments, now."""
    with writing(paths, "erase", show_progress) as resumed:
        _require_warehouse(paths)
        secret = load_existing_key(paths.root)
        hashed = subject_hash(secret, employee_id) if employee_id else ""
        if not employee_id or not _known(paths, employee_id):
            if resumed is not None and hashed in resumed.work.subject_hashes:
                # An earlier `erase` of this person was interrupted and is finished now.
                result = resumed.result
            else:
                raise RetentionError("no data about this employee id in the restricted zone")
        else:
            result = _run(
                paths,
                "erasure",
                date.today(),
                lambda con: plan_erasure(con, [employee_id]),
                show_progress,
                PendingWork("erasure", [hashed]),
            )
        held = tuple(landing_files_holding(paths, employee_id))
        return replace(result, landing_files=held)
