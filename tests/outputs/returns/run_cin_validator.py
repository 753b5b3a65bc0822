"""Run data-to-insight's CIN census validator on one XML file and print what failed, as JSON.

Executed by the tests with the validators' own Python (see conftest.py: they pin pandas below 2), never imported
by synthgen. Usage: python run_cin_validator.py FILE.xml RULESET (e.g. cin2024_25). Prints a JSON list of
failures, each {"rule", "type" (ERROR or QUERY), "message", "child", "table", "column", "row"}; rules that fail
for the return as a whole (no child) have null locations.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import warnings
import xml.etree.ElementTree as ET


def main(path: str, ruleset: str) -> None:
    json.dump(failures(path, ruleset), sys.stdout)


def failures(path: str, ruleset: str) -> list[dict[str, object]]:
    """The failures of one XML file under one rule set (see the module docstring)."""
    warnings.simplefilter("ignore")
    from cin_validator import cin_validator

    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    root = ET.parse(path).getroot()
    data = cin_validator.process_data(cin_validator.convert_data(root))
    # the validator prints a line for a rule that raised; keep stdout for the JSON and report those as failures
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        validator = cin_validator.CinValidator(data, registry)
    found: list[dict[str, object]] = []

    def rule_info(code: object) -> tuple[str, str]:
        rule = registry.get(str(code))
        return (rule.rule_type.name, rule.message) if rule else ("ERROR", "unknown rule")

    for record in validator.full_issue_df.to_dict("records"):
        kind, message = rule_info(record["rule_code"])
        found.append(
            {
                "rule": str(record["rule_code"]),
                "type": kind,
                "message": message,
                "child": None if record.get("child_id") is None else str(record["child_id"]),
                "table": str(record["tables_affected"]),
                "column": str(record["columns_affected"]),
                "row": int(record["row_id"]),
            }
        )
    for record in validator.multichild_issues.to_dict("records"):
        kind, message = rule_info(record["rule_code"])
        found.append(
            {"rule": str(record["rule_code"]), "type": kind, "message": message, "child": None, "table": None}
            | {"column": None, "row": None}
        )
    for line in printed.getvalue().splitlines():
        if line.startswith("Error with rule"):
            code = line.split()[3].rstrip(":")
            found.append(
                {"rule": code, "type": "CRASH", "message": line, "child": None, "table": None, "column": None}
                | {"row": None}
            )
    return found


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
