"""What a day's build must rebuild: the models downstream of what changed.

A model whose inputs did not change since the last published build keeps its table;
everything else is rebuilt. What can change:

- a landing source got a batch since the last published build (the load manifest says
  which source each batch belongs to) → every model downstream of its raw tables;
- the load manifest and the quarantine change with every ingest → the steward models
  and everything that reads them.

A day build writes into a copy of the published reporting file: a mart that reads
nothing that changed keeps its table from it (the dimensions on a day without
catalogue files), a selected mart is replaced, and the year-incremental finance marts
recompute the changed years. Without a published file a day build is a full build.

Within that selection the year-incremental models recompute only the years the new
batches touch (leerdata.builder.periods).

A full build is chosen whenever the record is incomplete: no earlier build, or
retention/erasure emptied the watermarks (raw rows rewritten in place). A full refresh
is chosen when the project itself changed since the last published build (a model's
SQL, a macro, a seed, the Python code or the disclosure settings): an incremental model
whose logic changed must not keep years computed by the old logic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from leerdata.builder.periods import changed_years
from leerdata.builder.watermarks import (
    ensure_watermark_table,
    mark_recomputed_keys_published,
    watermarks,
)
from leerdata.config import PROJECT_DIR

# Load-manifest source name -> the dbt sources its batches land in.
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "hr": ("hr.raw_hr",),
    "suppliers": ("catalogue.raw_suppliers",),
    "courses": ("catalogue.raw_courses",),
    "sessions": ("catalogue.raw_sessions",),
    "enrolments": ("lms.raw_enrolments",),
    "attendance": ("lms.raw_attendance",),
    "exam_results": ("lms.raw_exam_results",),
    "evaluations": ("lms.raw_evaluations",),
    "invoices": (
        "invoices.raw_invoices",
        "invoices.raw_invoice_lines",
        "invoices.raw_invoice_allowance_charges",
        "invoices.raw_invoice_tax_subtotals",
    ),
}
STEWARD_MODELS = "models/staging/steward"  # change with every ingest: always rebuilt
SOURCE_MARK = "published:"  # watermark rows of the last published build, per source
STATE_DIR_NAME = "dbt-state"  # the project fingerprint of the last published build
FINGERPRINT_FILE = "project.sha256"
# what a build's results depend on besides the data (a change means a full refresh)
PROJECT_PARTS = ("models", "dbt_project", "seeds", "src/leerdata", "dbt_project.yml")


@dataclass(frozen=True)
class DaySelection:
    """`select` None: build everything (`full_refresh`: also every incremental model
    from scratch). `changed`: the sources with new batches. `years`: what the
    year-incremental models recompute, None = every year."""

    select: tuple[str, ...] | None
    changed: tuple[str, ...]
    reason: str
    years: tuple[int, ...] | None = None
    full_refresh: bool = False

    def describe(self) -> str:
        """One line for the person who ran the build: what it covered, and why."""
        if self.select is None:
            kind = "full refresh" if self.full_refresh else "full build"
            return f"{kind}: {self.reason}"
        if not self.changed:
            return "day build: no new batches; steward tables and marts rebuilt"
        years = "every year" if self.years is None else ", ".join(map(str, self.years)) or "none"
        return f"day build: new batches of {', '.join(self.changed)}; years recomputed: {years}"


def always_rebuilt(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Every steward model and what depends on it (the quality marts, which also name the
    build and today's date). By model name: a `path:` selector of the steward folder
    would also match the sources declared there, and everything in staging reads the load
    manifest."""
    steward = sorted(p.stem for p in (project_dir / STEWARD_MODELS).glob("*.sql"))
    return [f"{name}+" for name in steward]


def state_dir(warehouse: Path) -> Path:
    return warehouse / STATE_DIR_NAME


def project_fingerprint(settings_text: str, project_dir: Path = PROJECT_DIR) -> str:
    """sha256 over the project's files (path and content) and the build settings."""
    digest = hashlib.sha256(settings_text.encode())
    for part in PROJECT_PARTS:
        root = project_dir / part
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _recorded_fingerprint(warehouse: Path) -> str | None:
    path = state_dir(warehouse) / FINGERPRINT_FILE
    return path.read_text().strip() if path.exists() else None


def _batches_per_source(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "select source, max(batch_id) from main.load_manifest "
        "where source is not null group by source"
    ).fetchall()
    return {source: int(batch) for source, batch in rows}


def choose(
    restricted_db: Path, warehouse: Path, fingerprint: str, published_file: Path
) -> DaySelection:
    """The selection for a build of `restricted_db` as it is now, by a project whose
    fingerprint is `fingerprint`; `published_file` is the reporting database a day build
    starts from."""
    with duckdb.connect(str(restricted_db)) as con:
        ensure_watermark_table(con)
        marks = watermarks(con)
        current = _batches_per_source(con)
        published = {
            name.removeprefix(SOURCE_MARK): batch
            for name, batch in marks.items()
            if name.startswith(SOURCE_MARK)
        }
        everything = tuple(sorted(current))
        if not published:
            return DaySelection(None, everything, "no published build recorded")
        if _recorded_fingerprint(warehouse) != fingerprint:
            return DaySelection(
                None, everything, "the project changed since the last build", full_refresh=True
            )
        if not published_file.is_file():  # the marts a day build keeps come from it
            return DaySelection(None, everything, "no published reporting file")
        unknown = sorted(set(current) - set(SOURCE_TABLES))
        if unknown:  # a source this module does not map yet: rebuild everything, never stale
            return DaySelection(None, everything, f"unmapped sources {unknown}")
        changed = tuple(sorted(s for s, batch in current.items() if batch > published.get(s, -1)))
        years = changed_years(con, published, changed)
    select = [f"source:{table}+" for source in changed for table in SOURCE_TABLES[source]]
    select += always_rebuilt()
    reason = "sources with new batches" if changed else "no new batches"
    return DaySelection(tuple(select), changed, reason, None if years is None else tuple(years))


def record_published(restricted_db: Path, warehouse: Path, fingerprint: str) -> None:
    """After a publish: the batches this build covered, and the fingerprint of the
    project that built it. The fingerprint file is replaced atomically; a kill before
    the watermarks are written only makes the next build rebuild more than it needed
    to."""
    target = state_dir(warehouse)
    target.mkdir(parents=True, exist_ok=True)
    staged = target / (FINGERPRINT_FILE + ".tmp")
    staged.write_text(fingerprint + "\n")
    staged.replace(target / FINGERPRINT_FILE)
    with duckdb.connect(str(restricted_db)) as con:
        ensure_watermark_table(con)
        con.execute("begin transaction")
        for source, batch in _batches_per_source(con).items():
            con.execute(
                "insert or replace into main.leerdata_build_watermarks "
                "values (?, ?, current_timestamp)",
                [SOURCE_MARK + source, batch],
            )
        mark_recomputed_keys_published(con)
        con.execute("commit")
