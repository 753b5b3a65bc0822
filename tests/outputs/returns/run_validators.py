"""Run both of data-to-insight's validators on several returns in one process, printing the results as JSON.

Run with the validators' own Python (see conftest.py): importing pandas and the rule sets once for every return
saves a second or so each. Usage: python run_validators.py JOBS.json, where the file holds a list of jobs, each
{"cin": [XML, RULESET]} or {"903": [DIR, RULESET, COLLECTION_YEAR, LA_GSS_CODE]}; prints a list of results in
the same order, as run_cin_validator.py and run_903_validator.py print them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import run_903_validator
import run_cin_validator


def main(path: str) -> None:
    results: list[object] = []
    for job in json.loads(Path(path).read_text()):
        if "cin" in job:
            results.append(run_cin_validator.failures(*job["cin"]))
        else:
            folder, ruleset, year, la = job["903"]
            results.append(run_903_validator.errors(Path(folder), ruleset, year, la))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
