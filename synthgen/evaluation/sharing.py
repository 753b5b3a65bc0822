"""Scoring a screening and information-sharing system against the truth.

A system hands over two files. FLAGS say which child it flagged and when (`record_id`, `flagged_at`, and
optionally `concern`); DISCLOSURES say which record's fields it shared, with which agency, when, for which case
and purpose (`record_id`, `fields`, `recipient`, `shared_at`, `case`, `purpose`). A record id may be any agency
file's id (a person-level register's `record_id`, an event's id: an A&E attendance, a referral, a police
incident) or a linkage view `record_id`; truth/records and truth/events map each to its person.

Decisions the issue left open:
- An id that maps to several people (a police incident) flags the children among them (under 18, or unborn, on
  the flag date), or everyone in it when none is a child; a disclosure of such a record is about everyone in it.
- A flag on the day a case became visible, or before it, took zero days (early flags are counted apart).
- A person is "in a flagged case" when flagged or a relative (truth/relationships) of someone flagged; a person is
  "at risk or family" when at risk or a relative of an at-risk child: a parent's record shared for a child's case
  is not over-sharing, a neighbour's is.

Every problem with either file is one line naming the file and what was expected (see `read_flags`,
`read_disclosures`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import sharing
from synthgen import signals as signal_rules
from synthgen.errors import SynthgenError
from synthgen.evaluation import adapters
from synthgen.runs import Run, open_run
from synthgen.simulate import NEEDS

FLAG_COLUMNS = "flags need record_id and flagged_at (concern optional)"
DISCLOSURE_COLUMNS = "disclosures need record_id, fields, recipient, shared_at, case and purpose"
FIELD_SEPARATORS = (";", ",")
EXAMPLES = 8
NO_CONCERN = "(none given)"


# ------------------------------------------------------------------------------------------------ truth of a run


@dataclass(frozen=True)
class Truth:
    """What the scores rest on, read once from a run."""

    ids: pa.Table  # record_id, person_id, agency: every record id of the run (agency files and linkage view)
    dob: dict[int, dt.date]  # people's dates of birth (for 'is a child on the day')
    at_risk: dict[int, dt.date | None]  # child at risk -> onset of the need (None when unknown)
    concerns: dict[int, list[str]]  # child at risk -> its needs
    visible: dict[int, dt.date]  # child -> the day its case became visible across agencies
    signals: pa.Table  # truth/signals
    storylines: pa.Table  # truth/storylines (empty before storylines exist)
    relatives: dict[int, set[int]]
    period: tuple[dt.date, dt.date]
    policy: sharing.Allowed


def _optional(run: Run, name: str, schema: pa.Schema) -> pa.Table:
    """A truth table the run may not have (runs before storylines): absent is empty."""
    return run.read(name) if run.has(name) else schema.empty_table()


STORYLINES_SCHEMA = pa.schema(
    [
        ("storyline_id", pa.string()),
        ("template", pa.string()),
        ("concern", pa.string()),
        ("person_id", pa.int64()),
        ("role", pa.string()),
        ("at_risk", pa.bool_()),
        ("onset", pa.date32()),
    ]
)


def read_truth(run: Run) -> Truth:
    for name in ("truth/records", "truth/events", "truth/people", "truth/risk", "truth/signals"):
        if not run.has(name):
            raise SynthgenError(f"{run.path}: this run has no {name} (generated before sharing truth existed?)")
    records = run.read("truth/records", ["record_id", "source", "source_record_id", "person_id"])
    events = run.read("truth/events", ["source", "record_id", "person_id"])
    ids = pa.concat_tables(
        [
            records.select(["record_id", "person_id", "source"]),
            records.select(["source_record_id", "person_id", "source"]).rename_columns(
                ["record_id", "person_id", "source"]
            ),
            events.select(["record_id", "person_id", "source"]),
        ]
    ).rename_columns(["record_id", "person_id", "agency"])
    ids = (
        ids.group_by(["record_id", "person_id"])
        .aggregate([("agency", "min")])
        .rename_columns(["record_id", "person_id", "agency"])
    )
    people = run.read("truth/people", ["person_id", "date_of_birth"])
    dob = dict(zip(people["person_id"].to_pylist(), people["date_of_birth"].to_pylist(), strict=True))
    risk = run.read("truth/risk")
    needs = risk.filter(pc.is_in(risk["kind"], value_set=pa.array(sorted(NEEDS))))
    at_risk: dict[int, dt.date | None] = {}
    concerns: dict[int, list[str]] = {}
    for person, kind, onset in zip(
        needs["person_id"].to_pylist(), needs["kind"].to_pylist(), needs["onset"].to_pylist(), strict=True
    ):
        earlier = at_risk.get(person)
        at_risk[person] = onset if earlier is None or (onset is not None and onset < earlier) else earlier
        concerns.setdefault(person, []).append(kind)
    storylines = _optional(run, "truth/storylines", STORYLINES_SCHEMA)
    for row in storylines.filter(pc.field("at_risk")).to_pylist():
        person, onset = row["person_id"], row["onset"]
        earlier = at_risk.get(person)
        at_risk[person] = onset if earlier is None or (onset is not None and onset < earlier) else earlier
        if row["concern"] not in concerns.setdefault(person, []):
            concerns[person].append(row["concern"])
    found = run.read("truth/signals")
    visible_table = signal_rules.visibility(found)
    visible = dict(zip(visible_table["person_id"].to_pylist(), visible_table["visible_on"].to_pylist(), strict=True))
    relations = run.read("truth/relationships", ["person_id", "relative_id"])
    relatives: dict[int, set[int]] = {}
    for a, b in zip(relations["person_id"].to_pylist(), relations["relative_id"].to_pylist(), strict=True):
        relatives.setdefault(a, set()).add(b)
        relatives.setdefault(b, set()).add(a)
    period = run.manifest.get("period", {})
    scenario = run.manifest.get("scenario", {})
    rules = (scenario.get("sharing") or {}).get("rules")
    if rules is None:  # a run made before the policy was part of the scenario: the default
        rules = [rule.model_dump() for rule in sharing.default_rules()]
    return Truth(
        ids=ids,
        dob=dob,
        at_risk=at_risk,
        concerns=concerns,
        visible=visible,
        signals=found,
        storylines=storylines,
        relatives=relatives,
        period=(dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])),
        policy=sharing.allowed(rules),
    )


# ------------------------------------------------------------------------------------------------- reading files


def _require(path: Path, table: pa.Table, columns: tuple[str, ...], expected: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise SynthgenError(f"{path}: missing column {missing[0]} ({expected}); found: {', '.join(table.column_names)}")


def _dates(path: Path, table: pa.Table, column: str) -> NDArray[np.datetime64]:
    """A column of dates (a date, a timestamp, or text as YYYY-MM-DD or an ISO timestamp) as days."""
    values = table.column(column).combine_chunks()
    if values.null_count:
        raise SynthgenError(f"{path}: column {column} has {values.null_count:,} empty values")
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        text = pc.utf8_trim_whitespace(values.cast(pa.string()))
        parsed = pc.strptime(pc.utf8_slice_codeunits(text, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True)
        bad = pc.is_null(parsed)
        if pc.any(bad).as_py():
            first = text.filter(bad)[0].as_py()
            raise SynthgenError(f"{path}: {column} {first!r} is not a date (expected YYYY-MM-DD)")
        values = parsed
    elif not (pa.types.is_date(values.type) or pa.types.is_timestamp(values.type)):
        raise SynthgenError(f"{path}: column {column} must hold dates (YYYY-MM-DD), found {values.type}")
    return signal_rules.days(values)


def _person_rows(path: Path, ids: pa.Array, column: str, truth: Truth) -> pa.Table:
    """(row, person_id, agency) for every person each id maps to; an unknown id is an error."""
    rows = pa.table({"row": pa.array(np.arange(len(ids))), "record_id": ids})
    joined = rows.join(truth.ids, "record_id", join_type="inner")
    known = np.zeros(len(ids), bool)
    known[joined["row"].to_numpy()] = True
    if not known.all():
        unknown = pc.unique(ids.filter(pa.array(~known)))
        raise SynthgenError(
            f"{path}: {len(unknown):,} {column} values are not record ids of this run's agency files or linkage view "
            f"(e.g. {unknown[0].as_py()!r})"
        )
    return joined.sort_by([("row", "ascending"), ("person_id", "ascending")])


def _is_child(truth: Truth, person: list[int], day: list[dt.date]) -> NDArray[np.bool_]:
    dob = np.array([truth.dob.get(p) for p in person], dtype="datetime64[D]")
    return signal_rules.is_child(dob, np.array(day, dtype="datetime64[D]"))


@dataclass(frozen=True)
class Flags:
    first_flag: dict[int, dt.date]  # flagged person -> their first flag
    concern: dict[int, str]  # flagged person -> the concern given with the first flag
    rows: int
    stated_concerns: dict[str, int]


def read_flags(path: str | Path, truth: Truth) -> Flags:
    path = Path(path)
    table = adapters.read_table(path, "flags")
    _require(path, table, ("record_id", "flagged_at"), FLAG_COLUMNS)
    ids = adapters.record_id_column(path, table, "record_id")
    when = _dates(path, table, "flagged_at")
    concern = (
        table.column("concern").cast(pa.string()).fill_null(NO_CONCERN).to_pylist()
        if "concern" in table.column_names
        else [NO_CONCERN] * table.num_rows
    )
    mapped = _person_rows(path, ids, "record_id", truth)
    row = mapped["row"].to_numpy()
    person = mapped["person_id"].to_pylist()
    day = [d.item() for d in when[row]]
    child = _is_child(truth, person, day)
    # an id of several people (an incident) flags the children in it, or everyone when none is a child
    people_per_row = np.bincount(row, minlength=table.num_rows)
    children_per_row = np.bincount(row, weights=child, minlength=table.num_rows)
    keep = (people_per_row[row] == 1) | child | (children_per_row[row] == 0)
    first: dict[int, dt.date] = {}
    stated: dict[int, str] = {}
    for r, p, d, k in zip(row.tolist(), person, day, keep.tolist(), strict=True):
        if k and (p not in first or d < first[p]):
            first[p], stated[p] = d, concern[r]
    counts: dict[str, int] = {}
    for value in concern:
        counts[value] = counts.get(value, 0) + 1
    return Flags(first, stated, table.num_rows, dict(sorted(counts.items())))


@dataclass(frozen=True)
class Disclosures:
    rows: int
    record_agency: list[str]
    fields: list[list[str]]
    recipient: list[str]
    purpose: list[str | None]
    people: list[list[int]]
    case_people: list[list[int]]  # the people the case's flagged record names (empty for no case)
    shared_at: list[dt.date]


def _fields(path: Path, table: pa.Table) -> list[list[str]]:
    values = table.column("fields").combine_chunks()
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        lists = values.to_pylist()
        if any(v is None or not v or any(not isinstance(x, str) for x in v) for v in lists):
            raise SynthgenError(f"{path}: every fields entry must list a field name (e.g. given_name;postcode)")
        return [[x.strip() for x in v] for v in lists]
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise SynthgenError(f"{path}: column fields must hold field names separated by ';', found {values.type}")
    out = []
    for text in values.to_pylist():
        for separator in FIELD_SEPARATORS[1:]:
            text = (text or "").replace(separator, FIELD_SEPARATORS[0])
        names = [name.strip() for name in (text or "").split(FIELD_SEPARATORS[0]) if name.strip()]
        if not names:
            raise SynthgenError(f"{path}: every fields entry must list a field name (e.g. given_name;postcode)")
        out.append(names)
    return out


def _text_column(path: Path, table: pa.Table, column: str) -> list[str | None]:
    values = table.column(column).combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type) or pa.types.is_null(values.type)):
        raise SynthgenError(f"{path}: column {column} must hold text, found {values.type}")
    return [None if v is None or not str(v).strip() else str(v).strip() for v in values.to_pylist()]


def read_disclosures(path: str | Path, truth: Truth) -> Disclosures:
    path = Path(path)
    table = adapters.read_table(path, "disclosures")
    _require(path, table, ("record_id", "fields", "recipient", "shared_at", "case", "purpose"), DISCLOSURE_COLUMNS)
    ids = adapters.record_id_column(path, table, "record_id")
    fields = _fields(path, table)
    recipients = _text_column(path, table, "recipient")
    for value in recipients:
        if value not in sharing.AGENCIES:
            raise SynthgenError(
                f"{path}: recipient {value!r} is not an agency (allowed: {', '.join(sharing.AGENCIES)})"
            )
    purposes = _text_column(path, table, "purpose")
    for value in purposes:
        if value is not None and value not in sharing.PURPOSES:
            raise SynthgenError(
                f"{path}: purpose {value!r} is not allowed (allowed: {', '.join(sharing.PURPOSES)}, or empty for none)"
            )
    shared_at = _dates(path, table, "shared_at")
    mapped = _person_rows(path, ids, "record_id", truth)
    people: list[list[int]] = [[] for _ in range(table.num_rows)]
    agency = [""] * table.num_rows
    for r, p, a in zip(
        mapped["row"].to_pylist(), mapped["person_id"].to_pylist(), mapped["agency"].to_pylist(), strict=True
    ):
        people[r].append(p)
        agency[r] = a
    cases = table.column("case").combine_chunks()
    if pa.types.is_integer(cases.type):
        cases = cases.cast(pa.string())
    if not (pa.types.is_string(cases.type) or pa.types.is_large_string(cases.type) or pa.types.is_null(cases.type)):
        raise SynthgenError(f"{path}: column case must hold the flagged record's id, found {cases.type}")
    case_people: list[list[int]] = [[] for _ in range(table.num_rows)]
    with_case = np.flatnonzero(cases.is_valid().to_numpy(zero_copy_only=False))
    if len(with_case):
        case_ids = cases.cast(pa.string()).take(pa.array(with_case))
        case_map = _person_rows(path, case_ids, "case", truth)
        for r, p in zip(case_map["row"].to_pylist(), case_map["person_id"].to_pylist(), strict=True):
            case_people[int(with_case[r])].append(p)
    return Disclosures(
        rows=table.num_rows,
        record_agency=agency,
        fields=fields,
        recipient=[str(r) for r in recipients],
        purpose=purposes,
        people=people,
        case_people=case_people,
        shared_at=[d.item() for d in shared_at],
    )


# ------------------------------------------------------------------------------------------------------- metrics


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _delays(children: list[int], flags: Flags, truth: Truth) -> dict[str, Any]:
    """Days from visibility to the first flag over children who became visible (flags before count as 0)."""
    delays, early = [], 0
    for child in children:
        flagged = flags.first_flag.get(child)
        if flagged is None:
            continue
        days = (flagged - truth.visible[child]).days
        early += days < 0
        delays.append(max(days, 0))
    n = len(children)
    return {
        "children": n,
        "flagged": len(delays),
        "median_days": float(np.median(delays)) if delays else None,
        "within_7_days": _ratio(sum(d <= 7 for d in delays), n),
        "within_30_days": _ratio(sum(d <= 30 for d in delays), n),
        "never": _ratio(n - len(delays), n),
        "flagged_before_visible": early,
        "histogram": {str(d): delays.count(d) for d in sorted(set(delays))},
    }


def _detection(flags: Flags, truth: Truth) -> dict[str, Any]:
    flagged = set(flags.first_flag)
    at_risk = set(truth.at_risk)
    hits = flagged & at_risk
    precision, recall = _ratio(len(hits), len(flagged)), _ratio(len(hits), len(at_risk))
    visible_at_risk = at_risk & set(truth.visible)
    flagged_children = {p for p in flagged if _is_child(truth, [p], [flags.first_flag[p]])[0]}
    return {
        "children_at_risk": len(at_risk),
        "children_at_risk_visible": len(visible_at_risk),
        "children_visible": len(truth.visible),
        "flagged_people": len(flagged),
        "flagged_children": len(flagged_children),
        "true_positives": len(hits),
        "false_positives": len(flagged - at_risk),
        "false_negatives": len(at_risk - flagged),
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "recall_visible": _ratio(len(hits & visible_at_risk), len(visible_at_risk)),
        "flagged_not_visible": len(flagged - set(truth.visible)),
    }


def _by_concern(flags: Flags, truth: Truth) -> list[dict[str, Any]]:
    kinds = sorted({k for ks in truth.concerns.values() for k in ks})
    out = []
    for kind in kinds:
        children = sorted(p for p, ks in truth.concerns.items() if kind in ks)
        visible = [p for p in children if p in truth.visible]
        flagged = [p for p in children if p in flags.first_flag]
        timing = _delays(visible, flags, truth)
        out.append(
            {
                "concern": kind,
                "children": len(children),
                "visible": len(visible),
                "flagged": len(flagged),
                "recall": _ratio(len(flagged), len(children)),
                "median_days_to_flag": timing["median_days"],
            }
        )
    return out


def _person_signals(truth: Truth, people: list[int]) -> list[dict[str, Any]]:
    chosen = truth.signals.filter(pc.is_in(truth.signals["person_id"], value_set=pa.array(people, pa.int64())))
    chosen = chosen.sort_by([("date_known", "ascending"), ("agency", "ascending")])
    return [
        {"person_id": r["person_id"], "agency": r["agency"], "kind": r["kind"], "date": r["date_known"].isoformat()}
        for r in chosen.to_pylist()
    ]


def _days(later: dt.date | None, earlier: dt.date | None) -> int | None:
    return (later - earlier).days if later is not None and earlier is not None else None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _storylines(flags: Flags, truth: Truth) -> list[dict[str, Any]]:
    out = []
    table = truth.storylines
    for storyline_id in sorted(set(table["storyline_id"].to_pylist())):
        rows = table.filter(pc.equal(table["storyline_id"], storyline_id)).to_pylist()
        subjects = sorted({r["person_id"] for r in rows if r["at_risk"]})
        onsets = [r["onset"] for r in rows if r["at_risk"] and r["onset"] is not None]
        onset = min(onsets) if onsets else None
        visible_days = [truth.visible[p] for p in subjects if p in truth.visible]
        visible = min(visible_days) if visible_days else None
        flag_days = [flags.first_flag[p] for p in subjects if p in flags.first_flag]
        flagged = min(flag_days) if flag_days else None
        out.append(
            {
                "storyline_id": storyline_id,
                "template": rows[0]["template"],
                "concern": rows[0]["concern"],
                "children_at_risk": len(subjects),
                "onset": _iso(onset),
                "visible_on": _iso(visible),
                "detected": flagged is not None,
                "flagged_at": _iso(flagged),
                "days_from_onset": _days(flagged, onset),
                "days_from_visibility": _days(flagged, visible),
                "signals": _person_signals(truth, sorted({r["person_id"] for r in rows})),
            }
        )
    return out


def _examples(flags: Flags, truth: Truth) -> list[dict[str, Any]]:
    """Children at risk whose case became visible: the missed first, then the slowest flagged, with their
    signals, for the report's timelines."""
    visible = sorted(p for p in truth.at_risk if p in truth.visible)
    missed = [p for p in visible if p not in flags.first_flag]
    flagged = sorted(
        (p for p in visible if p in flags.first_flag),
        key=lambda p: (-(flags.first_flag[p] - truth.visible[p]).days, p),
    )
    out = []
    for person in (missed + flagged)[:EXAMPLES]:
        out.append(
            {
                "person_id": person,
                "concerns": truth.concerns.get(person, []),
                "onset": _iso(truth.at_risk.get(person)),
                "visible_on": _iso(truth.visible[person]),
                "flagged_at": _iso(flags.first_flag.get(person)),
                "signals": _person_signals(truth, [person]),
            }
        )
    return out


