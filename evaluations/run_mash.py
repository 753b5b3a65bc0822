"""Run a MASH evaluation configuration: generate its scenario per profile, answer every contact with the reference
MASH for each linker, score.

    python evaluations/run_mash.py evaluations/mash-demo.yaml

Writes <config>.results.json beside the configuration: per profile and linker, the partner checks, decisions,
ratings, timeliness and shares of the reference MASH (`synthgen mash`), and whether each banded figure is in its
band.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

import synthgen
from synthgen.evaluation.mash import evaluate_mash
from synthgen.reference_mash import mash

ROOT = Path(__file__).resolve().parents[1]


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The figures recorded per profile and linker (rounded to 4 places, as quoted)."""
    checks, decisions, shared = result["partner_checks"], result["decisions"], result["sharing"]
    return {
        "contacts": result["contacts"],
        "answered": result["answered"],
        "check_recall": round(checks["recall"], 4),
        "check_precision": round(checks["precision"], 4),
        "child_recall": round(checks["child_recall"], 4),
        "household_recall": round(checks["household_recall"], 4),
        "from_the_future": checks["from_the_future"],
        "decision_agreement": round(decisions["agreement"], 4),
        "decision_kappa": round(decisions["weighted_kappa"], 4),
        "decisions_lower": decisions["under"],
        "decisions_higher": decisions["over"],
        "rag_kappa": round(result["rag"]["weighted_kappa"], 4),
        "within_one_working_day": round(result["timeliness"]["within_one_working_day"], 4),
        "shares": shared["shares"],
        "fields_outside_policy": shared["fields_outside_policy"],
        "recipients_without_purpose": shared["recipients_without_purpose"],
        "shares_outside_the_family": shared["about_people_outside_the_family"],
    }


def answered_scores(run: Path, method: str, scratch: Path) -> dict[str, Any]:
    """Answer every contact of a run and score the responses, written to a file as a system under test hands it
    over."""
    responses = scratch / f"{run.name}-{method}-responses.parquet"
    mash(run, method, out=responses)
    return headline(evaluate_mash(run, responses).as_dict())


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
                scores = answered_scores(run, method, Path(scratch))
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
                f"{profile:<10} {method:<15} check recall {s['check_recall']:.4f} precision {s['check_precision']:.4f} "
                f"decision kappa {s['decision_kappa']:.4f} within one working day {s['within_one_working_day']:.4f}"
                f"  in band: {s['in_band']}"
            )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
