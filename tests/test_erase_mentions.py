"""Free text in other people's rows that names the erased person.

Before, erase cleared only the subject's own comments, and subject access did not
export the rows of colleagues that name the person. Now subject access lists them (text
only, not whose row it is) and erase blanks them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from leerdata.config import DataPaths
from leerdata.duckdb_rows import scalar
from leerdata.privacy.mentions import PersonName, may_name
from leerdata.retention import erase_person

pytestmark = pytest.mark.xdist_group("erase_mentions")

LEERDATA = str(Path(sys.executable).with_name("leerdata"))


@dataclass
class Named:
    paths: DataPaths
    employee_id: str
    last_name: str
    full_name: str
    comments: list[str]  # other people's comments that name the person


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^\w]+", text.lower()) if w}


def _names_the_person(text: str | None, last_name: str) -> bool:
    return text is not None and _words(last_name) <= _words(text)


def _pick(paths: DataPaths) -> Named:
    """A person whose full name is in a comment on someone else's enrolment."""
    with duckdb.connect(str(paths.restricted_db), read_only=True) as con:
        row = con.execute(
            """
            with people as (
                select employee_id, any_value(last_name) as last_name,
                    any_value(concat_ws(' ', split_part(first_names, ' ', 1), name_prefix,
                        last_name)) as full_name
                from raw_hr where last_name is not null group by employee_id
            )
            select people.employee_id, people.last_name, people.full_name
            from people
            inner join raw_evaluations as e on contains(e.comment, people.full_name)
            left join raw_enrolments as own
                on own.enrolment_id = e.enrolment_id and own.employee_id = people.employee_id
            where own.enrolment_id is null
            group by all
            order by count(*) desc, people.employee_id
            limit 1
            """
        ).fetchone()
        assert row is not None, "tiny data has comments naming colleagues"
        comments = [
            c
            for (c,) in con.execute(
                "select comment from raw_evaluations where comment is not null"
            ).fetchall()
            if _names_the_person(c, row[1])
        ]
    return Named(paths, row[0], row[1], row[2], comments)


@pytest.fixture(scope="module")
def named(tiny_warehouse: DataPaths, tmp_path_factory: pytest.TempPathFactory) -> Named:
    target = tmp_path_factory.mktemp("mentions") / "data"
    shutil.copytree(tiny_warehouse.root, target, ignore=shutil.ignore_patterns("logs"))
    return _pick(DataPaths.of(target))


