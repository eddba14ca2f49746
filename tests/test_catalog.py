"""One list of identifier columns, pseudonyms and published marts: the dbt YAML's tags.

Retention, erasure, subject access, the leak test and the dashboards' allow-list read
leerdata.catalog; these tests show that a tag in the YAML is all it takes for each of them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dashboards import data
from leerdata import catalog
from leerdata.privacy.mentions import free_text
from leerdata.retention import mutate
from tests import leak_checker

SOURCES_YAML = """
version: 2
sources:
  - name: hr
    tables:
      - name: raw_hr
        columns:
          - name: employee_id
            config: {meta: {pii: true}}
          - name: shoe_size
            config: {meta: {pii: true, common_values: true}}
          - name: department_code
      - name: raw_notes
        columns:
          - name: note
            config: {meta: {pii: true, free_text: true}}
"""
MODELS_YAML = """
version: 2
models:
  - name: stg_people
    columns:
      - name: person_key
        config: {meta: {pseudonym: true}}
exposures:
  - name: page_one
    type: dashboard
    depends_on: ["ref('mart_one')", "ref( \\"mart_two\\" )"]
  - name: notebook
    type: notebook
    depends_on: ["ref('mart_three')"]
"""


def test_tags_in_yaml_are_the_lists(tmp_path: Path) -> None:
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "_hr__sources.yml").write_text(SOURCES_YAML, encoding="utf-8")
    (tmp_path / "_models.yml").write_text(MODELS_YAML, encoding="utf-8")
    assert catalog.pii_columns(tmp_path) == (
        catalog.PiiColumn("raw_hr", "employee_id", free_text=False),
        catalog.PiiColumn("raw_hr", "shoe_size", free_text=False, common_values=True),
        catalog.PiiColumn("raw_notes", "note", free_text=True),
    )
    assert catalog.pseudonym_columns(tmp_path) == {"person_key"}
    assert catalog.exposed_models("dashboard", tmp_path) == {"mart_one", "mart_two"}


def test_the_projects_identifiers_are_tagged() -> None:
    hr = set(catalog.identifier_columns("raw_hr"))
    assert {"employee_id", "last_name", "email", "birth_date", "birth_place"} <= hr
    assert len(hr) == 13  # the personnel number and the 12 columns erasure sets to NULL
    assert catalog.identifier_columns("raw_enrolments") == ("employee_id",)
    assert set(catalog.free_text_columns()) == {
        ("raw_evaluations", "comment"),
        ("raw_invoice_lines", "item_name"),
        ("raw_invoice_allowance_charges", "reason"),
    }
    assert catalog.pseudonym_columns() == {"person_key", "enrolment_key"}


def test_every_reader_takes_the_tagged_list() -> None:
    hr = catalog.identifier_columns("raw_hr")
    assert mutate.hr_identifiers() == tuple(c for c in hr if c != "employee_id")
    assert {(t, c) for t, c, _ in free_text()} == set(catalog.free_text_columns())
    scanned = {(t, c) for _, t, c in leak_checker.SENSITIVE_VALUES}
    assert scanned == {(c.table, c.column) for c in catalog.pii_columns() if not c.common_values}
    assert {"employee_id", "email", "last_name", "partner_last_name", "birth_date", "comment"} <= {
        c for _, c in scanned
    }
    assert catalog.exposed_models("dashboard") == data.PUBLISHED_MARTS
    assert {"person_key", "enrolment_key", "employee_id", "email"} <= data.FORBIDDEN_COLUMNS


def test_erasure_sets_every_tagged_hr_column_to_null() -> None:
    hr = catalog.identifier_columns("raw_hr")
    columns = ", ".join(f"{c} varchar" for c in hr)
    with duckdb.connect() as con:
        con.execute(f"create table raw_hr ({columns}, department_code varchar)")
        con.execute("create table raw_enrolments (employee_id varchar)")
        values = ", ".join("'x'" if c != "employee_id" else "'E1'" for c in hr)
        con.execute(f"insert into raw_hr values ({values}, 'VWS')")
        con.execute(
            "create temp table _person_surrogates as select 'E1' as employee_id, 'S1' as surrogate"
        )
        mutate.erase_persons(con)
        row = con.execute("select * from raw_hr").fetchone()
        names = [d[0] for d in con.description]
    assert row is not None
    erased = dict(zip(names, row, strict=True))
    assert erased.pop("employee_id") == "S1" and erased.pop("department_code") == "VWS"
    assert erased == dict.fromkeys(erased, None) and len(erased) == len(hr) - 1
