"""The suite runs with `pytest -n 2 --dist loadgroup` (Makefile). A module-scoped fixture
is built once per worker that runs one of its tests, so a module with one must put all its
tests in one xdist group, or an expensive fixture (the retention scenario, an erased copy
of the warehouse, a dashboard server) is built on every worker."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LONGEST_FIRST

TESTS = Path(__file__).resolve().parent
SHARED_SCOPES = {"module", "package"}


def _fixture_scope(decorator: ast.expr) -> str | None:
    if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.fixture"):
        return None
    for keyword in decorator.keywords:
        if keyword.arg == "scope" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return None


def _shared_fixtures(tree: ast.Module) -> list[str]:
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(_fixture_scope(d) in SHARED_SCOPES for d in node.decorator_list)
    ]


def _xdist_groups(tree: ast.Module) -> list[str]:
    """The names given to `pytest.mark.xdist_group(...)` in the module's `pytestmark`."""
    groups = []
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        ):
            continue
        for call in ast.walk(node.value):
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "pytest.mark.xdist_group":
                [name] = [a.value for a in call.args if isinstance(a, ast.Constant)] or [
                    k.value.value
                    for k in call.keywords
                    if k.arg == "name" and isinstance(k.value, ast.Constant)
                ]
                groups.append(str(name))
    return groups


def _modules() -> dict[str, ast.Module]:
    return {
        p.name: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(TESTS.glob("test_*.py"))
    }


def test_every_module_with_a_module_fixture_runs_on_one_worker() -> None:
    ungrouped = {
        name: fixtures
        for name, tree in _modules().items()
        if (fixtures := _shared_fixtures(tree)) and not _xdist_groups(tree)
    }
    assert ungrouped == {}, "add pytestmark = pytest.mark.xdist_group(<module>) to these"


def test_each_group_belongs_to_one_module() -> None:
    # A group shared by two modules would serialise both on one worker for no gain.
    owners: dict[str, list[str]] = {}
    for name, tree in _modules().items():
        for group in _xdist_groups(tree):
            owners.setdefault(group, []).append(name)
    assert {g: m for g, m in owners.items() if len(m) > 1} == {}


def test_the_longest_first_order_names_groups_and_modules_that_exist() -> None:
    # conftest.LONGEST_FIRST puts the long units first; a renamed group would fall back
    # to collection order silently.
    modules = _modules()
    groups = {group for tree in modules.values() for group in _xdist_groups(tree)}
    assert set(LONGEST_FIRST) - groups - set(modules) == set()
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)


def test_xdist_hands_out_units_in_collection_order(pytestconfig: pytest.Config) -> None:
    # xdist's default reorder (by the number of tests per unit) would undo LONGEST_FIRST.
    assert pytestconfig.getoption("loadscopereorder") is False


def test_the_check_sees_a_module_fixture_and_a_group() -> None:
    # Negative control: the parser must see both, or the tests above pass vacuously.
    source = (
        "import pytest\n"
        "pytestmark = [pytest.mark.slow, pytest.mark.xdist_group('x')]\n"
        "@pytest.fixture(scope='module')\n"
        "def built(): ...\n"
    )
    tree = ast.parse(source)
    assert (_shared_fixtures(tree), _xdist_groups(tree)) == (["built"], ["x"])
    assert _xdist_groups(ast.parse("import pytest\npytestmark = pytest.mark.slow\n")) == []


GROUPED_MODULE = """
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("expensive")


@pytest.fixture(scope="module")
def built():
    with Path(os.environ["BUILD_LOG"]).open("a") as log:
        log.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")


@pytest.mark.parametrize("n", range(8))
def test_uses_it(built, n):
    pass
"""


def test_loadgroup_builds_a_grouped_module_fixture_once(tmp_path: Path) -> None:
    # The marks above only help if the installed pytest + xdist honour them: pytest 9.2
    # changed node ids and xdist 3.8 then silently ignored xdist_group (xdist#1386).
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_grouped.py").write_text(GROUPED_MODULE)
    log = tmp_path / "builds.log"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={**os.environ, "BUILD_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(log.read_text().splitlines()) == 1, log.read_text()
