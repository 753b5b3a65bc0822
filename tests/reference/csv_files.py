"""The shipped reference CSVs read as plain text, apart from synthgen's own loaders, so the data tests check the
files themselves rather than what the package makes of them."""

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
