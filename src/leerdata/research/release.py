"""`leerdata research release`: one versioned, self-describing folder per release.

D/exports/research/<release-id>/
  microdata.csv         admitted enrolments, one row each with a per-row pseudonym (no
                        person link); quasi-identifiers generalised and locally suppressed
                        to k persons per group; l informative values per group
  tables/<mart>.csv     the protected evaluation and participation marts, as published
  data_dictionary.md    every file and column
  manifest.json         release id, source build, k/l requested and achieved, suppression,
                        local suppression and withholding counts, method,
                        quasi-identifiers, sensitive attributes, key domain LABEL, files

Pseudonyms are re-keyed into the domain "research:<release-id>" from the reporting
pseudonyms, so rows of two releases, or of a release and the reporting database, cannot
be linked without the secret. The secret itself is never written. The folder is written
under a temporary name and renamed when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from leerdata.atomic_file import fsync_path, fsync_tree
from leerdata.config import DataPaths, load_settings
from leerdata.errors import LeerdataError
from leerdata.privacy.keys import ensure_outside, load_or_create_key
from leerdata.privacy.pseudonyms import Pseudonymiser
from leerdata.research.anonymise import (
    MAX_SUPPRESSED_PER_ROW,
    NOT_INFORMATIVE,
    SUPPRESSED,
    SUPPRESSION_ORDER,
    WITHHELD,
    choose_level,
)
from leerdata.research.dictionary import data_dictionary
from leerdata.research.microdata import (
    LADDER,
    QUASI_IDENTIFIERS,
    SENSITIVE_ATTRIBUTES,
    read_base,
)
from leerdata.sdc.published import EVALUATION_MARTS, PARTICIPATION_MARTS

# No person pseudonym: a pseudonym repeated over a person's rows links them, and a
# person's set of enrolments is nearly always unique (issue 11). The row pseudonym names
# one enrolment and repeats nowhere.
MICRODATA_COLUMNS = (
    "enrolment_pseudonym",
    *QUASI_IDENTIFIERS,
    *SENSITIVE_ATTRIBUTES,
)
METHOD = (
    "Global recoding along the generalisation ladder (level chosen to lose the fewest "
    "values), then local suppression: quasi-identifier values of rows in groups with "
    f"fewer than k distinct persons are replaced by '{SUPPRESSED}' (at most "
    f"{MAX_SUPPRESSED_PER_ROW} per row, in the order {', '.join(SUPPRESSION_ORDER)}); rows "
    "still in such a group are dropped. Then l-diversity over informative values: where "
    "a group shows 1 to l-1 distinct informative values of a sensitive attribute, those "
    f"values are replaced by '{WITHHELD}'. Rows carry a per-row pseudonym only, so a "
    "person's rows cannot be linked."
)


class ReleaseError(LeerdataError):
    pass


@dataclass(frozen=True)
class ReleaseResult:
    release_id: str
    folder: Path
    manifest: dict


def new_release_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def key_domain(release_id: str) -> str:
    return f"research:{release_id}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_build(paths: DataPaths) -> dict:
    stat = paths.reporting_db.stat()
    return {
        "reporting_db": paths.reporting_db.name,
        "reporting_db_mtime": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
        "reporting_db_sha256": _sha256(paths.reporting_db),
    }


def _pseudonymised(frame: pl.DataFrame, secret: bytes, release_id: str) -> pl.DataFrame:
    worker = Pseudonymiser(secret, key_domain(release_id))
    return frame.with_columns(
        pl.Series("enrolment_pseudonym", worker.many(frame["enrolment_key"].to_list())),
    ).drop("enrolment_key")


def _export_tables(reporting_db: Path, folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    written = []
    with duckdb.connect(str(reporting_db), read_only=True) as con:
        present = {n for (n,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        for mart in [*EVALUATION_MARTS, *PARTICIPATION_MARTS]:
            if mart in present:
                con.sql(f"select * from {mart}").pl().write_csv(folder / f"{mart}.csv")
                written.append(mart)
    return written


def remove_unfinished(paths: DataPaths) -> list[Path]:
    """Remove the folders that releases killed before their rename left under their
    temporary name: incomplete, and never cited (a release id only exists complete).
    Call it holding the write lock, when no release is being written."""
    if not paths.research_exports.exists():
        return []
    unfinished = sorted(p for p in paths.research_exports.glob(".*.partial") if p.is_dir())
    for folder in unfinished:
        shutil.rmtree(folder)
    return unfinished


def create_release(paths: DataPaths, k: int | None = None, l: int | None = None) -> ReleaseResult:  # noqa: E741
    settings = load_settings(paths.root).research
    k = k if k is not None else settings.k
    l = l if l is not None else settings.l  # noqa: E741
    if k < 2 or l < 1:
        raise ReleaseError("k must be at least 2 and l at least 1")
    if not paths.reporting_db.exists() or not paths.restricted_db.exists():
        raise ReleaseError(f"no built warehouse in {paths.warehouse}; run `leerdata build` first")
    ensure_outside(paths.root)
    secret = load_or_create_key()
    created_at = datetime.now(UTC)
    release_id = new_release_id(created_at)

    base = _pseudonymised(read_base(paths.restricted_db, secret), secret, release_id)
    level, result = choose_level(base, k, l)
    # Sorted by the keyed row pseudonym inside each group, so neighbouring rows say
    # nothing about who they belong to (the source order groups a person's rows).
    microdata = result.released.select(MICRODATA_COLUMNS).sort(
        [*QUASI_IDENTIFIERS, "enrolment_pseudonym"]
    )

    final = paths.research_exports / release_id
    partial = paths.research_exports / f".{release_id}.partial"
    partial.mkdir(parents=True)
    try:
        microdata.write_csv(partial / "microdata.csv")
        tables = _export_tables(paths.reporting_db, partial / "tables")
        min_cell_size = load_settings(paths.root).disclosure.min_cell_size
        (partial / "data_dictionary.md").write_text(data_dictionary(level, tables, min_cell_size))
        manifest = {
            "release_id": release_id,
            "created_at": created_at.isoformat(),
            "source_build": _source_build(paths),
            "k_requested": k,
            "l_requested": l,
            "k_achieved": result.k_achieved,
            "k_unit": "distinct persons per equivalence class (rows carry no person link)",
            "l_achieved": result.l_achieved,
            "l_unit": "distinct informative values per equivalence class, over the "
            "classes that show any",
            "not_informative_values": {
                sa: ["(empty)", *sorted(NOT_INFORMATIVE[sa])] for sa in SENSITIVE_ATTRIBUTES
            },
            "method": METHOD,
            "equivalence_classes": result.groups,
            "rows_before_suppression": base.height,
            "rows_released": microdata.height,
            "rows_suppressed": result.rows_dropped,
            "rows_kept_share": round(microdata.height / base.height, 4) if base.height else None,
            "values_locally_suppressed": result.values_suppressed,
            "values_locally_suppressed_total": sum(result.values_suppressed.values()),
            "sensitive_values_withheld": result.values_withheld,
            "generalisation_level": level,
            "generalisations": [step.description for step in LADDER[: level + 1]],
            "quasi_identifiers": list(QUASI_IDENTIFIERS),
            "sensitive_attributes": list(SENSITIVE_ATTRIBUTES),
            "key_domain": key_domain(release_id),
            "min_cell_size_tables": min_cell_size,
            "tables": tables,
        }
        manifest["files"] = {
            str(p.relative_to(partial)): _sha256(p)
            for p in sorted(partial.rglob("*"))
            if p.is_file()
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        fsync_tree(partial)  # on disk before the rename makes it a release
        os.replace(partial, final)
        fsync_path(paths.research_exports)  # ... and the rename itself
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return ReleaseResult(release_id=release_id, folder=final, manifest=manifest)
