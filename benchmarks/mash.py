"""Time and peak memory of the reference MASH (`synthgen mash`) and of scoring a MASH (`synthgen evaluate mash`).

A Birmingham run (scenarios/birmingham.yaml, `--people`) is made once per size; then `synthgen mash RUN -o
RESPONSES` (Fellegi-Sunter linkage, the default) and `synthgen evaluate mash RUN RESPONSES --json J` (and again
with `--report R`) each run as a fresh process (as a user would run them) several times; the table shows medians.
Peak memory is the largest sum of resident memory over the process tree, sampled every 20 ms from /proc.

The bar (issue 15): scoring 100,000 contacts with their partner checks in 10 s or less and 2 GiB or less. A run
of about 1.5 million residents has 100,000 contacts; where the sizes measured are smaller, the last line
extrapolates linearly in contacts from the largest size measured, and says so.

    python benchmarks/mash.py                          # 200k and 1.5M people, 3 runs each
    python benchmarks/mash.py --sizes 200000 --runs 5
    python benchmarks/mash.py --keep /tmp/mash-runs    # keep (and reuse) the generated runs
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure, median_measure, synthgen

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "birmingham.yaml"
BAR_CONTACTS, BAR_SECONDS, BAR_MIB = 100_000, 10.0, 2048


def commands(run: Path, scratch: Path) -> dict[str, list[str]]:
    responses = scratch / "responses.parquet"
    return {
        "mash": synthgen("mash", str(run), "-o", str(responses)),
        "evaluate mash": synthgen("evaluate", "mash", str(run), str(responses), "--json", str(scratch / "s.json")),
        "evaluate --report": synthgen(
            "evaluate", "mash", str(run), str(responses), "--json", str(scratch / "s.json"),
            "--report", str(scratch / "report.html"),
        ),
    }  # fmt: skip


def make_run(people: int, out: Path) -> None:
    if (out / "manifest.json").exists():
        print(f"using the {people:,}-person run at {out}")
        return
    print(f"making a {people:,}-person run (birmingham.yaml, 2 workers) ...")
    measure(synthgen("generate", str(SCENARIO), "-o", str(out), "--quiet", "--people", str(people), "--workers", "2"))


def rows_of(run: Path, table: str) -> int:
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    return next(int(t["rows"]) for t in manifest["tables"] if t["path"] == f"{table}.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_500_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="folder for the generated runs (kept and reused)")
    args = parser.parse_args()
    rows: list[tuple[int, int, str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        home = args.keep or scratch
        for people in args.sizes:
            run = home / f"birmingham-{people}"
            make_run(people, run)
            contacts = rows_of(run, "agencies/social_care/contacts")
            for name, command in commands(run, scratch).items():
                before = _children_cpu()
                seconds, peak = median_measure(command, args.runs)
                cpu = (_children_cpu() - before) / args.runs
                rows.append((people, contacts, name, seconds, cpu, peak / 2**20))
    header = (
        f"{'people':>10} {'contacts':>9} {'command':<18} {'seconds':>8} {'CPU s':>6} {'peak MiB':>9} {'contacts/s':>11}"
    )
    print()
    print(header)
    print("-" * len(header))
    for people, contacts, name, seconds, cpu, mib in rows:
        print(
            f"{people:>10,} {contacts:>9,} {name:<18} {seconds:>8.2f} {cpu:>6.1f} {mib:>9.0f} "
            f"{contacts / seconds:>11,.0f}"
        )
    print()
    print(f"wall seconds and peak memory: medians of {args.runs} runs, each a fresh process; CPU s: their mean")
    _bar([row for row in rows if row[2] == "evaluate mash"])


def _children_cpu() -> float:
    """CPU seconds (user and system) of every finished child so far: steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _bar(scored: list[tuple[int, int, str, float, float, float]]) -> None:
    """The issue's bar for scoring, measured where a size reaches 100,000 contacts, else extrapolated."""
    if not scored:
        return
    people, contacts, _, seconds, _, mib = max(scored, key=lambda row: row[1])
    if contacts >= BAR_CONTACTS:
        how = f"measured at {contacts:,} contacts ({people:,} people)"
    else:
        scale = BAR_CONTACTS / contacts
        seconds, mib = seconds * scale, mib * scale
        how = f"extrapolated linearly from {contacts:,} contacts ({people:,} people), a rough estimate"
    verdict = "within" if seconds <= BAR_SECONDS and mib <= BAR_MIB else "outside"
    print(
        f"scoring, {how}: {seconds:.1f} s and {mib:,.0f} MiB for {BAR_CONTACTS:,} contacts, {verdict} the bar "
        f"({BAR_SECONDS:.0f} s, {BAR_MIB:,} MiB)"
    )


if __name__ == "__main__":
    main()
