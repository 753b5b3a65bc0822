"""Run a sharing evaluation configuration: generate its scenario per profile, screen with each linker, score.

    python evaluations/run_sharing.py evaluations/sharing-demo.yaml

Writes <config>.results.json beside the configuration: per profile and linker, detection, time to flag and
over-sharing of the reference screening method (`synthgen screen`), and whether each banded figure is in its band.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

import synthgen
from synthgen.evaluation.sharing import evaluate_sharing
from synthgen.screening import screen

ROOT = Path(__file__).resolve().parents[1]


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The figures recorded per profile and linker (rounded to 4 places, as quoted)."""
    found, timing, shared = result["detection"], result["time_to_flag"], result["oversharing"]
    return {
        "flagged": found["flagged_people"],
        "flags_from_the_future": result["flags_from_the_future"],
        "children_at_risk": found["children_at_risk"],
        "precision": round(found["precision"], 4),
        "recall": round(found["recall"], 4),
        "f1": round(found["f1"], 4),
        "recall_visible": round(found["recall_visible"], 4),
        "median_days_to_flag": timing["median_days"],
        "within_30_days": round(timing["within_30_days"], 4),
        "never": round(timing["never"], 4),
        "disclosures": shared["disclosures"],
        "share_about_people_in_no_flagged_case": round(shared["share_about_people_in_no_flagged_case"], 4),
        "share_about_people_not_at_risk": round(shared["share_about_people_not_at_risk"], 4),
        "share_fields_outside_policy": round(shared["share_fields_outside_policy"], 4),
    }


def screened_scores(run: Path, method: str, window: int, scratch: Path) -> dict[str, Any]:
    """Screen a run and score the flags and disclosures, written to files as a system under test hands them over."""
    result = screen(run, window=window, method=method)
    flags, disclosures = scratch / f"{run.name}-{method}-flags.parquet", scratch / f"{run.name}-{method}-d.parquet"
    pq.write_table(result.flags, flags)
    pq.write_table(result.disclosures, disclosures)
    return headline(evaluate_sharing(run, flags, disclosures).as_dict())


def run_config(config_path: Path) -> dict[str, Any]:
    config = yaml.safe_load(config_path.read_text())
    results: dict[str, Any] = {"config": str(config_path.relative_to(ROOT)), "profiles": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for profile in config["profiles"]:
            scenario = synthgen.load_scenario(ROOT / config["scenario"], {"data_quality.profile": profile})
            run = Path(scratch) / profile
            synthgen.generate(scenario, run)
            results["profiles"][profile] = {}
            for method in config["methods"]:
                scores = screened_scores(run, method, config["window"], Path(scratch))
                bands = config["bands"]
                scores["in_band"] = {k: bands[k][0] <= scores[k] <= bands[k][1] for k in bands}
                results["profiles"][profile][method] = scores
    return results


def main() -> None:
    config = Path(sys.argv[1]).resolve()
    results = run_config(config)
    out = config.with_suffix(".results.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    for profile, methods in results["profiles"].items():
        for method, s in methods.items():
            print(
                f"{profile:<10} {method:<15} precision {s['precision']:.4f} recall {s['recall']:.4f} "
                f"f1 {s['f1']:.4f} recall of visible {s['recall_visible']:.4f} median days {s['median_days_to_flag']}"
                f"  in band: {s['in_band']}"
            )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
