"""Re-derive the Faker-sourced rows of synthgen/reference/data/surnames.csv from Faker itself.

    pip install -e '.[reference]'
    python scripts/build_surnames.py            # say whether the shipped file is what Faker gives (exit 1 if not)
    python scripts/build_surnames.py --write    # rewrite the file from Faker (after a deliberate change)

The derivation is the one SOURCES.md describes ("surnames.csv"). Faker's en_GB surnames carry weights that Faker
attributes to the ONS; they become:
- the `english` group: every Faker surname except the 17 that belong to other naming traditions, weighted by the
  Faker weight times a scale (the median, over the 11 commonest surnames, of their share of the population in
  uk-facts.md E over their Faker weight: 1.1714), the 11 themselves set to those shares; sorted by weight, then
  name;
- the 17 moved-out names keep their scaled Faker weight in their own groups (`south_asian_muslim`,
  `south_asian_hindu_sikh`, `chinese`), whose other names (design lists, kept in the shipped file's order) are
  weighted from the smallest sourced weight of the group: smallest x 6 / (k + 6) for the k-th of them.
Every other group is a design list and is left as it is. Weights are rounded to four decimals.

Faker is a build-time vocabulary source, not a runtime dependency: synthgen reads the CSV, and this script (with
its test, tests/scripts/test_build_surnames.py) shows that the shipped rows are what the named source gives.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

SURNAMES = Path(__file__).resolve().parents[1] / "synthgen" / "reference" / "data" / "surnames.csv"
FAKER_VERSION = "40.63.0"
"""The Faker release SOURCES.md names (its en_GB surname list and weights)."""
TOP_SHARES = {
    "Smith": 1.37,
    "Jones": 1.14,
    "Williams": 0.73,
    "Taylor": 0.63,
    "Brown": 0.58,
    "Davies": 0.58,
    "Evans": 0.47,
    "Thomas": 0.41,
    "Wilson": 0.39,
    "Roberts": 0.38,
    "Johnson": 0.37,
}
"""The commonest surnames' share of the population, % (uk-facts.md E)."""
MOVED = {
    "south_asian_hindu_sikh": ("Patel", "Singh", "Kaur", "Shah"),
    "south_asian_muslim": (
        "Khan",
        "Begum",
        "Ali",
        "Hussain",
        "Ahmed",
        "Iqbal",
        "Akhtar",
        "Mahmood",
        "Bibi",
        "Miah",
        "Rahman",
    ),
    "chinese": ("Chan", "Wong"),
}
"""Faker en_GB surnames that belong to another naming tradition, and the group each moves to."""
SOURCED = frozenset(name for names in MOVED.values() for name in names)
PLACES = Decimal("0.0001")

Row = tuple[str, str, str]


def faker_surnames() -> dict[str, float]:
    """Faker's en_GB surnames and their weights (the `reference` extra installs the release SOURCES.md names)."""
    from faker.providers.person.en_GB import Provider

    return dict(Provider.last_names)


def _rounded(value: Decimal) -> float:
    return float(value.quantize(PLACES, rounding=ROUND_HALF_UP))


def build(shipped: list[Row], faker: dict[str, float]) -> list[Row]:
    """The surnames table with its Faker-sourced parts re-derived from `faker`, and the rest as `shipped` has it."""
    scale = round(statistics.median(TOP_SHARES[name] / faker[name] for name in TOP_SHARES), 4)

    def scaled(name: str) -> float:
        return _rounded(Decimal(str(faker[name])) * Decimal(str(scale)))

    english = sorted(
        ((name, TOP_SHARES.get(name, scaled(name))) for name in faker if name not in SOURCED),
        key=lambda item: (-item[1], item[0]),
    )
    rows: list[Row] = [("english", name, repr(weight)) for name, weight in english]
    for group in dict.fromkeys(row[0] for row in shipped):
        names = [name for g, name, _ in shipped if g == group]
        if group == "english":
            continue
        if group not in MOVED:
            rows += [row for row in shipped if row[0] == group]
            continue
        smallest = min(scaled(name) for name in names if name in SOURCED)
        designed = 0
        for name in names:
            if name in SOURCED:
                weight = scaled(name)
            else:
                designed += 1
                weight = round(smallest * 6 / (designed + 6), 4)
            rows.append((group, name, repr(weight)))
    return rows


def read(path: Path = SURNAMES) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as file:
        return [(row["name_group"], row["name"], row["weight"]) for row in csv.DictReader(file)]


def text(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("name_group", "name", "weight"))
    writer.writerows(rows)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite surnames.csv from Faker")
    args = parser.parse_args()
    shipped = read()
    built = build(shipped, faker_surnames())
    if args.write:
        SURNAMES.write_text(text(built), encoding="utf-8")
        print(f"wrote {SURNAMES} ({len(built)} rows)")
        return 0
    differing = [(old, new) for old, new in zip(shipped, built, strict=False) if old != new]
    if len(shipped) != len(built) or differing:
        print(f"{SURNAMES.name} differs from Faker's list: {len(shipped)} rows shipped, {len(built)} derived")
        for old, new in differing[:20]:
            print(f"  shipped {','.join(old)}  derived {','.join(new)}")
        return 1
    print(f"{SURNAMES.name}: every Faker-sourced row is as Faker {FAKER_VERSION} gives it ({len(built)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
