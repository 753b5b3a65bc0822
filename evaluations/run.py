"""Run an evaluation configuration: generate its scenario per profile, link with each method, score, record.

    python evaluations/run.py evaluations/linkage-demo.yaml

Writes <config>.results.json beside the configuration: per profile and method, the headline metrics, the
recall by source pair, the false merges of hard negatives, recall by person group with its interval, and whether
each banded figure is in its band.
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
from synthgen.evaluation.linkage import evaluate_linkage
from synthgen.linkage import link
from synthgen.run_folder import open_run

ROOT = Path(__file__).resolve().parents[1]


def run_config(config_path: Path) -> dict[str, Any]:
    config = yaml.safe_load(config_path.read_text())
    results: dict[str, Any] = {"config": str(config_path.relative_to(ROOT)), "profiles": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for profile in config["profiles"]:
            scenario = synthgen.load_scenario(ROOT / config["scenario"], {"data_quality.profile": profile})
            run = Path(scratch) / profile
            synthgen.generate(scenario, run, pairs=True)
            view = open_run(run).read("linkage/records")
            results["profiles"][profile] = {}
            for method in config["methods"]:
                # written to a file, as a system under test would hand it over
                predictions = Path(scratch) / f"{profile}-{method}.parquet"
                pq.write_table(link(view, method), predictions)
                scored = evaluate_linkage(run, predictions).as_dict()
                band = config["bands"][profile][method]
                headline = {
                    "pairwise_precision": scored["pairwise"]["precision"],
                    "pairwise_recall": scored["pairwise"]["recall"],
                    "pairwise_f1": scored["pairwise"]["f1"],
                    "bcubed_f1": scored["bcubed"]["f1"],
                    "cluster_f1": scored["cluster"]["f1"],
                    "adjusted_rand_index": scored["adjusted_rand_index"],
                }
                results["profiles"][profile][method] = {
                    **{k: round(v, 4) for k, v in headline.items()},
                    "recall_by_source_pair": scored["recall_by_source_pair"],
                    "false_merges_by_hard_negative": scored["false_merges_by_hard_negative"],
                    "recall_by_group": [
                        {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
                        for row in scored["by_group"]
                        if row["metric"] == "recall" and row["dimension"] != "agency_pair"
                    ],
                    "in_band": {k: band[k][0] <= headline[k] <= band[k][1] for k in band},
                }
    return results


def main() -> None:
    config = Path(sys.argv[1]).resolve()
    results = run_config(config)
    out = config.with_suffix(".results.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    for profile, methods in results["profiles"].items():
        for method, scores in methods.items():
            print(
                f"{profile:<10} {method:<15} pairwise P {scores['pairwise_precision']:.4f} "
                f"R {scores['pairwise_recall']:.4f} F1 {scores['pairwise_f1']:.4f}  "
                f"B-cubed F1 {scores['bcubed_f1']:.4f}  in band: {scores['in_band']}"
            )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
