"""Which files are in the landing zone and what kind each one is.

A file is a CSV of one contract source, a UBL invoice, or unknown. Dot-files (editor
swap files, `.DS_Store`, a delivery still being written as `.name.tmp`) are not
deliveries and are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from leerdata.contract import (
    INVOICE_FILE_PATTERN,
    INVOICE_FOLDER,
    CsvSource,
    csv_source_for,
)

INVOICES_SOURCE = "invoices"
_ANY_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_name: str  # posix path relative to landing/, as stored in the warehouse
    csv_source: CsvSource | None
    is_invoice: bool
    file_date: date | None
    unknown_reason: str | None  # why the name matches no pattern (None when it does)

    @property
    def source_name(self) -> str | None:
        if self.csv_source is not None:
            return self.csv_source.name
        return INVOICES_SOURCE if self.is_invoice else None


def parse_yyyymmdd(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def classify(landing: Path, path: Path) -> LandingFile:
    relative = path.relative_to(landing)
    relative_name = relative.as_posix()
    folder = relative.parent.as_posix()
    name = relative.name

    source = csv_source_for(folder, name)
    if source is not None:
        match = source.match(name)
        assert match is not None
        file_date = parse_yyyymmdd(match.group("date"))
        if file_date is None:
            return LandingFile(path, relative_name, None, False, None, "invalid date in name")
        return LandingFile(path, relative_name, source, False, file_date, None)

    if folder == INVOICE_FOLDER and re.fullmatch(INVOICE_FILE_PATTERN, name):
        # Invoice names carry no contract date; use one when the supplier put it there.
        found = _ANY_DATE.search(name)
        file_date = parse_yyyymmdd(found.group(1)) if found else None
        return LandingFile(path, relative_name, None, True, file_date, None)

    return LandingFile(path, relative_name, None, False, None, "name matches no pattern")


def discover(landing: Path) -> list[LandingFile]:
    """Every delivery under landing/, in a stable order (folder, then name)."""
    files = [
        path
        for path in landing.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(landing).parts)
    ]
    return [classify(landing, path) for path in sorted(files)]
