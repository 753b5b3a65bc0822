"""The package's layers stay apart: the reference linkers never import the scorer (a linker cannot peek at how it
will be marked), the reference screen and MASH import no generator module (they work from agency files, as a
vendor's system would), the reference MASH never imports the scorer, and nothing but the command line imports
click (the library is usable without it)."""

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


@pytest.mark.parametrize("module", ["screening.py", "reference_checks.py", "reference_mash.py"])
def test_the_reference_systems_import_no_generator_module(module: str) -> None:
    """The reference screen and the reference MASH work from agency files, as a vendor's system would."""
    imported = _imports(PACKAGE / module)
    assert [name for name in imported if name.startswith(GENERATORS)] == []


@pytest.mark.parametrize("module", ["reference_checks.py", "reference_mash.py"])
def test_the_reference_mash_never_imports_the_scorer(module: str) -> None:
    assert [name for name in _imports(PACKAGE / module) if name.startswith("synthgen.evaluation")] == []


def test_only_the_command_line_imports_click() -> None:
    users = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "click" in _imports(p)}
    assert users and all(user.startswith("cli/") for user in users)
