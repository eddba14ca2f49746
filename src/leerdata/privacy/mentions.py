"""Free text in other people's rows that names a person.

Evaluation comments name colleagues ("samen met mijn collega Jan de Vries"), and an
invoice line's item name can name a participant. A row *names* a person when every word
of their last name occurs as a word of the text (case-insensitive; "de Vries" is found
by "Vries", a double name "Jansen-Bakker" needs both words). Erasure blanks such text,
and subject access exports it.

The rule errs towards blanking: a comment naming another person of the same last name
is blanked too (the text is never published, so nothing reported changes). A person
named by first name only is not found.

Subject access is the other way round: the export goes to the person, and a text about
someone else of the same last name is that person's data (GDPR art. 15(4)). It lists a
text only where the last name may be the subject's (`may_name`): not after another
first name, other initials or another name prefix ("Zacharias Simons", "(Q.X. Simons)",
"van der Simons" for Lukas Simons). A last name on its own ("met Simons") may be theirs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from leerdata import catalog

# Words are runs of letters and digits in any script (é, ö, ç included).
WORD_SPLIT = r"[^\p{L}\p{N}]+"
WORD_SPLIT_PY = r"[^\w]+"  # the same split in Python (str patterns are Unicode)

# Columns a subject-access export shows of another person's row whose free text names
# the subject: the row's own references, never that row's enrolment id.
SHOWN_WITH_TEXT: dict[str, tuple[str, ...]] = {
    "raw_evaluations": ("evaluation_id", "session_id", "submitted_at"),
    "raw_invoice_lines": ("invoice_id", "line_id"),
    "raw_invoice_allowance_charges": ("invoice_id", "level", "line_id", "sequence"),
}


def free_text() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(raw table, free-text column, columns shown with it): every column the dbt sources
    tag as free text (leerdata.catalog), so a new one is blanked and exported too."""
    return tuple(
        (table, column, (*SHOWN_WITH_TEXT.get(table, ()), column))
        for table, column in catalog.free_text_columns()
    )


def rows_naming_sql(table: str, column: str, prefilter: bool = False) -> str:
    """SQL for the rowids of `table` whose `column` names one of `$names` (last names).

    With `prefilter`, only texts containing `$needle` (lower case) are split into words:
    one person's lookup then reads the texts once instead of splitting all of them.
    """
    needle = f"and contains(lower({column}), $needle)" if prefilter else ""
    return f"""
        with name_words as (
            select name_id, word, count(*) over (partition by name_id) as words_in_name
            from (
                select distinct name_id, unnest(string_split_regex(name_id, '{WORD_SPLIT}'))
                    as word
                from (select distinct lower(unnest($names::varchar[])) as name_id)
            )
            where word <> ''
        ),
        text_words as (
            select distinct rowid as row_id,
                unnest(string_split_regex(lower({column}), '{WORD_SPLIT}')) as word
            from main.{table}
            where {column} is not null {needle}
        ),
        matched as (
            select text_words.row_id
            from text_words
            inner join name_words using (word)
            group by text_words.row_id, name_words.name_id
            having count(distinct word) = max(name_words.words_in_name)
        )
        select distinct row_id from matched
    """


def last_names(
    con: duckdb.DuckDBPyConnection, persons_sql: str, params: object = None
) -> list[str]:
    """The distinct last names (with any earlier spelling) of the persons selected."""
    rows = con.execute(
        f"""
        select distinct last_name from main.raw_hr
        where last_name is not null and trim(last_name) <> ''
          and employee_id in ({persons_sql})
        """,
        params,
    ).fetchall()
    return [row[0] for row in rows]


def blank_text_naming(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Set to NULL every free text that names one of `names` (in the caller's transaction)."""
    if not names:
        return
    for table, column, _ in free_text():
        con.execute(
            f"update main.{table} set {column} = null "
            f"where rowid in ({rows_naming_sql(table, column)})",
            {"names": names},
        )


# Name prefixes (tussenvoegsels) between given name and last name: "Jan van der Berg",
# "E. ter Horst", "Kees van 't Hof". Not the ones that are also common prepositions
# ("aan", "in", "op"): "aanraden aan Simons" names a Simons.
NAME_PREFIX_WORDS = frozenset(
    {"van", "de", "der", "den", "het", "'t", "ter", "ten", "la", "le", "du", "da", "di"}
    | {"del", "della", "des", "von", "zu", "vom", "zur"}
)
_TOKEN = re.compile(r"[\w'’.]+")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+")


@dataclass(frozen=True)
class PersonName:
    """A person's name as HR has it, in the forms free text writes it."""

    last_name: str
    prefix: str  # lower case, "" without one: "van der"
    first_names: frozenset[str]  # lower case
    initials: str  # the letters, upper case: "EL" for "E.L."


def person_names(con: duckdb.DuckDBPyConnection, employee_id: str) -> list[PersonName]:
    """Every spelling of the person's name in the HR history."""
    rows = con.execute(
        "select distinct last_name, name_prefix, first_names, initials from main.raw_hr "
        "where employee_id = $id and last_name is not null and trim(last_name) <> ''",
        {"id": employee_id},
    ).fetchall()
    return [
        PersonName(
            last_name=last,
            prefix=" ".join((prefix or "").lower().split()),
            first_names=frozenset((first or "").lower().split()),
            initials="".join(ch for ch in (initials or "") if ch.isalpha()).upper(),
        )
        for last, prefix, first, initials in rows
    ]


def may_name(text: str, person: PersonName) -> bool:
    """Whether the text may name this person: their last name occurs in it, and not
    after another first name, other initials or another name prefix."""
    tokens = list(_TOKEN.finditer(text))
    words = [token.group().lower().rstrip(".") for token in tokens]
    last = [w for w in re.split(r"[\s-]+", person.last_name.lower()) if w]

    def adjacent(left: int) -> bool:  # only blanks between token left and the next
        return text[tokens[left].end() : tokens[left + 1].start()].strip() == ""

    for start in range(len(words) - len(last) + 1):
        if words[start : start + len(last)] != last:
            continue
        before = start - 1
        prefix: list[str] = []
        while before >= 0 and adjacent(before) and words[before] in NAME_PREFIX_WORDS:
            prefix.insert(0, words[before])
            before -= 1
        if prefix and " ".join(prefix) != person.prefix:
            continue  # "van der Simons" is not Simons
        if before < 0 or not adjacent(before):
            return True  # no given name: it may be them
        given = tokens[before].group()
        if _INITIALS.fullmatch(given):
            letters = "".join(ch for ch in given if ch.isalpha()).upper()
            if person.initials.startswith(letters):
                return True
        elif given[0].isupper() and not given.endswith("."):
            if given.lower() in person.first_names:
                return True
        else:
            return True  # "collega Simons", or a sentence's last word before it
    return False
