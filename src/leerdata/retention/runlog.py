"""The retention run log: counts only, in restricted.duckdb and in logs/retention.log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from leerdata.config import DataPaths
from leerdata.retention.tables import RUNS


@dataclass(frozen=True)
class RunRecord:
    run_kind: str  # retention | erasure
    run_at: datetime
    as_of_date: date
    person_years_after_exit: int
    enrolment_link_months: int
    persons_erased: int
    enrolments_unlinked: int
    run_seconds: float
    run_id: str = ""

    def line(self) -> str:
        return (
            f"{self.run_at.isoformat(timespec='seconds')} run={self.run_kind} "
            f"as_of={self.as_of_date.isoformat()} persons_erased={self.persons_erased} "
            f"enrolments_unlinked={self.enrolments_unlinked} seconds={self.run_seconds:.1f}"
        )


def record_run(con: duckdb.DuckDBPyConnection, record: RunRecord) -> RunRecord:
    run_id = record.run_id or uuid.uuid4().hex
    con.execute(
        f"insert into main.{RUNS} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            record.run_at,
            record.run_kind,
            record.as_of_date,
            record.person_years_after_exit,
            record.enrolment_link_months,
            record.persons_erased,
            record.enrolments_unlinked,
            record.run_seconds,
        ],
    )
    return RunRecord(**{**record.__dict__, "run_id": run_id})


def append_log_line(paths: DataPaths, record: RunRecord, total_seconds: float) -> None:
    paths.logs.mkdir(parents=True, exist_ok=True)
    with (paths.logs / "retention.log").open("a", encoding="utf-8") as handle:
        handle.write(f"{record.line()} total_seconds={total_seconds:.1f}\n")


def append_resume_line(
    paths: DataPaths, run_kind: str, persons_erased: int, total_seconds: float
) -> None:
    """That an interrupted run was finished, with counts: never who."""
    paths.logs.mkdir(parents=True, exist_ok=True)
    with (paths.logs / "retention.log").open("a", encoding="utf-8") as handle:
        handle.write(
            f"{datetime.now().isoformat(timespec='seconds')} resumed={run_kind} "
            f"persons_erased={persons_erased} rebuilt=1 compacted=1 "
            f"total_seconds={total_seconds:.1f}\n"
        )
