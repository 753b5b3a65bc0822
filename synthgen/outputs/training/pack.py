"""A training pack on disk: per agency, the files a trainee in that role would see and a printable case bundle;
for the facilitator, the answer key.

```
DIR/
  index.html                      what the pack holds and how to run the exercise
  police/incidents.csv ...        each agency table as CSV (as the agency holds it, errors and all)
  police/police.xlsx              the same tables, a sheet each
  police/case_bundle.html         printable: the cases the police hold with a safeguarding signal
  health/ school/ social_care/    likewise
  facilitator/answer_key.html     each storyline: people, timeline across agencies (file and row of every
                                  record), when it became visible, what good sharing would have looked like
  facilitator/answer_key.csv      the timelines as one table
  facilitator/storylines.csv      who is in each storyline
  front_door/                     the front-door exercise (a run with a front door): the contacts of one day
  facilitator/front_door_key.*    what a good partner check would have found for each of them
```
The pack is written to a temporary folder beside DIR and renamed into place when complete. A table too long for
a workbook (`XLSX_ROW_LIMIT`) is left out of it with a note, on the workbook's first sheet and in the index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from synthgen.outputs import folders
from synthgen.outputs.tabular import Properties, write_csv, write_xlsx
from synthgen.outputs.training import contents, front_door, printed
from synthgen.outputs.training.printed import AGENCY_NAMES
from synthgen.run_folder import Run, open_run

AGENCIES = ("police", "health", "school", "social_care")
XLSX_ROW_LIMIT = 200_000
"""Tables longer than this go out as CSV only: a workbook is for reading, and a spreadsheet of a city's year of
attendance is neither readable nor quick to write."""

Progress = Callable[[str, int, int], None]


def _policy_rules(run: Run) -> list[dict[str, Any]]:
    """The scenario's sharing rules (agency, recipients, purpose, fields), as the run was generated with them."""
    rules: list[dict[str, Any]] = run.manifest["scenario"].get("sharing", {}).get("rules", [])
    return rules


@dataclass(frozen=True)
class TrainingPack:
    """A pack as written: its folder, the files in it (relative, index first), how many planted storylines the
    answer key sets out, how many cases each agency's bundle holds, and the tables left out of the workbooks
    (agency/table: rows) as too long for one."""

    path: Path
    files: list[str]
    storylines: int
    bundle_cases: dict[str, int]
    left_out: dict[str, int] = field(default_factory=dict)


def export_training(
    run: str | Path | Run, out: str | Path, *, overwrite: bool = False, progress: Progress | None = None
) -> TrainingPack:
    """Write the training pack of a run into folder `out` (an existing pack is replaced only with `overwrite`,
    and a folder that is not a pack never); `progress(stage, done, total)` hears of each agency done."""
    opened = open_run(run)
    out = Path(out)
    temp = folders.prepare(out, overwrite, folders.TRAINING_PACK)
    try:
        pack = _write(opened, temp, progress or (lambda stage, done, total: None))
        folders.put_in_place(temp, out)
        return TrainingPack(out, *pack)
    finally:
        folders.cleanup(temp)


def _agency_tables(run: Run) -> dict[str, dict[str, pa.Table]]:
    result: dict[str, dict[str, pa.Table]] = {}
    for name in run.tables:
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == "agencies":
            result.setdefault(parts[1], {})[parts[2]] = run.read(name)
    return {agency: result[agency] for agency in AGENCIES if agency in result}


@dataclass
class _Written:
    """What the pack holds so far: its files, where each record sits, each bundle's cases, tables left out."""

    files: list[str] = field(default_factory=list)
    positions: dict[tuple[str, str], tuple[str, Mapping[str, int]]] = field(default_factory=dict)
    bundles: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)


