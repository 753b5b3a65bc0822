"""The pack's pages: its index, each agency's printable case bundle and the facilitator's answer key.

They are printed and handed round a training room, so each prints on A4 with every column on the paper (landscape,
long values wrapped rather than cut off at the margin), and a bundle opens with a contents list that names each
case as the agency does: by its own key and the name its own record holds (errors and all), never the truth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from synthgen.outputs.html import Cell, CellValue, Section, esc, html_table, page
from synthgen.outputs.training import contents
from synthgen.outputs.training.front_door import Exercise
from synthgen.run_folder import Run

AGENCY_NAMES = {
    "police": "Police",
    "health": "Health",
    "school": "Schools",
    "social_care": "Children's social care",
}
SUBJECT_LABELS = {"police": "Person", "health": "NHS number", "school": "UPN", "social_care": "LA child id"}
"""A case sheet's heading: the agency's own key, as its staff would name it."""


def run_line(run: Run) -> str:
    manifest = run.manifest
    area, period = manifest["area"], manifest["period"]
    return (
        f"{esc(area['la_name'])} (synthetic), {esc(period['start'])} to {esc(period['end'])}; scenario "
        f"{esc(manifest['scenario']['name'])}, seed {esc(manifest['seed'])}. Every person here is invented."
    )


def index_page(
    run: Run, files: Sequence[str], bundles: Mapping[str, int], storylines: int, left_out: Mapping[str, int]
) -> str:
    """The pack's front page: how to run the exercise, and every file (a link to each)."""
    listing = html_table(
        ["file", "what it is"],
        [[Cell(f'<a href="{esc(f)}">{esc(f)}</a>', markup=True), _what(f)] for f in files],
    )
    rows: list[list[CellValue]] = [[AGENCY_NAMES[a], n] for a, n in bundles.items()]
    body = (
        "<p>Give each trainee the folder of their agency only: the CSV files or the workbook, and the printed case "
        "bundle. The bundle holds cases the agency has with a safeguarding signal (every planted one and up to "
        f"{contents.BUNDLE_BACKGROUND_CASES} ordinary ones), in the order of the agency's own identifiers. "
        "Keep <code>facilitator/</code> for the facilitator: it says "
        f"which of the cases are the {storylines} planted storylines, where each of their records sits, and what "
        "good sharing would have looked like.</p>" + html_table(["agency", "cases in the bundle"], rows)
    )
    sections = [Section("How to use this pack", body)]
    if left_out:
        sections.append(
            Section(
                "Tables not in the workbooks",
                "<p>These tables are longer than a workbook's sheet here holds, so they are in their CSV file "
                "only (each workbook says so on its first sheet, Notes):</p>"
                + html_table(
                    ["table", "rows", "file"],
                    [
                        [name, rows, Cell(f'<a href="{esc(name)}.csv">{esc(name)}.csv</a>', markup=True)]
                        for name, rows in left_out.items()
                    ],
                ),
            )
        )
    sections.append(Section("Files", listing))
    return page("Training pack", sections, intro=f"<p>{run_line(run)}</p>")


def _what(file: str) -> str:
    """What a file of the pack holds, in a few words."""
    folder, _, name = file.rpartition("/")
    if not folder:
        return "this page"
    if folder == "facilitator":
        return {
            "answer_key.html": "the answer key, to print (facilitator only)",
            "answer_key.csv": "every storyline's timeline (facilitator only)",
            "storylines.csv": "who is in each storyline (facilitator only)",
            "front_door_key.html": "the front-door exercise's answer key, to print (facilitator only)",
            "front_door_key.csv": "what a good partner check would find for each contact (facilitator only)",
        }.get(name, "for the facilitator")
    if folder == "front_door":
        return {
            "contacts_of_the_day.csv": "the front-door exercise: the contacts of one day, as the hub received them",
            "contact_subjects.csv": "the front-door exercise: the people those contacts name",
        }.get(name, "the front-door exercise")
    agency = AGENCY_NAMES.get(folder, folder)
    if name == "case_bundle.html":
        return f"{agency}: the case bundle, to print"
    if name.endswith(".xlsx"):
        return f"{agency}: every table as a sheet of one workbook"
    return f"{agency}: {name.removesuffix('.csv').replace('_', ' ')}"


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat(sep=" ", timespec="minutes") if hasattr(value, "hour") else value.isoformat()
    return value