def _oversharing(disclosures: Disclosures, flags: Flags, truth: Truth) -> dict[str, Any]:
    flagged = set(flags.first_flag)
    in_case = set(flagged)
    for person in flagged:
        in_case |= truth.relatives.get(person, set())
    at_risk_or_family = set(truth.at_risk)
    for person in truth.at_risk:
        at_risk_or_family |= truth.relatives.get(person, set())
    no_case = not_at_risk = outside = no_purpose = no_flagged_case = 0
    outside_fields: dict[tuple[str, str, str], int] = {}
    pairs_without_purpose: dict[tuple[str, str, str], int] = {}
    exposed: set[int] = set()
    for i in range(disclosures.rows):
        people = disclosures.people[i]
        no_case += any(p not in in_case for p in people)
        if any(p not in at_risk_or_family for p in people):
            not_at_risk += 1
            exposed.update(p for p in people if p not in at_risk_or_family)
        no_flagged_case += not any(p in flagged for p in disclosures.case_people[i])
        agency, recipient, purpose = disclosures.record_agency[i], disclosures.recipient[i], disclosures.purpose[i]
        key = (agency, recipient, purpose or "")
        allowed = truth.policy.get(key) if purpose is not None else None
        if allowed is None:
            no_purpose += 1
            pairs_without_purpose[key] = pairs_without_purpose.get(key, 0) + 1
            continue
        extra = [f for f in disclosures.fields[i] if f != "record_id" and f not in allowed]
        outside += bool(extra)
        for field in extra:
            outside_fields[(agency, recipient, field)] = outside_fields.get((agency, recipient, field), 0) + 1
    n = disclosures.rows
    return {
        "disclosures": n,
        "about_people_in_no_flagged_case": no_case,
        "about_people_not_at_risk": not_at_risk,
        "for_no_flagged_case": no_flagged_case,
        "fields_outside_policy": outside,
        "recipients_without_purpose": no_purpose,
        "share_about_people_in_no_flagged_case": _ratio(no_case, n),
        "share_about_people_not_at_risk": _ratio(not_at_risk, n),
        "share_fields_outside_policy": _ratio(outside, n),
        "share_recipients_without_purpose": _ratio(no_purpose, n),
        "people_not_at_risk_disclosed": len(exposed),
        "fields_outside_policy_by_pair": [
            {"agency": a, "recipient": r, "field": f, "disclosures": c}
            for (a, r, f), c in sorted(outside_fields.items(), key=lambda item: (-item[1], item[0]))
        ],
        "recipients_without_purpose_by_pair": [
            {"agency": a, "recipient": r, "purpose": p or None, "disclosures": c}
            for (a, r, p), c in sorted(pairs_without_purpose.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def evaluate_sharing(
    run_path: str | Path, flags_path: str | Path, disclosures_path: str | Path | None = None
) -> dict[str, Any]:
    """Score flags (and disclosures) against a run's truth; a JSON-ready dict with stable keys."""
    return score(read_truth(open_run(run_path)), run_path, flags_path, disclosures_path)


def score(
    truth: Truth, run_path: str | Path, flags_path: str | Path, disclosures_path: str | Path | None = None
) -> dict[str, Any]:
    """As `evaluate_sharing`, with the run's truth already read (to score many files against one run)."""
    flags = read_flags(flags_path, truth)
    visible_at_risk = sorted(p for p in truth.at_risk if p in truth.visible)
    result: dict[str, Any] = {
        "run": str(run_path),
        "flags": str(flags_path),
        "disclosures": None if disclosures_path is None else str(disclosures_path),
        "period": {"start": truth.period[0].isoformat(), "end": truth.period[1].isoformat()},
        "flag_rows": flags.rows,
        "detection": _detection(flags, truth),
        "time_to_flag": _delays(visible_at_risk, flags, truth),
        "by_concern": _by_concern(flags, truth),
        "flags_by_stated_concern": flags.stated_concerns,
        "storylines": _storylines(flags, truth),
        "examples": _examples(flags, truth),
        "oversharing": None,
    }
    if disclosures_path is not None:
        result["oversharing"] = _oversharing(read_disclosures(disclosures_path, truth), flags, truth)
    return result
