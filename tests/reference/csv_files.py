"""The shipped reference CSVs read as plain text, apart from synthgen's own loaders, so the data tests check the
files themselves rather than what the package makes of them; and the checks every such file must pass."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA = Path(__file__).parents[2] / "synthgen/reference/data"


@cache
def read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        data = list(reader)
        return list(reader.fieldnames or []), data


def rows(name: str) -> list[dict[str, str]]:
    return read(name)[1]


def assert_exact_header(name: str, header: list[str]) -> None:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == header


def assert_well_formed(name: str) -> None:
    """Rows present, none ragged, no empty field, no stray whitespace, no row twice."""
    header, data = read(name)
    assert data, f"{name} has no rows"
    seen: set[tuple[str, ...]] = set()
    for i, row in enumerate(data, start=2):
        assert None not in row, f"{name} line {i}: too many fields"
        for column in header:
            value = row[column]
            assert value is not None and value.strip() != "", f"{name} line {i}: empty {column}"
            assert value == value.strip(), f"{name} line {i}: stray whitespace in {column}"
        key = tuple(row[c] for c in header)
        assert key not in seen, f"{name} line {i}: duplicate row {key}"
        seen.add(key)