def _records_table(table: pa.Table, caption: str) -> str:
    """A table of records as the agency's file has them; a column name may break after an underscore (a zero-width
    space there), so a narrow printed column wraps its heading between words."""
    names = [n.replace("_", "_\u200b") for n in table.column_names]
    rows = [[_value(v) for v in row.values()] for row in table.to_pylist()]
    return html_table(names, rows, caption=caption, classes="ex")


def bundle_page(run: Run, agency: str, tables: Mapping[str, pa.Table], subjects: Sequence[str]) -> str:
    """Every case of the bundle, each headed by the agency's key and the name its record holds, with a contents
    list (printed too) to find a case by."""
    sections = []
    for subject in subjects:
        heading = contents.subject_heading(agency, subject, tables)
        parts = []
        if heading:
            person = pa.Table.from_pylist(heading)
            parts.append(_records_table(person, f"{contents.SUBJECT_TABLE[agency]} record"))
        for name, rows in contents.case_records(agency, subject, tables):
            parts.append(_records_table(rows, name.replace("_", " ")))
        title = f"{SUBJECT_LABELS[agency]} {subject}{_as_recorded(heading)}"
        sections.append(Section(title, '<div class="example">' + "".join(parts) + "</div>"))
    if not sections:
        sections.append(Section("No cases", "<p class='empty'>This agency holds no record with a signal.</p>"))
    return page(
        f"{AGENCY_NAMES[agency]}: case bundle",
        sections,
        intro=f"<p>{run_line(run)} What {esc(AGENCY_NAMES[agency].lower())} hold, case by case, as recorded.</p>",
        printed_contents=True,
        landscape=True,
    )


def _as_recorded(heading: Sequence[Mapping[str, Any]]) -> str:
    """': Given Family, born 2019-02-26' as the agency's record holds them (each spelling once, when a duplicate
    registration spells the name otherwise), or nothing when the agency has no person record under the key."""
    names: list[str] = []
    for record in heading:
        given = record.get("preferred_given_name") or record.get("given_name") or ""
        family = record.get("preferred_family_name") or record.get("family_name") or ""
        name = " ".join(part for part in (str(given), str(family)) if part) or "name not recorded"
        born = record.get("date_of_birth")
        text = f"{name}, born {born.isoformat()}" if born is not None else name
        if text not in names:
            names.append(text)
    return f": {' / '.join(names)}" if names else ""


def answer_key_page(run: Run, key: Sequence[contents.Storyline]) -> str:
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
        intro=f"<p>{run_line(run)} Rows are spreadsheet rows of the named CSV file (the header is row 1).</p>",
        printed_contents=True,
        landscape=True,
    )


def front_door_key_page(run: Run, drill: Exercise) -> str:
    """The front-door exercise's answer key: for each contact of the day, what every agency held on the child and
    household that day, where it sits in the pack, the hub's decision and the one the truth supports."""
    sections = []
    for contact in drill.contacts.to_pylist():  # the few contacts of one day
        mine = drill.key.filter(pc.equal(drill.key["contact_id"], contact["contact_id"]))
        first = mine.slice(0, 1).to_pylist()[0] if mine.num_rows else {}
        found = mine.filter(pc.is_valid(mine["record_id"])).select(
            ["agency", "table", "file", "row", "record_id", "relation", "known_on"]
        )
        meta = (
            f"<p>From {esc(contact['source'])} at {esc(_value(contact['received_at']))}: {esc(contact['concern'])}. "
            f"The hub decided <strong>{esc(contact['decision'])}</strong>; the truth supports "
            f"<strong>{esc(first.get('supported_decision'))}</strong> (band {esc(first.get('band'))}"
            + (f", storyline {esc(first['storyline_id'])}" if first.get("storyline_id") else "")
            + f"). A good check would find {found.num_rows} records.</p>"
        )
        sections.append(Section(f"Contact {contact['contact_id']}", meta + _records_table(found, "Records held")))
    intro = (
        f"<p>{run_line(run)} The contacts received on {esc(drill.day.isoformat())} "
        "(<code>front_door/contacts_of_the_day.csv</code>, the people they name in "
        "<code>front_door/contact_subjects.csv</code>): for each, what every agency held on the child and household "
        "that day, where it sits in the pack, and the decision the truth supports.</p>"
    )
    return page("Front-door exercise: answer key", sections, intro=intro, printed_contents=True, landscape=True)
