"""Time and peak memory of `synthgen screen` and `synthgen evaluate sharing` on Birmingham runs, against a baseline.

A Birmingham run (scenarios/birmingham.yaml, `--people`) is made once per size; then `synthgen screen RUN -o FLAGS
--disclosures D` and `synthgen evaluate sharing RUN FLAGS --disclosures D --json J --report R` each run as a fresh
process (as a user would run them) several times; the table shows medians. Peak memory is the largest sum of
resident memory over the process tree, sampled every 20 ms from /proc. The baseline is the same commands measured
the same way on the code before screening and sharing evaluation were made column-wise (BASELINE_COMMIT), with
per-row Python loops over people, relationships, flags and disclosure rows.

    python benchmarks/sharing.py                          # 200k and 1M people, 3 runs each
    python benchmarks/sharing.py --sizes 200000 --runs 5
    python benchmarks/sharing.py --keep /tmp/sharing-runs # keep (and reuse) the generated runs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure, median_measure, synthgen

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "birmingham.yaml"

BASELINE_COMMIT = "62f6e22"
"""The commit the baseline was measured at: the per-row screening and sharing evaluation."""

BASELINE: dict[tuple[int, str], tuple[float, float]] = {
    (200_000, "screen"): (4.62, 421),
    (200_000, "evaluate sharing"): (3.79, 643),
    (1_000_000, "screen"): (31.36, 2281),
    (1_000_000, "evaluate sharing"): (13.19, 2055),
}
"""(people, command) -> (median seconds, median peak MiB) at BASELINE_COMMIT, 3 runs, on this 2-core machine."""


def commands(run: Path, scratch: Path) -> dict[str, list[str]]:
    flags, disclosures = scratch / "flags.parquet", scratch / "disclosures.parquet"
    return {
        "screen": synthgen("screen", str(run), "-o", str(flags), "--disclosures", str(disclosures)),
        "evaluate sharing": synthgen(
            "evaluate", "sharing", str(run), str(flags), "--disclosures", str(disclosures),
            "--json", str(scratch / "scores.json"), "--report", str(scratch / "report.html"),
        ),
    }  # fmt: skip


def make_run(people: int, out: Path) -> None:
    if (out / "manifest.json").exists():
        print(f"using the {people:,}-person run at {out}")
        return
    print(f"making a {people:,}-person run (birmingham.yaml, 2 workers) ...")
    measure(synthgen("generate", str(SCENARIO), "-o", str(out), "--quiet", "--people", str(people), "--workers", "2"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="folder for the generated runs (kept and reused)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        home = args.keep or scratch
        rows: list[tuple[int, str, float, float]] = []
        for people in args.sizes:
            run = home / f"birmingham-{people}"
            make_run(people, run)
            for name, command in commands(run, scratch).items():
                seconds, peak = median_measure(command, args.runs)
                rows.append((people, name, seconds, peak / 2**20))
    header = (
        f"{'people':>10} {'command':<17} {'seconds':>8} {'peak MiB':>9} "
        f"{'baseline s':>10} {'base MiB':>9} {'speed-up':>9} {'memory':>7}"
    )
    print()
    print(header)
    print("-" * len(header))
    for people, name, seconds, mib in rows:
        base = BASELINE.get((people, name))
        if base is None:
            print(f"{people:>10,} {name:<17} {seconds:>8.2f} {mib:>9.0f} {'-':>10} {'-':>9} {'-':>9} {'-':>7}")
            continue
        print(
            f"{people:>10,} {name:<17} {seconds:>8.2f} {mib:>9.0f} {base[0]:>10.2f} {base[1]:>9.0f} "
            f"{base[0] / seconds:>8.1f}x {mib / base[1]:>6.2f}x"
        )
    print()
    print(
        f"medians of {args.runs} runs, each a fresh process; baseline: the same commands at commit {BASELINE_COMMIT} "
        "(per-row loops), measured the same way"
    )


if __name__ == "__main__":
    main()
