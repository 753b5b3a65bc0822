"""The package's layers stay apart: the reference linkers never import the scorer (a linker cannot peek at how it
will be marked), screening imports no generator module (it works from agency files, as a vendor's screen would),
and nothing but the command line imports click (the library is usable without it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "synthgen"
GENERATORS = ("synthgen.world", "synthgen.agencies", "synthgen.quality", "synthgen.pipeline")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in (PACKAGE / "linkage").glob("*.py")))
def test_the_linkers_never_import_the_scorer(module: str) -> None:
    assert [name for name in _imports(PACKAGE / "linkage" / module) if name.startswith("synthgen.evaluation")] == []


def test_screening_imports_no_generator_module() -> None:
    imported = _imports(PACKAGE / "screening.py")
    assert [name for name in imported if name.startswith(GENERATORS)] == []


def test_only_the_command_line_imports_click() -> None:
    users = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "click" in _imports(p)}
    assert users == {"cli.py"}
