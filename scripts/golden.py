"""The golden comparison: everything synthgen writes, made once before a change and once after, then compared.

A refactor that must not change the data (the house issue, and any later clean-up) is checked with it:

    python scripts/golden.py make /tmp/golden-before        # at the old commit
    python scripts/golden.py make /tmp/golden-after         # at the new one
    python scripts/golden.py compare /tmp/golden-before /tmp/golden-after

`make` writes a demo run, a 3-shard run on 2 workers, a `--pairs` run, describe JSON, both reference linkers'
predictions and their evaluation JSON, the reference screen and its sharing evaluation, both returns and the
training pack. `compare` reads every Parquet file's data (not its metadata, so new column descriptions do not
count as a difference), every other file's bytes, and says what differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]


def _synthgen(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "synthgen", *args], check=True, stdout=subprocess.DEVNULL)


def _json_out(path: Path, *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "synthgen", *args], check=True, capture_output=True, text=True)
    path.write_text(result.stdout, encoding="utf-8")


def make(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=False)
    demo, big, pairs, training = out / "demo", out / "three-shards", out / "pairs", out / "training"
    _synthgen("generate", str(ROOT / "scenarios/demo.yaml"), "-o", str(demo), "--quiet")
    _synthgen(
        "generate", str(ROOT / "scenarios/demo.yaml"), "-o", str(big), "--quiet", "--people", "120000",
        "--workers", "2",
    )  # fmt: skip
    _synthgen("generate", str(ROOT / "scenarios/training.yaml"), "-o", str(pairs), "--quiet", "--pairs")
    _synthgen("generate", str(ROOT / "scenarios/training.yaml"), "-o", str(training), "--quiet")
    _json_out(out / "describe.json", "describe", str(demo), "--json")
    derived = out / "derived"
    derived.mkdir()
    for method in ("exact", "fellegi-sunter"):
        predictions = derived / f"link-{method}.parquet"
        _synthgen("link", str(demo), "--method", method, "-o", str(predictions))
        _synthgen("evaluate", "linkage", str(demo), str(predictions), "--json", str(derived / f"link-{method}.json"))
    flags, disclosures = derived / "flags.parquet", derived / "disclosures.parquet"
    _synthgen("screen", str(demo), "-o", str(flags), "--disclosures", str(disclosures))
    _synthgen(
        "evaluate", "sharing", str(demo), str(flags), "--disclosures", str(disclosures),
        "--json", str(derived / "sharing.json"),
    )  # fmt: skip
    _synthgen("export", "cin-census", str(demo), "-o", str(derived / "cin.xml"), "--plant-errors", "5")
    _synthgen("export", "ssda903", str(demo), "-o", str(derived / "ssda903"), "--plant-errors", "5")
    _synthgen("export", "training", str(training), "-o", str(derived / "pack"))


def _digest(path: Path, root: Path) -> str:
    """A Parquet file's data (schema names and types, then rows), or any other file's bytes (with the folder
    compared standing as <root>, since evaluation JSON names the files it read)."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        body = hashlib.sha256(repr([(field.name, str(field.type)) for field in table.schema]).encode())
        for column in table.columns:
            for chunk in column.combine_chunks().cast(column.type).to_pylist():
                body.update(repr(chunk).encode())
        return body.hexdigest()
    if path.name == "manifest.json":
        manifest = json.loads(path.read_text(encoding="utf-8"))
        for table in manifest.get("tables", []):
            for volatile in ("sha256", "bytes"):  # Parquet bytes carry metadata; their data is compared file by file
                table.pop(volatile, None)
        return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes().replace(str(root).encode(), b"<root>")).hexdigest()


def compare(before: Path, after: Path) -> int:
    old = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    new = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    problems = [f"only before: {p}" for p in sorted(old - new)] + [f"only after: {p}" for p in sorted(new - old)]
    same = 0
    for relative in sorted(old & new):
        if _digest(before / relative, before) == _digest(after / relative, after):
            same += 1
        else:
            problems.append(f"differs: {relative}")
    print(f"{same} of {len(old | new)} files identical in data")
    for line in problems:
        print(line)
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("make").add_argument("out", type=Path)
    both = commands.add_parser("compare")
    both.add_argument("before", type=Path)
    both.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "make":
        make(args.out)
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
