"""The pending-erasure record: an erasure or retention run that must still finish.

`erase` and `retention apply` write this record before they change anything, and remove
it only after the warehouse was rebuilt and restricted.duckdb compacted. A run killed
at any moment in between leaves the record behind, and the next command that writes
(`ingest`, `build`, `erase`, `retention apply`, `research release`) finishes the job
first: it erases whoever is still there, rebuilds and compacts.

The record never says who: a person is stored as a keyed hash of the personnel number
(HMAC-SHA256 under a domain key of its own, so it matches no published pseudonym). To
resume, the personnel numbers still in the raw tables are hashed and compared.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from leerdata.atomic_file import fsync_path, write_atomically
from leerdata.config import DataPaths
from leerdata.privacy.pseudonyms import Pseudonymiser
from leerdata.retention.surrogates import is_surrogate_sql

SUBJECT_DOMAIN = "pending-erasure"


@dataclass(frozen=True)
class PendingWork:
    run_kind: str  # erasure | retention
    subject_hashes: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))


def pending_path(paths: DataPaths) -> Path:
    return paths.pending_erasure


def subject_hash(secret: bytes, employee_id: str) -> str:
    digest = Pseudonymiser(secret, SUBJECT_DOMAIN).one(employee_id)
    assert digest is not None
    return digest


def write_pending(paths: DataPaths, work: PendingWork) -> None:
    """Durably, before anything else changes: written beside, flushed, renamed, and the
    rename flushed (mode 0600: it holds keyed hashes of who is erased)."""
    data = json.dumps(asdict(work)).encode("utf-8")
    write_atomically(pending_path(paths), data, mode=0o600)


def read_pending(paths: DataPaths) -> PendingWork | None:
    target = pending_path(paths)
    if not target.exists():
        return None
    raw = json.loads(target.read_text(encoding="utf-8"))
    return PendingWork(
        run_kind=str(raw.get("run_kind", "erasure")),
        subject_hashes=[str(h) for h in raw.get("subject_hashes", [])],
        created_at=str(raw.get("created_at", "")),
    )


def clear_pending(paths: DataPaths) -> None:
    pending_path(paths).unlink(missing_ok=True)
    fsync_path(pending_path(paths).parent)


def subjects_still_present(
    restricted_db: Path, secret: bytes, subject_hashes: list[str]
) -> list[str]:
    """The personnel numbers in the raw tables whose keyed hash is pending erasure."""
    if not subject_hashes:
        return []
    with duckdb.connect(str(restricted_db), read_only=True) as con:
        ids = [
            row[0]
            for row in con.execute(
                f"""
                select distinct employee_id from (
                    select employee_id from main.raw_hr
                    union all
                    select employee_id from main.raw_enrolments
                )
                where employee_id is not null and not {is_surrogate_sql("employee_id")}
                """
            ).fetchall()
        ]
    wanted = set(subject_hashes)
    hasher = Pseudonymiser(secret, SUBJECT_DOMAIN)
    return sorted(i for i, h in zip(ids, hasher.many(ids), strict=True) if h in wanted)
