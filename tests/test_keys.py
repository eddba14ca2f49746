"""The pseudonymisation key: where it lives, who may read it, and that it never leaks."""

from __future__ import annotations

import functools
import hashlib
import hmac
import multiprocessing
import os
import re
import shutil
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest

from leerdata.config import DataPaths
from leerdata.duckdb_rows import scalar
from leerdata.errors import LeerdataError
from leerdata.ingest.schema import create_raw_tables
from leerdata.privacy.cell_keys import SALT_FUNCTION, cell_key_salt
from leerdata.privacy.keys import (
    KEY_BYTES,
    KEY_FILE_ENV,
    default_key_file,
    ensure_outside,
    key_file_path,
    load_or_create_key,
)
from leerdata.privacy.pseudonyms import (
    PSEUDONYM_HEX_CHARS,
    Pseudonymiser,
    domain_key,
    hmac_pads,
)
from leerdata.privacy.scan import files_containing, tables_containing
from leerdata.privacy.udf import PAD_UDF_NAME, register_build_functions, register_pseudonym_udf

LEERDATA = str(Path(sys.executable).with_name("leerdata"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- where the key lives -------------------------------------------------------------


def test_created_on_first_use_with_32_random_bytes_and_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "pseudonym.key"
    key = load_or_create_key(path)
    assert len(key) == KEY_BYTES
    assert _mode(path) == 0o600
    assert bytes.fromhex(path.read_text().strip()) == key
    assert load_or_create_key(path) == key, "a second use must read, not recreate"
    assert load_or_create_key(tmp_path / "other.key") != key, "keys must be random"


def test_default_location_honours_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "leerdata" / "pseudonym.key"
    assert key_file_path() == expected
    load_or_create_key()
    assert expected.exists() and _mode(expected) == 0o600


def test_default_location_without_xdg_is_under_home_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_key_file() == tmp_path / "home" / ".config" / "leerdata" / "pseudonym.key"


def test_env_var_names_the_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "my.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(target))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    load_or_create_key()
    assert target.exists()
    assert not (tmp_path / "xdg").exists()


# --- refusing unsafe keys --------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_refuses_key_readable_by_group_or_others(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "pseudonym.key"
    load_or_create_key(path)
    path.chmod(mode)
    with pytest.raises(LeerdataError, match=r"chmod 600"):
        load_or_create_key(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [("not hex at all", "hex"), ("ab" * 16, "16 bytes"), ("", "0 bytes")],
)
def test_refuses_malformed_key(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(LeerdataError, match=message):
        load_or_create_key(path)


def test_refuses_key_inside_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(LeerdataError, match="inside the data dir"):
        ensure_outside(data_dir, data_dir / "sub" / "pseudonym.key")
    ensure_outside(data_dir, tmp_path / "pseudonym.key")  # beside it is fine


def test_build_refuses_key_inside_data_dir_with_one_line(tmp_path: Path) -> None:
    paths = DataPaths.of(tmp_path / "data")
    paths.warehouse.mkdir(parents=True)
    with duckdb.connect(str(paths.restricted_db)) as con:
        create_raw_tables(con)
    env = {**os.environ, KEY_FILE_ENV: str(paths.root / "pseudonym.key")}
    run = subprocess.run(
        [LEERDATA, "build", "--data-dir", str(paths.root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "inside the data dir" in lines[0], run.stderr
    assert not (paths.root / "pseudonym.key").exists(), "no key may be created in the data dir"


def _race(path: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue):
    barrier.wait()
    try:
        out.put(load_or_create_key(Path(path)).hex())
    except Exception as exc:  # the test reports it
        out.put(f"error: {exc}")


def test_concurrent_first_use_yields_one_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    workers = 8
    for round_ in range(5):
        path = tmp_path / f"round{round_}" / "pseudonym.key"
        barrier = ctx.Barrier(workers)
        out = ctx.Queue()
        procs = [ctx.Process(target=_race, args=(str(path), barrier, out)) for _ in range(workers)]
        for proc in procs:
            proc.start()
        results = [out.get(timeout=30) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
        assert not [r for r in results if r.startswith("error")], results
        assert len(set(results)) == 1, f"round {round_}: {len(set(results))} different keys"
        assert bytes.fromhex(path.read_text().strip()).hex() == results[0]
        assert sorted(p.name for p in path.parent.iterdir()) == ["pseudonym.key"], "temp left"


# --- pseudonyms ------------------------------------------------------------------------

IDS = [f"E{n:06d}" for n in range(200)]


def test_pseudonyms_are_deterministic_per_key_and_domain() -> None:
    key = bytes(range(32))
    first = Pseudonymiser(key, "reporting").many(IDS)
    again = Pseudonymiser(key, "reporting").many(IDS)
    assert first == again
    assert len(set(first)) == len(IDS)
    assert all(p is not None and len(p) == PSEUDONYM_HEX_CHARS and int(p, 16) >= 0 for p in first)
    assert all(
        p is not None and p not in IDS and i not in p for p, i in zip(first, IDS, strict=True)
    )


def test_pseudonyms_differ_across_domains_and_keys() -> None:
    key = bytes(range(32))
    reporting = set(Pseudonymiser(key, "reporting").many(IDS))
    research = set(Pseudonymiser(key, "research-2025-1").many(IDS))
    other_key = set(Pseudonymiser(bytes(32), "reporting").many(IDS))
    assert not reporting & research, "domains must not be linkable"
    assert not reporting & other_key
    assert domain_key(key, "reporting") != domain_key(key, "research-2025-1")
    with pytest.raises(ValueError):
        domain_key(key, "")


def test_udf_matches_python_pseudonyms() -> None:
    key = os.urandom(32)
    with duckdb.connect() as con:
        register_pseudonym_udf(con, key)
        rows = con.execute(
            "select leerdata_pseudonym(domain, id) from (values "
            "('reporting', 'E1'), ('reporting', NULL), ('research-x', 'E1')) t(domain, id)"
        ).fetchall()
        single_domain = con.execute(
            "select leerdata_pseudonym('reporting', id) from unnest(?) t(id)", [IDS]
        ).fetchall()
    assert [r[0] for r in rows] == [
        Pseudonymiser(key, "reporting").one("E1"),
        None,
        Pseudonymiser(key, "research-x").one("E1"),
    ]
    assert [r[0] for r in single_domain] == Pseudonymiser(key, "reporting").many(IDS)


# --- the key never leaks ---------------------------------------------------------------


def _key_needles(key: bytes) -> tuple[list[str], list[bytes]]:
    """The secret, the reporting domain key, its HMAC blocks and the cell key salt, as text
    and as raw bytes."""
    derived = domain_key(key, "reporting")
    blocks = hmac_pads(key, "reporting")  # what the pseudonymise macro's queries hold
    salt = cell_key_salt(key)  # what the record_key macro's queries hold
    texts = [key.hex(), derived.hex(), *(block.hex() for block in blocks), salt]
    raw = [key, derived, key.hex().encode(), key.hex().upper().encode(), derived.hex().encode()]
    raw += [*blocks, *(block.hex().encode() for block in blocks), salt.encode()]
    return texts, raw


def _scan(paths: DataPaths, key: bytes) -> list[str]:
    texts, raw = _key_needles(key)
    found = [h.where for h in files_containing(_places(paths), raw)]
    for db in (paths.restricted_db, paths.reporting_db):
        found += [h.where for h in tables_containing(db, texts)]
    return found


def _places(paths: DataPaths) -> list[Path]:
    return [
        paths.restricted_db,
        paths.reporting_db,
        paths.dbt_target,
        paths.dbt_logs,
        paths.logs,
        paths.exports,
    ]


def test_key_absent_from_databases_dbt_artifacts_logs_and_exports(
    tiny_warehouse: DataPaths, key_file: Path
) -> None:
    paths = tiny_warehouse
    with duckdb.connect(str(paths.reporting_db), read_only=True) as con:
        keyed = scalar(
            con, "select count(*) from duckdb_columns() where column_name = 'enrolment_key'"
        )
    assert keyed > 0, "the build must hold pseudonyms, or the scan proves little"
    assert (paths.dbt_target / "manifest.json").exists(), "the scan must see dbt's artifacts"
    assert list(paths.dbt_logs.glob("*.log")), "the scan must see dbt's logs"
    assert _scan(paths, load_or_create_key(key_file)) == []


def test_scanner_finds_a_planted_key(
    tiny_warehouse: DataPaths, key_file: Path, tmp_path: Path
) -> None:
    """Without this the test above could pass by scanning nothing. (That test found the
    warehouse this copy is made of clean; every place planted below is new.)"""
    copy = DataPaths.of(tmp_path / "copy")
    shutil.copytree(tiny_warehouse.root, copy.root)
    key = load_or_create_key(key_file)
    assert not (copy.dbt_target / "compiled.sql").exists()
    with duckdb.connect(str(copy.reporting_db)) as con:
        con.execute("create table planted as select ? as note", [f"key={key.hex()}"])
    copy.logs.mkdir(parents=True, exist_ok=True)
    (copy.logs / "planted.log").write_bytes(b"secret " + key)
    (copy.dbt_target / "compiled.sql").write_text(f"select '{key.hex().upper()}'")
    copy.dbt_logs.mkdir(parents=True, exist_ok=True)
    (copy.dbt_logs / "salt.log").write_text(f"set variable s = '{cell_key_salt(key)}'")
    found = _scan(copy, key)
    assert "reporting.duckdb.planted.note" in found
    assert str(copy.logs / "planted.log") in found
    assert str(copy.dbt_target / "compiled.sql") in found
    assert str(copy.dbt_logs / "salt.log") in found


def test_udf_on_repeated_ids_and_nulls_across_many_batches_matches_one_by_one() -> None:
    key = os.urandom(32)
    ids = [None if i % 97 == 0 else f"E{i % 313}" for i in range(20_000)]
    with duckdb.connect() as con:
        register_pseudonym_udf(con, key)
        got = con.execute(
            "select leerdata_pseudonym('reporting', id) from unnest(?) with ordinality t(id, n) "
            "order by n",
            [ids],
        ).fetchall()
    reference = Pseudonymiser(key, "reporting")
    assert [r[0] for r in got] == [reference.one(i) for i in ids]


def test_udf_does_not_import_pandas() -> None:
    """Every build's first pseudonym used to import pandas (~1.2 s, inside dbt's run)."""
    script = (
        "import os, sys, duckdb\n"
        "from leerdata.privacy.udf import register_pseudonym_udf\n"
        "con = duckdb.connect()\n"
        "register_pseudonym_udf(con, os.urandom(32))\n"
        "con.execute(\"select leerdata_pseudonym('reporting', 'E' || range) from range(5000)\")"
        ".fetchall()\n"
        "print('pandas' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False", run.stderr


def test_pseudonyms_are_hmac_sha256_under_the_domain_key() -> None:
    """The digest computed from the two precomputed states is the standard library's
    HMAC, so pseudonyms written by earlier builds stay valid (values longer than a
    SHA-256 block, empty and non-ASCII ones included)."""
    key = os.urandom(32)
    values = ["E1", "", "Zoë Ångström", "x" * 200, "EN-2026-000001"]
    for domain in ("reporting", "research-2025-1"):
        derived = domain_key(key, domain)
        expected = [
            hmac.new(derived, v.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]
            for v in values
        ]
        worker = Pseudonymiser(key, domain)
        assert [worker.one(v) for v in values] == expected
        assert worker.many(values) == expected


MACROS = Path(__file__).resolve().parents[1] / "dbt_project" / "macros"


def _macro_sql(file_name: str, call: str) -> str:
    """What a call of a dbt macro renders (plain Jinja: these use no dbt builtin)."""
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        (MACROS / file_name).read_text(encoding="utf-8") + "{{ " + call + " }}"
    )
    return template.render()


def test_pseudonymise_macro_is_hmac_sha256_under_the_domain_key() -> None:
    """The dbt macro hashes in DuckDB (sha256 around the key's two blocks): its output is
    the standard library's HMAC, truncated as the Python pseudonyms are, NULL for NULL,
    for values longer than a block, empty and non-ASCII ones, in two domains."""
    key = os.urandom(32)
    values = ["E1", "", "Zoë Ångström", "x" * 200, "EN-2026-000001", None]
    with duckdb.connect() as con:
        register_pseudonym_udf(con, key)
        for domain in ("reporting", "research-2025-1"):
            derived = domain_key(key, domain)
            expected = [
                None
                if v is None
                else hmac.new(derived, v.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]
                for v in values
            ]
            call = f"pseudonymise('v', '{domain}')"
            got = con.execute(
                f"select {_macro_sql('pseudonymise.sql', call)} "
                "from unnest(?) with ordinality t(v, n) order by n",
                [values],
            ).fetchall()
            assert [row[0] for row in got] == expected, domain


class _CountingFunctions:
    """A connection whose Python functions count their calls (by function name)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.counted: Counter[str] = Counter()

    def create_function(
        self, name: str, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        @functools.wraps(function)  # DuckDB reads the parameters from the signature
        def counting(*values: Any) -> Any:
            self.counted[name] += 1
            return function(*values)

        return self._con.create_function(name, counting, *args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._con, attribute)


# (macro file, its call on column v, the function that hands it a secret, the calls of
# that function one query may make)
SECRET_USING_MACROS = {
    "pseudonymise": ("pseudonymise.sql", "pseudonymise('v', 'reporting')", PAD_UDF_NAME, 2),
    "record_key": ("cell_key.sql", "record_key('v')", SALT_FUNCTION, 1),
}


def _printed(con: duckdb.DuckDBPyConnection, key: bytes) -> list[str]:
    """The key material as DuckDB prints values in a plan: the HMAC blocks as BLOB
    text (printable bytes as they are, others \\xHH), and every needle as text."""
    texts, _ = _key_needles(key)
    blocks = [scalar(con, "select ?::BLOB::VARCHAR", [b]) for b in hmac_pads(key, "reporting")]
    return [*texts, *blocks]


@pytest.mark.parametrize("macro", sorted(SECRET_USING_MACROS))
def test_plans_and_profiles_of_a_query_using_the_key_hold_no_key_material(
    macro: str, tmp_path: Path
) -> None:
    """What an operator may print of a query that uses the key (EXPLAIN, EXPLAIN
    ANALYZE, DuckDB's profiling file) must not show the HMAC blocks (the domain key
    follows from them) or the cell key salt (the perturbation's noise follows from it).
    A function DuckDB folds into a constant is printed as its value."""
    file_name, call, function, calls_per_query = SECRET_USING_MACROS[macro]
    key = os.urandom(32)
    expression = _macro_sql(file_name, call)
    query = f"select {expression} from unnest(?) with ordinality t(v, n) order by n"
    # the same query with the secret written in, as a reference for its result
    reference = query.replace(f"{SALT_FUNCTION}()", f"'{cell_key_salt(key)}'")
    profile = tmp_path / "profile.json"
    with duckdb.connect() as con:
        calls = _CountingFunctions(con)
        register_build_functions(calls, key)  # type: ignore[arg-type]
        needles = _printed(con, key)
        outputs = [
            "\n".join(row[-1] for row in con.execute(f"{prefix} {query}", [IDS]).fetchall())
            for prefix in ("explain", "explain analyze")
        ]
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{profile}'")
        calls.counted.clear()
        values = [row[0] for row in con.execute(query, [IDS]).fetchall()]
        con.execute("pragma disable_profiling")
        expected = (
            Pseudonymiser(key, "reporting").many(IDS)
            if macro == "pseudonymise"
            else [row[0] for row in con.execute(reference, [IDS]).fetchall()]
        )
    outputs.append(profile.read_text(encoding="utf-8"))
    assert values == expected and None not in values  # the query did its work
    # not folded, yet not called per row either (a million rows would take minutes
    # through a per-row Python function)
    assert calls.counted == Counter({function: calls_per_query})
    assert "md5" in outputs[0].lower() or "sha256" in outputs[0].lower(), "no plan shown"
    leaked = [
        (needle[:12], where)
        for needle in needles
        for where, output in zip(("explain", "explain analyze", "profile"), outputs, strict=True)
        if needle.lower() in output.lower()
    ]
    assert leaked == []


def test_built_pseudonyms_are_the_python_pseudonyms(
    tiny_warehouse: DataPaths, key_file: Path
) -> None:
    """Every enrolment of a real build has the pseudonyms the Python code computes for it
    (erasure and subject access find a person's rows by those)."""
    reporting = Pseudonymiser(load_or_create_key(key_file), "reporting")
    with duckdb.connect(str(tiny_warehouse.restricted_db), read_only=True) as con:
        rows = con.execute(
            """
            select staged.enrolment_id, staged.enrolment_key, staged.person_key,
                list(distinct raw.employee_id) as employee_ids
            from stg_lms__enrolments as staged
            inner join raw_enrolments as raw on raw.enrolment_id = staged.enrolment_id
            group by all
            """
        ).fetchall()
    assert len(rows) > 100
    for enrolment_id, enrolment_key, person_key, employee_ids in rows:
        assert enrolment_key == reporting.one(enrolment_id)
        assert person_key in {reporting.one(employee) for employee in employee_ids}


def test_pseudonym_memory_keeps_recurring_people_among_one_off_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An enrolment export: each row a new enrolment id and a person who recurs. The
    memory is bounded, the results are those of `one`, and each person is hashed once
    although the enrolment ids fill the memory many times over."""
    key = os.urandom(32)
    worker = Pseudonymiser(key, "reporting")
    worker.GENERATION_SIZE = 8
    computed: list[str] = []
    compute = worker.one

    def counted(value: str) -> str:
        computed.append(value)
        return compute(value)

    monkeypatch.setattr(worker, "one", counted)
    people = [f"P{i}" for i in range(3)]
    values = [v for n in range(60) for v in (f"EN{n}", people[n % len(people)])]
    got = [worker.many([v])[0] for v in values]
    assert got == [Pseudonymiser(key, "reporting").one(v) for v in values]
    assert sorted(v for v in computed if v.startswith("P")) == people
    assert len(worker._recent) <= 8 and len(worker._older) <= 8


def test_dbt_logs_at_info_as_production_does(tiny_warehouse: DataPaths) -> None:
    """Every build logs to dbt.log at info (its debug level, with every statement, was a
    fifth of a small build's time): the node results are there, the debug lines not."""
    log = (tiny_warehouse.dbt_logs / "dbt.log").read_text(encoding="utf-8")
    assert re.search(r"OK created .*model .*\bmart_participation\b", log)
    assert "[debug]" not in log
