"""The surnames synthgen ships with a named source are what that source gives: scripts/build_surnames.py
re-derives the Faker-sourced rows of reference/data/surnames.csv from Faker (installed by the test extra)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

faker = pytest.importorskip("faker")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_surnames.py"


@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_surnames", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_faker_is_the_release_sources_names(build: ModuleType) -> None:
    assert faker.VERSION == build.FAKER_VERSION


def test_the_shipped_surnames_are_what_faker_gives(build: ModuleType) -> None:
    built = build.build(build.read(), build.faker_surnames())
    assert build.text(built) == build.SURNAMES.read_text(encoding="utf-8")


def test_the_derivation_follows_faker(build: ModuleType) -> None:
    """A different Faker weight gives a different row, so the check above is not vacuous."""
    names = build.faker_surnames()
    shipped = build.read()
    names["Savage"] *= 2
    changed = {row for row in build.build(shipped, names)} ^ set(shipped)
    assert {(group, name) for group, name, _ in changed} == {("english", "Savage")}
    names["Savage"] /= 2
    names["Khan"] *= 2  # a name moved to another group is derived there
    changed = {row for row in build.build(shipped, names)} ^ set(shipped)
    assert {group for group, _, _ in changed} == {"south_asian_muslim"}
