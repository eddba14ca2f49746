"""Departments, their directorate/unit/team hierarchy, job titles and salary scales."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from leerdata.config import REPO_ROOT
from leerdata.generate.scales import SHARED_DEPARTMENTS, ScaleSpec

DIRECTORATES = (
    "Directie Bedrijfsvoering",
    "Directie Financieel-Economische Zaken",
    "Directie Communicatie",
    "Directie Wetgeving en Juridische Zaken",
    "Directie Internationale Zaken",
    "Directie Informatievoorziening",
    "Directie Strategie",
    "Directie Personeel en Organisatie",
    "Directie Kennis en Innovatie",
    "Directie Beleidsontwikkeling",
    "Directie Toezicht en Handhaving",
    "Directie Markt en Consument",
    "Directie Arbeidsmarkt en Participatie",
    "Directie Uitvoering en Dienstverlening",
)
UNITS = (
    "Afdeling Beleid",
    "Afdeling Advies",
    "Afdeling Uitvoering",
    "Afdeling Control",
    "Afdeling Data en Analyse",
    "Afdeling Juridische Zaken",
    "Afdeling Inkoop",
    "Afdeling Wetgeving",
    "Afdeling Communicatieadvies",
    "Afdeling Projecten",
    "Afdeling Informatiebeheer",
)
TEAMS = (
    "Team Analyse",
    "Team Ondersteuning",
    "Team Strategie",
    "Team Beheer",
    "Team Ontwikkeling",
    "Team Noord",
    "Team Zuid",
    "Team Online",
)
JOB_TITLES_BY_BAND = (
    # schaal 1-6, 7-9, 10-11, 12-13, 14+
    (
        "Medewerker facilitaire dienst",
        "Secretaresse",
        "Administratief medewerker",
        "Medewerker post",
    ),
    (
        "Managementondersteuner",
        "Medewerker bedrijfsvoering",
        "Junior beleidsmedewerker",
        "Adviseur",
    ),
    ("Beleidsmedewerker", "Adviseur", "Projectleider", "Controller", "Data-analist", "Jurist"),
    (
        "Senior beleidsmedewerker",
        "Coördinerend beleidsmedewerker",
        "Strategisch adviseur",
        "Afdelingshoofd",
    ),
    (
        "Directeur",
        "Plaatsvervangend directeur",
        "Programmadirecteur",
        "Plaatsvervangend secretaris-generaal",
    ),
)
# Salary scales 1-18 (BBRA): most civil servants are in 8-12.
SCALE_WEIGHTS = np.array(
    [0.2, 0.3, 0.5, 1.0, 1.5, 2.0, 3.5, 9.0, 12.0, 13.0, 17.0, 13.0, 8.0, 4.0, 2.5, 1.5, 0.8, 0.4]
)
# Relative headcount, so Defensie is large and AZ small.
DEPARTMENT_SIZE = {
    "AZ": 0.4, "BZ": 3.0, "BZK": 4.0, "DEF": 12.0, "EZ": 2.5, "FIN": 8.0, "IENW": 5.0,
    "JENV": 9.0, "KGG": 1.0, "LVVN": 2.0, "OCW": 2.5, "SZW": 2.0, "VRO": 0.8, "VWS": 3.0,
}  # fmt: skip
EMAIL_DOMAIN = {
    "AZ": "minaz.nl", "BZ": "minbuza.nl", "BZK": "minbzk.nl", "DEF": "mindef.nl",
    "EZ": "minez.nl", "FIN": "minfin.nl", "IENW": "minienw.nl", "JENV": "minjenv.nl",
    "KGG": "minkgg.nl", "LVVN": "minlvvn.nl", "OCW": "minocw.nl", "SZW": "minszw.nl",
    "VRO": "minvro.nl", "VWS": "minvws.nl",
}  # fmt: skip


def seed_departments() -> tuple[str, ...]:
    with (REPO_ROOT / "seeds" / "departments.csv").open(encoding="utf-8") as handle:
        return tuple(row["department_code"] for row in csv.DictReader(handle))


def seed_categories() -> tuple[str, ...]:
    with (REPO_ROOT / "seeds" / "course_categories.csv").open(encoding="utf-8") as handle:
        return tuple(row["category_code"] for row in csv.DictReader(handle))


def band_of_scale(scale: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([7, 10, 12, 14]), scale, side="right")


@dataclass(frozen=True)
class Organisation:
    """Departments in scope and a flat list of org cells (department, directorate, unit, team)."""

    codes: tuple[str, ...]
    weights: np.ndarray
    cell_dept: np.ndarray  # department index of each cell
    directorate: np.ndarray
    unit: np.ndarray
    team: np.ndarray
    cells_of_dept: tuple[np.ndarray, ...]

    def random_cell(self, dept: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        counts = np.array([len(c) for c in self.cells_of_dept])
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        flat = np.concatenate(self.cells_of_dept)
        pick = (rng.random(len(dept)) * counts[dept]).astype(np.int64)
        return flat[offsets[dept] + pick]


def build_organisation(spec: ScaleSpec, rng: np.random.Generator) -> Organisation:
    all_codes = seed_departments()
    codes = (
        all_codes
        if spec.all_departments
        else tuple(c for c in all_codes if c in SHARED_DEPARTMENTS)
    )
    weights = np.array([DEPARTMENT_SIZE.get(c, 1.0) for c in codes])
    cell_dept: list[int] = []
    directorate: list[str] = []
    unit: list[str] = []
    team: list[str] = []
    cells_of_dept: list[np.ndarray] = []
    for d, _code in enumerate(codes):
        start = len(cell_dept)
        n_dir = int(rng.integers(4, 9))
        for dir_name in rng.choice(DIRECTORATES, size=n_dir, replace=False):
            for unit_name in rng.choice(UNITS, size=int(rng.integers(2, 5)), replace=False):
                for team_name in rng.choice(TEAMS, size=int(rng.integers(1, 4)), replace=False):
                    cell_dept.append(d)
                    directorate.append(str(dir_name))
                    unit.append(str(unit_name))
                    team.append(str(team_name))
        cells_of_dept.append(np.arange(start, len(cell_dept)))
    return Organisation(
        codes=codes,
        weights=weights / weights.sum(),
        cell_dept=np.array(cell_dept),
        directorate=np.array(directorate, dtype=object),
        unit=np.array(unit, dtype=object),
        team=np.array(team, dtype=object),
        cells_of_dept=tuple(cells_of_dept),
    )
