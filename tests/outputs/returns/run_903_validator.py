"""Run data-to-insight's SSDA903 validator (`lac_validator`) on an export and print the failures as JSON.

Run with the validators' own Python (pandas below 2), not synthgen's:

    python run_903_validator.py DIR RULESET COLLECTION_YEAR LA_GSS_CODE

DIR holds this year's CSV files and `previous/` last year's. Prints one JSON object: `errors` maps each failing
rule code to the rows that failed it ([table, row, child]), `crashed` lists rules that raised on the data.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import sys
from pathlib import Path


def main() -> None:
    print(json.dumps(errors(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])))


def errors(folder: Path, ruleset: str, year: str, la: str) -> dict[str, object]:
    """{"errors": {rule: [[table, row, child], ...]}, "crashed": [rule, ...]} for one export."""
    logging.disable(logging.CRITICAL)
    from lac_validator.lac_validator import LacValidator

    registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
    files = [
        {"name": path.name, "file_content": path.read_bytes(), "description": description}
        for description, where in (("This year", folder), ("Prev year", folder / "previous"))
        for path in sorted(where.glob("*.csv"))
        if path.name != "planted_errors.csv"  # the key to planted errors is not part of the return
    ]
    with contextlib.redirect_stdout(sys.stderr):  # some rules print
        validator = LacValidator({"collectionYear": year, "localAuthority": la}, files, registry)
    found: dict[str, list[list[object]]] = {}
    for table, frame in validator.ds_results.items():
        if table == "metadata":
            continue
        for column in (c for c in frame.columns if str(c).startswith("ERR_")):
            failed = frame.index[frame[column].fillna(False).astype(bool)]
            for row in failed:
                found.setdefault(column[4:], []).append([table, int(row), str(frame.at[row, "CHILD"])])
    return {"errors": found, "crashed": sorted(validator.fails)}


if __name__ == "__main__":
    main()