def _write(run: Run, folder: Path, progress: Progress) -> tuple[list[str], int, dict[str, int], dict[str, int]]:
    """Write the pack into `folder`: (its files, the storylines in the key, the cases in each bundle, the tables
    left out of the workbooks)."""
    agencies = _agency_tables(run)
    storylines = run.read_or_empty("truth/storylines")
    events = run.read_or_empty("truth/storyline_events")
    signals = run.read("truth/signals") if run.has("truth/signals") else None
    records = run.read("truth/records", columns=["source", "table", "source_record_id", "person_id"])
    police_persons = records.filter(
        pc.and_(pc.equal(records["source"], "police"), pc.equal(records["table"], "persons"))
    )
    person_of_record = dict(
        zip(police_persons["source_record_id"].to_pylist(), police_persons["person_id"].to_pylist(), strict=True)
    )
    written = _Written()
    stages = len(agencies) + 1
    for done, (agency, tables) in enumerate(agencies.items()):
        progress("training pack", done, stages)
        _write_agency(run, folder, agency, tables, written)
        subjects = contents.bundle_subjects(agency, tables, events, signals, person_of_record)
        page = printed.bundle_page(run, agency, tables, subjects)
        (folder / agency / "case_bundle.html").write_text(page, encoding="utf-8")
        written.files.append(f"{agency}/case_bundle.html")
        written.bundles[agency] = len(subjects)
    progress("training pack", len(agencies), stages)
    people = run.read("truth/people", columns=["person_id", "given_name", "family_name", "date_of_birth"])
    key = contents.answer_key(storylines, events, signals, people, written.positions, _policy_rules(run))
    (folder / "facilitator").mkdir()
    write_csv(contents.key_table(key), folder / "facilitator" / "answer_key.csv")
    write_csv(storylines, folder / "facilitator" / "storylines.csv")
    (folder / "facilitator" / "answer_key.html").write_text(printed.answer_key_page(run, key), encoding="utf-8")
    files = [*written.files, "facilitator/answer_key.html", "facilitator/answer_key.csv", "facilitator/storylines.csv"]
    files += _front_door(run, folder, written.positions)
    index = printed.index_page(run, files, written.bundles, len(key), written.left_out)
    (folder / "index.html").write_text(index, encoding="utf-8")
    progress("training pack", stages, stages)
    return ["index.html", *files], len(key), written.bundles, written.left_out


def _write_agency(run: Run, folder: Path, agency: str, tables: Mapping[str, pa.Table], written: _Written) -> None:
    """An agency's CSV files and workbook; where each of its records sits (file and spreadsheet row)."""
    (folder / agency).mkdir()
    for name, table in tables.items():
        write_csv(table, folder / agency / f"{name}.csv")
        written.files.append(f"{agency}/{name}.csv")
        column = contents.id_column(name)
        if column in table.column_names:
            written.positions[(agency, name)] = (f"{agency}/{name}.csv", contents.row_numbers(table, column))
    if agency == "police" and ("police", "incidents") in written.positions:
        # a child's part in an incident points at the incident itself: its date, type and risk are there
        written.positions[("police", "incident_persons")] = written.positions[("police", "incidents")]
    sheets = {name: table for name, table in tables.items() if table.num_rows <= XLSX_ROW_LIMIT}
    notes = []
    for name, table in tables.items():
        if name not in sheets:
            written.left_out[f"{agency}/{name}"] = table.num_rows
            notes.append(
                f"{name} is not in this workbook: its {table.num_rows:,} rows are more than a sheet here holds "
                f"({XLSX_ROW_LIMIT:,}); open {name}.csv beside it."
            )
    area = run.manifest["area"]["la_name"]
    properties = Properties(title=f"{AGENCY_NAMES[agency]}: records held in {area} (synthetic)")
    write_xlsx(sheets, folder / agency / f"{agency}.xlsx", properties, notes)
    written.files.append(f"{agency}/{agency}.xlsx")


def _front_door(run: Run, folder: Path, positions: front_door.Positions) -> list[str]:
    """The front-door exercise: the contacts of a day for the trainees, what a good check would find for the
    facilitator (nothing for a run without a front door)."""
    drill = front_door.exercise(run, positions)
    if drill is None:
        return []
    (folder / "front_door").mkdir()
    write_csv(drill.contacts, folder / "front_door" / "contacts_of_the_day.csv")
    write_csv(drill.subjects, folder / "front_door" / "contact_subjects.csv")
    write_csv(drill.key, folder / "facilitator" / "front_door_key.csv")
    (folder / "facilitator" / "front_door_key.html").write_text(
        printed.front_door_key_page(run, drill), encoding="utf-8"
    )
    return [
        "front_door/contacts_of_the_day.csv",
        "front_door/contact_subjects.csv",
        "facilitator/front_door_key.html",
        "facilitator/front_door_key.csv",
    ]
