"""Where things live and the few settings a steward may change.

Paths derive from one data directory (default ./data). Settings come from
config/leerdata.toml in the repository, overridden by <data-dir>/leerdata.toml or the
file named in LEERDATA_CONFIG.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PROJECT_DIR_ENV = "LEERDATA_PROJECT_DIR"


def _is_project_dir(path: Path) -> bool:
    dbt_project = path / "dbt_project.yml"
    return dbt_project.is_file() and "name: leerdata" in dbt_project.read_text(encoding="utf-8")


def find_project_dir() -> Path:
    """The directory with dbt_project.yml, models/, seeds/, config/ and dashboards/.

    The package does not assume where it is installed: LEERDATA_PROJECT_DIR names the
    directory; else the nearest leerdata dbt project above the package (an editable
    install of a checkout), else above the working directory (a wheel run from a
    checkout). Without one, the working directory, where dbt then says what is missing."""
    if os.environ.get(PROJECT_DIR_ENV):
        return Path(os.environ[PROJECT_DIR_ENV]).resolve()
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if _is_project_dir(candidate):
                return candidate
    return Path.cwd().resolve()


PROJECT_DIR = find_project_dir()
REPO_ROOT = PROJECT_DIR  # the older name, still imported across the code and tests
DEFAULT_DATA_DIR = Path("data")
DEFAULT_SETTINGS_FILE = PROJECT_DIR / "config" / "leerdata.toml"


@dataclass(frozen=True)
class DataPaths:
    """Every path below one data directory."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def restricted_db(self) -> Path:
        return self.warehouse / "restricted.duckdb"

    @property
    def reporting_db(self) -> Path:
        return self.warehouse / "reporting.duckdb"

    @property
    def reporting_build_db(self) -> Path:
        """The file a build writes before it is swapped in as reporting.duckdb."""
        return self.warehouse / "reporting.building.duckdb"

    @property
    def pending_erasure(self) -> Path:
        """An erasure or retention run still to finish (leerdata.retention.pending)."""
        return self.warehouse / "pending-erasure.json"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def research_exports(self) -> Path:
        return self.exports / "research"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def dbt_target(self) -> Path:
        # Per data dir, so two builds on two data dirs never share compiled SQL or state.
        return self.root / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "dbt" / "logs"

    @classmethod
    def of(cls, data_dir: Path | str | None) -> DataPaths:
        return cls(Path(data_dir or DEFAULT_DATA_DIR).resolve())


@dataclass(frozen=True)
class RetentionSettings:
    person_years_after_exit: int = 5
    enrolment_link_months: int = 12


@dataclass(frozen=True)
class DisclosureSettings:
    min_cell_size: int = 10


@dataclass(frozen=True)
class ResearchSettings:
    k: int = 10
    l: int = 2  # noqa: E741 - the l of l-diversity


@dataclass(frozen=True)
class AccessLogSettings:
    # The dashboards' access log (who opened which page or export) is kept this long.
    retention_days: int = 365


@dataclass(frozen=True)
class IngestSettings:
    # Larger files are quarantined unread (FILE_TOO_LARGE). A CSV file larger than
    # csv_chunk_bytes is loaded in chunks of whole records; smaller ones, a rare CSV the
    # chunks cannot take (see csv_loader.py) and UBL are held in memory whole.
    max_file_bytes: int = 256 * 1024 * 1024
    csv_chunk_bytes: int = 32 * 1024 * 1024
    # A longer CSV field quarantines its row (FIELD_TOO_LARGE), stored cut short.
    max_field_bytes: int = 64 * 1024


@dataclass(frozen=True)
class Settings:
    retention: RetentionSettings
    disclosure: DisclosureSettings
    research: ResearchSettings
    access_log: AccessLogSettings = AccessLogSettings()
    ingest: IngestSettings = IngestSettings()


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_settings(data_dir: Path | str | None = None) -> Settings:
    raw: dict = _read_toml(DEFAULT_SETTINGS_FILE) if DEFAULT_SETTINGS_FILE.exists() else {}
    candidates = []
    if data_dir is not None:
        candidates.append(Path(data_dir) / "leerdata.toml")
    if os.environ.get("LEERDATA_CONFIG"):
        candidates.append(Path(os.environ["LEERDATA_CONFIG"]))
    for path in candidates:
        if path.exists():
            raw = _merge(raw, _read_toml(path))
    return Settings(
        retention=RetentionSettings(**raw.get("retention", {})),
        disclosure=DisclosureSettings(**raw.get("disclosure", {})),
        research=ResearchSettings(**raw.get("research", {})),
        access_log=AccessLogSettings(**raw.get("access_log", {})),
        ingest=IngestSettings(**raw.get("ingest", {})),
    )


# DuckDB's own default (80% of RAM) let a rijk build reach 6.3 GB; the performance target
# is a 4 GiB peak on a laptop-class machine, and Python needs room of its own: the
# ingest's parsed frames (a rijk ingest peaked at 3.0 GB with 2GB), a build's Python
# models (a rijk full build peaked at 3.3 GB with 3GB, and was ~10 % faster than with
# 2GB, where DuckDB spilled more: docs/performance-history.md, stop 38).
DEFAULT_DUCKDB_MEMORY_LIMITS = {"ingest": "2GB", "build": "3GB"}


def duckdb_memory_limit(kind: Literal["ingest", "build"]) -> str:
    """DuckDB's memory_limit for an ingest or a build; LEERDATA_DUCKDB_MEMORY_LIMIT
    overrides both."""
    return os.environ.get("LEERDATA_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMITS[kind])
