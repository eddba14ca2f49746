"""What a day's build must rebuild: the models downstream of what changed.

A model whose inputs did not change since the last published build keeps its table;
everything else is rebuilt. What can change:

- a landing source got a batch since the last published build (the load manifest says
  which source each batch belongs to) → every model downstream of its raw tables;
- the load manifest and the quarantine change with every ingest → the steward models;
- the project itself (a model's SQL, a seed, a config): dbt's `state:modified` against
  the manifest of the last published build;
- the marts are always rebuilt: they are written to a fresh reporting file.

A full build is chosen whenever the record is incomplete: no earlier build, no saved
dbt state, or retention/erasure emptied the watermarks (raw rows rewritten in place).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from leerdata.builder.watermarks import ensure_watermark_table, watermarks
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
STATE_DIR_NAME = "dbt-state"  # the manifest of the last published build


@dataclass(frozen=True)
class DaySelection:
    """`select` None: build everything. `changed`: the sources with new batches."""

    select: tuple[str, ...] | None
    changed: tuple[str, ...]
    reason: str


def always_rebuilt(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Every steward model and what depends on it, and the marts. By model name: a
    `path:` selector of the steward folder would also match the sources declared there,
    and everything in staging reads the load manifest."""
    steward = sorted(p.stem for p in (project_dir / STEWARD_MODELS).glob("*.sql"))
    return [*(f"{name}+" for name in steward), "path:models/marts"]


def state_dir(warehouse: Path) -> Path:
    return warehouse / STATE_DIR_NAME


def _batches_per_source(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "select source, max(batch_id) from main.load_manifest "
        "where source is not null group by source"
    ).fetchall()
    return {source: int(batch) for source, batch in rows}


def choose(restricted_db: Path, warehouse: Path) -> DaySelection:
    """The selection for a build of `restricted_db` as it is now."""
    with duckdb.connect(str(restricted_db)) as con:
        ensure_watermark_table(con)
        marks = watermarks(con)
        current = _batches_per_source(con)
    published = {
        name.removeprefix(SOURCE_MARK): batch
        for name, batch in marks.items()
        if name.startswith(SOURCE_MARK)
    }
    if not published:
        return DaySelection(None, tuple(sorted(current)), "no published build recorded")
    if not (state_dir(warehouse) / "manifest.json").exists():
        return DaySelection(None, tuple(sorted(current)), "no saved dbt state")
    unknown = sorted(set(current) - set(SOURCE_TABLES))
    if unknown:  # a source this module does not map yet: rebuild everything, never stale
        return DaySelection(None, tuple(sorted(current)), f"unmapped sources {unknown}")
    changed = tuple(sorted(s for s, batch in current.items() if batch > published.get(s, -1)))
    select = [f"source:{table}+" for source in changed for table in SOURCE_TABLES[source]]
    select += [*always_rebuilt(), "state:modified+"]
    reason = "sources with new batches" if changed else "no new batches"
    return DaySelection(tuple(select), changed, reason)


def record_published(restricted_db: Path, warehouse: Path, dbt_target: Path) -> None:
    """After a publish: the batches this build covered, and its dbt manifest as the
    state the next day's `state:modified` compares against. The state file is replaced
    atomically; a kill before the watermarks are written only makes the next build
    rebuild more than it needed to."""
    target = state_dir(warehouse)
    target.mkdir(parents=True, exist_ok=True)
    staged = target / "manifest.json.tmp"
    shutil.copyfile(dbt_target / "manifest.json", staged)
    staged.replace(target / "manifest.json")
    with duckdb.connect(str(restricted_db)) as con:
        ensure_watermark_table(con)
        con.execute("begin transaction")
        for source, batch in _batches_per_source(con).items():
            con.execute(
                "insert or replace into main.leerdata_build_watermarks "
                "values (?, ?, current_timestamp)",
                [SOURCE_MARK + source, batch],
            )
        con.execute("commit")
