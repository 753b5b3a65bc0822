"""Run liiatools' Annex A cleaner on one workbook, or print its reading of the format, as JSON.

Executed by the tests with liiatools' own Python (see conftest.py: it pins pandas and numpy below 2), never
imported by synthgen. Usage:

- `python run_liiatools.py spec`: {"columns": {list: [heading, ...]}, "codes": {list: {heading: [code, ...]}}},
  liiatools' headings in order (annex-a-merge.yml) and code lists (data-map.yml);
- `python run_liiatools.py clean FILE.xlsx WORKDIR`: runs `liiatools annex-a cleanfile` (London borough code BAR:
  any serves for a format check) and prints {"log": the error log's text ("" when it wrote none), "clean": {sheet:
  rows, the header first}} with the cleaned workbook's values (dates as ISO text).

The cleaner runs in this process, with one change that alters nothing it decides: its stream library
(sfdata-stream-parser 0.4.1) asks `inspect.getfullargspec` about the same few filter functions for every cell,
which is over half its time; here the answers are remembered.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
import sys
import types
from pathlib import Path


def spec() -> dict[str, object]:
    from liiatools.datasets.annex_a.lds_annexa_clean.configuration import Config

    config = Config()
    columns = {name: list(fields) for name, fields in config["datasources"].items()}
    codes = {
        name: {column: [str(entry["code"]) for entry in entries] for column, entries in (lists or {}).items()}
        for name, lists in config["data_config"].items()
    }
    return {"columns": columns, "codes": codes}


def _value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def clean(path: str, workdir: str) -> dict[str, object]:
    import openpyxl

    work = Path(workdir)
    logs, out = work / "logs", work / "out"
    logs.mkdir(parents=True)
    out.mkdir()
    from sfdata_stream_parser import function_helpers

    remembered = functools.cache(inspect.getfullargspec)
    function_helpers.inspect = types.SimpleNamespace(getfullargspec=remembered)
    from liiatools.datasets.annex_a.annex_a_cli import cleanfile

    arguments = ["--i", path, "--la_code", "BAR", "--la_log_dir", str(logs), "--o", str(out)]
    cleanfile.main(arguments, standalone_mode=False)
    log = "".join(p.read_text(encoding="utf-8") for p in sorted(logs.iterdir()))
    cleaned = {}
    for written in out.glob("*_clean.xlsx"):
        book = openpyxl.load_workbook(written, read_only=True)
        for sheet in book:
            cleaned[sheet.title] = [[_value(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return {"log": log, "clean": cleaned}


if __name__ == "__main__":
    result = spec() if sys.argv[1] == "spec" else clean(sys.argv[2], sys.argv[3])
    json.dump(result, sys.stdout)