def test_subject_access_lists_colleagues_text_that_names_the_person(
    named: Named, tmp_path: Path
) -> None:
    out = tmp_path / "subject.json"
    run = subprocess.run(
        [LEERDATA, "subject-access", "--employee-id", named.employee_id,
         "--data-dir", str(named.paths.root), "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    mentions = json.loads(out.read_text())["named_in_free_text_of_others"]
    listed = [r["comment"] for r in mentions["raw_evaluations"]]
    assert any(named.full_name in c for c in listed)
    assert all(_names_the_person(c, named.last_name) for c in listed)
    assert all("enrolment_id" not in r for r in mentions["raw_evaluations"])


def test_erase_blanks_other_peoples_text_that_names_the_person(named: Named) -> None:
    assert named.comments
    erase_person(named.paths, named.employee_id, show_progress=False)
    with duckdb.connect(str(named.paths.restricted_db), read_only=True) as con:
        left = [
            c
            for (c,) in con.execute(
                "select comment from raw_evaluations where comment is not null"
            ).fetchall()
            if _names_the_person(c, named.last_name)
        ]
        items = [
            i
            for (i,) in con.execute(
                "select item_name from raw_invoice_lines where item_name is not null"
            ).fetchall()
            if _names_the_person(i, named.last_name)
        ]
        kept = scalar(con, "select count(comment) from raw_evaluations")
    assert left == [] and items == []
    assert kept > 0, "comments that name nobody erased stay"
    assert named.full_name.encode() not in named.paths.restricted_db.read_bytes()


def test_subject_access_leaves_out_text_naming_someone_else_of_the_same_last_name(
    tiny_warehouse: DataPaths, tmp_path: Path
) -> None:
    """Subject access hands the export to the person: text that names another person of
    the same last name is that person's data, not theirs (GDPR art. 15(4)). Erasure
    still blanks it (the rule errs towards erasing; test above)."""
    target = tmp_path / "data"
    shutil.copytree(tiny_warehouse.root, target, ignore=shutil.ignore_patterns("logs"))
    paths = DataPaths.of(target)
    named = _pick(paths)  # the module's subject is erased by the test above
    with duckdb.connect(str(paths.restricted_db)) as con:
        first_names, initials, prefix = con.execute(
            "select any_value(first_names), any_value(initials), any_value(name_prefix) "
            "from raw_hr where employee_id = ?",
            [named.employee_id],
        ).fetchone() or (None, None, None)
        assert first_names and initials, "the subject has first names and initials"
        surname = " ".join(p for p in (prefix, named.last_name) if p)
        first = first_names.split(" ")[0]
        others = ("Zacharias", "Q.X.", f"{first} van der")
        texts = {
            # names the subject: exported
            f"Samen met mijn collega {first} {surname} gevolgd.": True,
            f"Agile werken ({initials} {surname})": True,
            f"Goed gesprek met {named.last_name} gehad.": True,  # who, the text cannot say
            # names someone else of the same last name: not exported
            f"Samen met mijn collega {others[0]} {named.last_name} gevolgd.": False,
            f"Agile werken ({others[1]} {named.last_name})": False,
            f"Ik zou dit aanraden aan {others[2]} {named.last_name}.": False,
        }
        rows = con.execute(
            "select e.evaluation_id from raw_evaluations as e "
            "left join raw_enrolments as own on own.enrolment_id = e.enrolment_id "
            "and own.employee_id = ? where own.enrolment_id is null "
            "order by e.evaluation_id limit ?",
            [named.employee_id, len(texts)],
        ).fetchall()
        for (evaluation_id,), text in zip(rows, texts, strict=True):
            con.execute(
                "update raw_evaluations set comment = ? where evaluation_id = ?",
                [text, evaluation_id],
            )
    out = tmp_path / "subject.json"
    run = subprocess.run(
        [LEERDATA, "subject-access", "--employee-id", named.employee_id,
         "--data-dir", str(target), "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    listed = {
        r["comment"]
        for r in json.loads(out.read_text())["named_in_free_text_of_others"]["raw_evaluations"]
    }
    assert {text for text, exported in texts.items() if exported} <= listed
    assert not {text for text, exported in texts.items() if not exported} & listed
    for text in listed:  # nothing else naming another given name of that last name
        assert not any(other in text for other in others), text


LUKAS = PersonName("Jansen-Bakker", "van", frozenset({"lukas", "pieter"}), "LP")


@pytest.mark.parametrize(
    ("text", "theirs"),
    [
        ("Samen met Lukas van Jansen-Bakker gevolgd.", True),
        ("Samen met Pieter Jansen-Bakker gevolgd.", True),  # the prefix left out
        ("Agile werken (L.P. van Jansen-Bakker)", True),
        ("Agile werken (L. Jansen-Bakker)", True),
        ("Goed gesprek met Jansen-Bakker.", True),  # who, the text cannot say
        ("Dat was goed. Jansen-Bakker was er ook.", True),  # a sentence before it
        ("Samen met Karel van Jansen-Bakker gevolgd.", False),
        ("Agile werken (K.L. Jansen-Bakker)", False),
        ("Samen met Lukas van der Jansen-Bakker gevolgd.", False),
        ("Samen met Lukas Jansen gevolgd.", False),  # half the last name
    ],
)
def test_a_text_may_name_the_person_unless_it_names_another_of_that_name(
    text: str, theirs: bool
) -> None:
    assert may_name(text, LUKAS) is theirs
