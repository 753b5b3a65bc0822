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
```
The pack is written to a temporary folder beside DIR and renamed into place when complete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from synthgen.outputs import folders
from synthgen.outputs.html import CellValue, Section, esc, html_table, page
from synthgen.outputs.tabular import write_csv, write_xlsx
from synthgen.outputs.training import contents
from synthgen.run_folder import Run, open_run
from synthgen.world import storylines as planted

AGENCIES = ("police", "health", "school", "social_care")
AGENCY_NAMES = {
    "police": "Police",
    "health": "Health",
    "school": "Schools",
    "social_care": "Children's social care",
}
SUBJECT_LABELS = {"police": "Person", "health": "NHS number", "school": "UPN", "social_care": "LA child id"}
"""A case sheet's heading: the agency's own key, as its staff would name it."""
XLSX_ROW_LIMIT = 200_000
"""Tables longer than this go out as CSV only: a workbook is for reading, and a spreadsheet of a city's year of
attendance is neither readable nor quick to write."""


def _policy_rules(run: Run) -> list[dict[str, Any]]:
    """The scenario's sharing rules (agency, recipients, purpose, fields), as the run was generated with them."""
    rules: list[dict[str, Any]] = run.manifest["scenario"].get("sharing", {}).get("rules", [])
    return rules


@dataclass(frozen=True)
class TrainingPack:
    """A pack as written: its folder, the files in it (relative, index first), how many planted storylines the
    answer key sets out, and how many cases each agency's bundle holds."""

    path: Path
    files: list[str]
    storylines: int
    bundle_cases: dict[str, int]


def export_training(run: str | Path | Run, out: str | Path, *, overwrite: bool = False) -> TrainingPack:
    """Write the training pack of a run into folder `out` (an existing pack is replaced only with `overwrite`,
    and a folder that is not a pack never)."""
    opened = open_run(run)
    out = Path(out)
    temp = folders.prepare(out, overwrite, folders.TRAINING_PACK)
    try:
        files, storylines, bundles = _write(opened, temp)
        folders.put_in_place(temp, out)
        return TrainingPack(out, files, storylines, bundles)
    finally:
        folders.cleanup(temp)


def _agency_tables(run: Run) -> dict[str, dict[str, pa.Table]]:
    result: dict[str, dict[str, pa.Table]] = {}
    for name in run.tables:
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == "agencies":
            result.setdefault(parts[1], {})[parts[2]] = run.read(name)
    return {agency: result[agency] for agency in AGENCIES if agency in result}


def _write(run: Run, folder: Path) -> tuple[list[str], int, dict[str, int]]:
    """Write the pack into `folder`: (its files, the storylines in the key, the cases in each bundle)."""
    agencies = _agency_tables(run)
    storylines = run.read_or_empty("truth/storylines", planted.empty_storylines().schema)
    events = run.read_or_empty("truth/storyline_events", planted.empty_events().schema)
    signals = run.read("truth/signals") if run.has("truth/signals") else None
    records = run.read("truth/records", columns=["source", "table", "source_record_id", "person_id"])
    police_persons = records.filter(
        pc.and_(pc.equal(records["source"], "police"), pc.equal(records["table"], "persons"))
    )
    person_of_record = dict(
        zip(police_persons["source_record_id"].to_pylist(), police_persons["person_id"].to_pylist(), strict=True)
    )

    positions: dict[tuple[str, str], tuple[str, Mapping[str, int]]] = {}
    files: list[str] = []
    bundles: dict[str, int] = {}
    for agency, tables in agencies.items():
        (folder / agency).mkdir()
        for name, table in tables.items():
            write_csv(table, folder / agency / f"{name}.csv")
            files.append(f"{agency}/{name}.csv")
            column = contents.id_column(name)
            if column in table.column_names:
                positions[(agency, name)] = (f"{agency}/{name}.csv", contents.row_numbers(table, column))
        if agency == "police" and ("police", "incidents") in positions:
            # a child's part in an incident points at the incident itself: its date, type and risk are there
            positions[("police", "incident_persons")] = positions[("police", "incidents")]
        sheets = {name: table for name, table in tables.items() if table.num_rows <= XLSX_ROW_LIMIT}
        write_xlsx(sheets, folder / agency / f"{agency}.xlsx")
        files.append(f"{agency}/{agency}.xlsx")
        subjects = contents.bundle_subjects(agency, tables, events, signals, person_of_record)
        (folder / agency / "case_bundle.html").write_text(_bundle(run, agency, tables, subjects), encoding="utf-8")
        files.append(f"{agency}/case_bundle.html")
        bundles[agency] = len(subjects)

    people = run.read("truth/people", columns=["person_id", "given_name", "family_name", "date_of_birth"])
    key = contents.answer_key(storylines, events, signals, people, positions, _policy_rules(run))
    (folder / "facilitator").mkdir()
    write_csv(contents.key_table(key), folder / "facilitator" / "answer_key.csv")
    write_csv(storylines, folder / "facilitator" / "storylines.csv")
    (folder / "facilitator" / "answer_key.html").write_text(_answer_key_page(run, key), encoding="utf-8")
    files += ["facilitator/answer_key.html", "facilitator/answer_key.csv", "facilitator/storylines.csv"]
    (folder / "index.html").write_text(_index(run, files, bundles, len(key)), encoding="utf-8")
    files.insert(0, "index.html")
    return files, len(key), bundles


def _run_line(run: Run) -> str:
    manifest = run.manifest
    area, period = manifest["area"], manifest["period"]
    return (
        f"{esc(area['la_name'])} (synthetic), {esc(period['start'])} to {esc(period['end'])}; scenario "
        f"{esc(manifest['scenario']['name'])}, seed {esc(manifest['seed'])}. Every person here is invented."
    )


def _index(run: Run, files: Sequence[str], bundles: Mapping[str, int], storylines: int) -> str:
    listing = html_table(["file"], [[f] for f in files])
    rows: list[list[CellValue]] = [[AGENCY_NAMES[a], n] for a, n in bundles.items()]
    body = (
        "<p>Give each trainee the folder of their agency only: the CSV files or the workbook, and the printed case "
        "bundle. The bundle holds cases the agency has with a safeguarding signal (every planted one and up to "
        f"{contents.BUNDLE_BACKGROUND_CASES} ordinary ones), in the order of the agency's own identifiers. "
        "Keep <code>facilitator/</code> for the facilitator: it says "
        f"which of the cases are the {storylines} planted storylines, where each of their records sits, and what "
        "good sharing would have looked like.</p>" + html_table(["agency", "cases in the bundle"], rows)
    )
    return page(
        "Training pack",
        [Section("How to use this pack", body), Section("Files", listing)],
        intro=f"<p>{_run_line(run)}</p>",
    )


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat(sep=" ", timespec="minutes") if hasattr(value, "hour") else value.isoformat()
    return value


def _records_table(table: pa.Table, caption: str) -> str:
    names = [n for n in table.column_names]
    rows = [[_value(v) for v in row.values()] for row in table.to_pylist()]
    return html_table(names, rows, caption=caption, classes="ex")


def _bundle(run: Run, agency: str, tables: Mapping[str, pa.Table], subjects: Sequence[str]) -> str:
    sections = []
    for subject in subjects:
        heading = contents.subject_heading(agency, subject, tables)
        parts = []
        if heading:
            person = pa.Table.from_pylist(heading)
            parts.append(_records_table(person, f"{contents.SUBJECT_TABLE[agency]} record"))
        for name, rows in contents.case_records(agency, subject, tables):
            parts.append(_records_table(rows, name.replace("_", " ")))
        sections.append(
            Section(f"{SUBJECT_LABELS[agency]} {subject}", '<div class="example">' + "".join(parts) + "</div>")
        )
    if not sections:
        sections.append(Section("No cases", "<p class='empty'>This agency holds no record with a signal.</p>"))
    return page(
        f"{AGENCY_NAMES[agency]}: case bundle",
        sections,
        intro=f"<p>{_run_line(run)} What {esc(AGENCY_NAMES[agency].lower())} hold, case by case, as recorded.</p>",
    )


def _answer_key_page(run: Run, key: Sequence[contents.Storyline]) -> str:
    sections = []
    summary_rows: list[list[Any]] = []
    for story in key:
        summary_rows.append(
            [
                story.storyline_id,
                story.concern,
                "yes" if story.at_risk else "no (noise)",
                story.onset.isoformat(),
                story.visible.isoformat() if story.visible else None,
                len(story.timeline),
            ]
        )
        people = html_table(
            ["person_id", "role", "given name", "family name", "date of birth"],
            [
                [p["person_id"], p["role"], p["given_name"], p["family_name"], _value(p["date_of_birth"])]
                for p in story.people
            ],
            caption="People (their true names; agencies may hold them otherwise)",
        )
        timeline = html_table(
            ["date", "agency", "file", "row", "record id", "signal", "planted"],
            [
                [e.date.isoformat(), e.agency, e.file, str(e.row) if e.row else None, e.record_id, e.kind, e.planted]
                for e in story.timeline
            ],
            caption="Timeline across agencies",
        )
        sharing = "<ul>" + "".join(f"<li>{esc(s)}</li>" for s in story.sharing) + "</ul>"
        meta = (
            f"<p>Template <strong>{esc(story.template)}</strong>, concern {esc(story.concern)}, onset "
            f"{esc(story.onset.isoformat())}; visible across agencies from "
            f"{esc(story.visible.isoformat() if story.visible else 'never (one agency only)')}.</p>"
        )
        sections.append(
            Section(
                f"{story.storyline_id}: {story.concern}",
                meta + people + timeline + "<h3>What good sharing would have looked like</h3>" + sharing,
            )
        )
    overview = html_table(
        ["storyline", "concern", "at risk", "onset", "visible from", "records"],
        summary_rows,
        empty="This run has no planted storylines.",
    )
    return page(
        "Facilitator's answer key",
        [Section("Storylines", overview), *sections],
        intro=f"<p>{_run_line(run)} Rows are spreadsheet rows of the named CSV file (the header is row 1).</p>",
    )
