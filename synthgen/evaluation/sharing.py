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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import sharing_policy
from synthgen import signals as signal_rules
from synthgen.errors import SynthgenError
from synthgen.evaluation import adapters
from synthgen.run_folder import Run, open_run
from synthgen.world import storylines as planted
from synthgen.world.simulate import NEEDS

FLAG_COLUMNS = "flags need record_id and flagged_at (concern optional)"
DISCLOSURE_COLUMNS = "disclosures need record_id, fields, recipient, shared_at, case and purpose"
FIELD_SEPARATORS = (";", ",")
EXAMPLES = 8
NO_CONCERN = "(none given)"


# ------------------------------------------------------------------------------------------------ truth of a run


Days = NDArray[np.datetime64]
Ids = NDArray[np.int64]


@dataclass(frozen=True)
class Truth:
    """What the scores rest on, read once from a run, as columns (sorted person ids beside their values)."""

    ids: pa.Table  # record_id, person_id, agency: every record id of the run (agency files and linkage view)
    person_id: Ids  # every person, sorted
    dob: Days  # their dates of birth (for 'is a child on the day')
    at_risk_ids: Ids  # children at risk, sorted
    at_risk_onset: Days  # the onset of their need (NaT when unknown)
    concerns: pa.Table  # person_id, concern: each child at risk's needs (truth/risk's, then its storylines')
    visible_ids: Ids  # children whose case became visible across agencies, sorted
    visible_on: Days  # the day it did
    signals: pa.Table  # truth/signals
    storylines: pa.Table  # truth/storylines (empty before storylines exist)
    relative_a: Ids  # each relationship both ways round: relative_a[i] is related to relative_b[i]
    relative_b: Ids
    period: tuple[dt.date, dt.date]
    policy: sharing_policy.Allowed

    @property
    def at_risk(self) -> dict[int, dt.date | None]:
        """Child at risk -> onset of the need (None when unknown), for callers who want a mapping."""
        return dict(zip(self.at_risk_ids.tolist(), self.at_risk_onset.tolist(), strict=True))

    @property
    def visible(self) -> dict[int, dt.date]:
        """Child -> the day its case became visible across agencies, for callers who want a mapping."""
        return dict(zip(self.visible_ids.tolist(), self.visible_on.tolist(), strict=True))


def _day_of(keys: Ids, values: Days, query: Ids) -> Days:
    """values[i] for keys[i] == each query (keys sorted and unique), NaT where a query is not a key."""
    at = np.searchsorted(keys, query)
    inside = at < len(keys)
    found = np.zeros(len(query), bool)
    found[inside] = keys[at[inside]] == query[inside]
    out = np.full(len(query), np.datetime64("NaT"), "datetime64[D]")
    out[found] = values[at[found]]
    return out


def _min_by(group: Ids, day: Days, groups: int) -> Days:
    """The earliest known day of each group 0..groups-1 (NaT when it has none)."""
    known = ~np.isnat(day)
    least = np.full(groups, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(least, group[known], day[known].astype(np.int64))
    out = least.astype("datetime64[D]")
    out[least == np.iinfo(np.int64).max] = np.datetime64("NaT")
    return out


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
    person_id = people["person_id"].to_numpy()
    by_person = np.argsort(person_id, kind="stable")
    risk = run.read("truth/risk")
    needs = risk.filter(pc.is_in(risk["kind"], value_set=pa.array(sorted(NEEDS))))
    storylines = run.read_or_empty("truth/storylines", planted.empty_storylines().schema)
    subjects = storylines.filter(pc.field("at_risk"))
    onsets = pa.concat_tables(
        [
            needs.select(["person_id", "onset"]).cast(subjects.select(["person_id", "onset"]).schema),
            subjects.select(["person_id", "onset"]),
        ]
    )
    at_risk = onsets.group_by("person_id", use_threads=False).aggregate([("onset", "min")]).sort_by("person_id")
    # a storyline's concern is added to a child's needs unless it is already among them (first time only)
    stated = pa.table(
        {
            "person_id": subjects["person_id"],
            "concern": subjects["concern"],
            "position": pa.array(np.arange(subjects.num_rows)),
        }
    )
    stated = stated.group_by(["person_id", "concern"], use_threads=False).aggregate([("position", "min")])
    known = needs.select(["person_id", "kind"]).rename_columns(["person_id", "concern"])
    stated = stated.join(
        known.group_by(["person_id", "concern"]).aggregate([]), ["person_id", "concern"], join_type="left anti"
    )
    stated = stated.sort_by("position_min").select(["person_id", "concern"])
    concerns = pa.concat_tables([known.cast(stated.schema), stated])
    found = run.read("truth/signals")
    visible = signal_rules.visibility(found).sort_by("person_id")
    relations = run.read("truth/relationships", ["person_id", "relative_id"])
    a, b = relations["person_id"].to_numpy(), relations["relative_id"].to_numpy()
    period = run.manifest.get("period", {})
    scenario = run.manifest.get("scenario", {})
    rules = (scenario.get("sharing") or {}).get("rules")
    if rules is None:  # a run made before the policy was part of the scenario: the default
        rules = [rule.model_dump() for rule in sharing_policy.default_rules()]
    return Truth(
        ids=ids,
        person_id=person_id[by_person],
        dob=signal_rules.days(people["date_of_birth"].combine_chunks())[by_person],
        at_risk_ids=at_risk["person_id"].to_numpy(),
        at_risk_onset=signal_rules.days(at_risk["onset_min"].combine_chunks()),
        concerns=concerns,
        visible_ids=visible["person_id"].to_numpy(),
        visible_on=signal_rules.days(visible["visible_on"].combine_chunks()),
        signals=found,
        storylines=storylines,
        relative_a=np.r_[a, b].astype(np.int64),
        relative_b=np.r_[b, a].astype(np.int64),
        period=(dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])),
        policy=sharing_policy.allowed(rules),
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
    """(row, person_id, agency) for every person each id maps to; an unknown id is an error.

    The run's ids are first cut down to those the file names (hashing the file's few ids, not the run's many)."""
    rows = pa.table({"row": pa.array(np.arange(len(ids))), "record_id": ids})
    named = truth.ids.filter(pc.is_in(truth.ids["record_id"], value_set=pc.unique(ids)))
    joined = rows.join(named, "record_id", join_type="inner")
    known = np.zeros(len(ids), bool)
    known[joined["row"].to_numpy()] = True
    if not known.all():
        unknown = pc.unique(ids.filter(pa.array(~known)))
        raise SynthgenError(
            f"{path}: {len(unknown):,} {column} values are not record ids of this run's agency files or linkage view "
            f"(e.g. {unknown[0].as_py()!r})"
        )
    return joined.sort_by([("row", "ascending"), ("person_id", "ascending")])


def _is_child(truth: Truth, person: Ids | Sequence[int], day: Days | Sequence[dt.date]) -> NDArray[np.bool_]:
    people = np.asarray(person, np.int64)
    return signal_rules.is_child(_day_of(truth.person_id, truth.dob, people), np.asarray(day, "datetime64[D]"))


@dataclass(frozen=True)
class Flags:
    person: Ids  # flagged people, sorted
    first_flag: Days  # their first flag
    concern: pa.Array  # the concern given with it
    rows: int
    stated_concerns: dict[str, int]


def read_flags(path: str | Path, truth: Truth) -> Flags:
    path = Path(path)
    table = adapters.read_table(path, "flags")
    _require(path, table, ("record_id", "flagged_at"), FLAG_COLUMNS)
    ids = adapters.record_id_column(path, table, "record_id")
    when = _dates(path, table, "flagged_at")
    concern = (
        table.column("concern").combine_chunks().cast(pa.string()).fill_null(NO_CONCERN)
        if "concern" in table.column_names
        else pa.array(np.full(table.num_rows, NO_CONCERN, dtype=object), pa.string())
    )
    mapped = _person_rows(path, ids, "record_id", truth)
    row = mapped["row"].to_numpy()
    person = mapped["person_id"].to_numpy()
    day = when[row]
    child = _is_child(truth, person, day)
    # an id of several people (an incident) flags the children in it, or everyone when none is a child
    people_per_row = np.bincount(row, minlength=table.num_rows)
    children_per_row = np.bincount(row, weights=child, minlength=table.num_rows)
    keep = np.flatnonzero((people_per_row[row] == 1) | child | (children_per_row[row] == 0))
    # each person's earliest flag; on a tie, the first row of the file
    order = keep[np.lexsort((keep, day[keep].astype(np.int64), person[keep]))]
    first = order[np.r_[True, person[order][1:] != person[order][:-1]]] if len(order) else order
    counts = pc.value_counts(concern)
    stated = sorted(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))
    return Flags(person[first], day[first], concern.take(pa.array(row[first])), table.num_rows, dict(stated))


@dataclass(frozen=True)
class Disclosures:
    """The disclosures file as columns: a value per row, and (row, value) pairs where a row holds several."""

    rows: int
    record_agency: pa.Array  # the agency whose record each row discloses
    field_row: Ids  # each field a row names: its row ...
    field: pa.Array  # ... and its name
    recipient: pa.Array
    purpose: pa.Array  # null for none
    person_row: Ids  # each person a row's record is about: its row ...
    person: Ids  # ... and the person
    case_row: Ids  # each person the row's case (the flagged record) names: its row ...
    case_person: Ids  # ... and the person
    shared_at: Days


def _fields(path: Path, table: pa.Table) -> tuple[Ids, pa.Array]:
    """(row, field name) for each field each row names; every row must name one."""
    values = table.column("fields").combine_chunks()
    empty = f"{path}: every fields entry must list a field name (e.g. given_name;postcode)"
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        if len(values) and (
            values.null_count
            or not pc.all(pc.greater(pc.list_value_length(values), 0)).as_py()
            or not pa.types.is_string(values.type.value_type)
            or pc.list_flatten(values).null_count
        ):
            raise SynthgenError(empty)
        names = pc.utf8_trim_whitespace(pc.list_flatten(values).cast(pa.string()))
        return pc.list_parent_indices(values).to_numpy().astype(np.int64), names
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise SynthgenError(f"{path}: column fields must hold field names separated by ';', found {values.type}")
    text = values.cast(pa.string()).fill_null("")
    for separator in FIELD_SEPARATORS[1:]:
        text = pc.replace_substring(text, separator, FIELD_SEPARATORS[0])
    parts = pc.split_pattern(text, FIELD_SEPARATORS[0])
    names = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    named = pc.greater(pc.utf8_length(names), 0)
    row = pc.list_parent_indices(parts).to_numpy().astype(np.int64)[named.to_numpy(zero_copy_only=False)]
    if (np.bincount(row, minlength=len(values)) == 0).any():
        raise SynthgenError(empty)
    return row, names.filter(named)


def _text_column(path: Path, table: pa.Table, column: str) -> pa.Array:
    """A text column trimmed, with empty text as null."""
    values = table.column(column).combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type) or pa.types.is_null(values.type)):
        raise SynthgenError(f"{path}: column {column} must hold text, found {values.type}")
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)


def _first_outside(values: pa.Array, allowed: tuple[str, ...], nulls_allowed: bool) -> tuple[bool, str | None]:
    """Whether some value is not among `allowed` (a null is, unless `nulls_allowed`), and the first such value."""
    inside = pc.is_in(values, value_set=pa.array(allowed, pa.string())).fill_null(False).to_numpy(zero_copy_only=False)
    if nulls_allowed:
        inside |= ~values.is_valid().to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(~inside)
    return (True, values[int(bad[0])].as_py()) if len(bad) else (False, None)


def read_disclosures(path: str | Path, truth: Truth) -> Disclosures:
    path = Path(path)
    table = adapters.read_table(path, "disclosures")
    _require(path, table, ("record_id", "fields", "recipient", "shared_at", "case", "purpose"), DISCLOSURE_COLUMNS)
    ids = adapters.record_id_column(path, table, "record_id")
    field_row, field = _fields(path, table)
    recipients = _text_column(path, table, "recipient")
    bad, value = _first_outside(recipients, sharing_policy.AGENCIES, nulls_allowed=False)
    if bad:
        raise SynthgenError(
            f"{path}: recipient {value!r} is not an agency (allowed: {', '.join(sharing_policy.AGENCIES)})"
        )
    purposes = _text_column(path, table, "purpose")
    bad, value = _first_outside(purposes, sharing_policy.PURPOSES, nulls_allowed=True)
    if bad:
        raise SynthgenError(
            f"{path}: purpose {value!r} is not allowed "
            f"(allowed: {', '.join(sharing_policy.PURPOSES)}, or empty for none)"
        )
    shared_at = _dates(path, table, "shared_at")
    mapped = _person_rows(path, ids, "record_id", truth)
    mapped_row = mapped["row"].to_numpy()
    last = np.flatnonzero(np.r_[mapped_row[1:] != mapped_row[:-1], True]) if len(mapped_row) else mapped_row
    cases = table.column("case").combine_chunks()
    if pa.types.is_integer(cases.type):
        cases = cases.cast(pa.string())
    if not (pa.types.is_string(cases.type) or pa.types.is_large_string(cases.type) or pa.types.is_null(cases.type)):
        raise SynthgenError(f"{path}: column case must hold the flagged record's id, found {cases.type}")
    case_row, case_person = np.zeros(0, np.int64), np.zeros(0, np.int64)
    with_case = np.flatnonzero(cases.is_valid().to_numpy(zero_copy_only=False))
    if len(with_case):
        case_ids = cases.cast(pa.string()).take(pa.array(with_case))
        case_map = _person_rows(path, case_ids, "case", truth)
        case_row = with_case[case_map["row"].to_numpy()].astype(np.int64)
        case_person = case_map["person_id"].to_numpy()
    return Disclosures(
        rows=table.num_rows,
        record_agency=mapped["agency"].combine_chunks().take(pa.array(last)),
        field_row=field_row,
        field=field,
        recipient=recipients,
        purpose=purposes,
        person_row=mapped_row.astype(np.int64),
        person=mapped["person_id"].to_numpy(),
        case_row=case_row,
        case_person=case_person,
        shared_at=shared_at,
    )


# ------------------------------------------------------------------------------------------------------- metrics


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _flag_days(flags: Flags, people: Ids) -> Days:
    return _day_of(flags.person, flags.first_flag, people)


def _delays(children: Ids, flags: Flags, truth: Truth) -> dict[str, Any]:
    """Days from visibility to the first flag over children who became visible (flags before count as 0)."""
    flagged = _flag_days(flags, children)
    seen = ~np.isnat(flagged)
    days = (flagged[seen] - _day_of(truth.visible_ids, truth.visible_on, children[seen])).astype(np.int64)
    delays = np.maximum(days, 0)
    n = len(children)
    values, counts = np.unique(delays, return_counts=True)
    return {
        "children": n,
        "flagged": len(delays),
        "median_days": float(np.median(delays)) if len(delays) else None,
        "within_7_days": _ratio(int((delays <= 7).sum()), n),
        "within_30_days": _ratio(int((delays <= 30).sum()), n),
        "never": _ratio(n - len(delays), n),
        "flagged_before_visible": int((days < 0).sum()),
        "histogram": {str(d): c for d, c in zip(values.tolist(), counts.tolist(), strict=True)},
    }


def _detection(flags: Flags, truth: Truth) -> dict[str, Any]:
    flagged, at_risk, visible = flags.person, truth.at_risk_ids, truth.visible_ids
    hits = np.intersect1d(flagged, at_risk)
    precision, recall = _ratio(len(hits), len(flagged)), _ratio(len(hits), len(at_risk))
    visible_at_risk = np.intersect1d(at_risk, visible)
    return {
        "children_at_risk": len(at_risk),
        "children_at_risk_visible": len(visible_at_risk),
        "children_visible": len(visible),
        "flagged_people": len(flagged),
        "flagged_children": int(_is_child(truth, flagged, flags.first_flag).sum()),
        "true_positives": len(hits),
        "false_positives": len(np.setdiff1d(flagged, at_risk)),
        "false_negatives": len(np.setdiff1d(at_risk, flagged)),
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "recall_visible": _ratio(len(np.intersect1d(hits, visible_at_risk)), len(visible_at_risk)),
        "flagged_not_visible": len(np.setdiff1d(flagged, visible)),
    }


def _by_concern(flags: Flags, truth: Truth) -> list[dict[str, Any]]:
    pairs = truth.concerns.group_by(["person_id", "concern"], use_threads=False).aggregate([])
    person = pairs["person_id"].to_numpy()
    concern = pairs["concern"].to_numpy(zero_copy_only=False)
    out = []
    for kind in sorted(set(concern.tolist())):  # a handful of needs
        children = np.unique(person[concern == kind])
        visible = children[np.isin(children, truth.visible_ids)]
        timing = _delays(visible, flags, truth)
        flagged = int(np.isin(children, flags.person).sum())
        out.append(
            {
                "concern": kind,
                "children": len(children),
                "visible": len(visible),
                "flagged": flagged,
                "recall": _ratio(flagged, len(children)),
                "median_days_to_flag": timing["median_days"],
            }
        )
    return out


def _signal_rows(signals: pa.Table) -> list[dict[str, Any]]:
    return [
        {"person_id": r["person_id"], "agency": r["agency"], "kind": r["kind"], "date": r["date_known"].isoformat()}
        for r in signals.select(["person_id", "agency", "kind", "date_known"]).to_pylist()
    ]


def _person_signals(truth: Truth, people: list[int]) -> list[dict[str, Any]]:
    chosen = truth.signals.filter(pc.is_in(truth.signals["person_id"], value_set=pa.array(people, pa.int64())))
    return _signal_rows(chosen.sort_by([("date_known", "ascending"), ("agency", "ascending")]))


def _days(later: dt.date | None, earlier: dt.date | None) -> int | None:
    return (later - earlier).days if later is not None and earlier is not None else None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _storylines(flags: Flags, truth: Truth) -> list[dict[str, Any]]:
    """One entry per storyline; every figure is worked out over all storylines' columns at once, and the loop
    only writes the entries (the output is a list of them)."""
    table = truth.storylines
    if table.num_rows == 0:
        return []
    names, first, code = np.unique(
        table["storyline_id"].to_numpy(zero_copy_only=False).astype(object), return_index=True, return_inverse=True
    )
    code = code.astype(np.int64).ravel()
    person = table["person_id"].to_numpy()
    at_risk = table["at_risk"].fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    n = len(names)
    subject_pairs = np.unique(np.c_[code[at_risk], person[at_risk]], axis=0)
    subject_code, subject = subject_pairs[:, 0], subject_pairs[:, 1]
    subjects = np.bincount(subject_code, minlength=n)
    onset = _min_by(code[at_risk], signal_rules.days(table["onset"].combine_chunks())[at_risk], n)
    visible = _min_by(subject_code, _day_of(truth.visible_ids, truth.visible_on, subject), n)
    flagged = _min_by(subject_code, _flag_days(flags, subject), n)
    # every signal of every person in each storyline, by date known then agency (then the signals' own order)
    everyone = np.unique(np.c_[code, person], axis=0)
    members = pa.table({"code": pa.array(everyone[:, 0]), "person_id": pa.array(everyone[:, 1])})
    numbered = truth.signals.append_column("position", pa.array(np.arange(truth.signals.num_rows)))
    joined = members.join(numbered, "person_id", join_type="inner").sort_by(
        [("code", "ascending"), ("date_known", "ascending"), ("agency", "ascending"), ("position", "ascending")]
    )
    signal_rows = _signal_rows(joined)
    bounds = np.searchsorted(joined["code"].to_numpy(), np.arange(n + 1))
    templates = table["template"].take(pa.array(first)).to_pylist()
    concerns = table["concern"].take(pa.array(first)).to_pylist()
    out = []
    for i, storyline_id in enumerate(names.tolist()):
        start, end, seen, found = onset[i].item(), visible[i].item(), flagged[i].item(), bounds[i]
        out.append(
            {
                "storyline_id": storyline_id,
                "template": templates[i],
                "concern": concerns[i],
                "children_at_risk": int(subjects[i]),
                "onset": _iso(start),
                "visible_on": _iso(end),
                "detected": seen is not None,
                "flagged_at": _iso(seen),
                "days_from_onset": _days(seen, start),
                "days_from_visibility": _days(seen, end),
                "signals": signal_rows[found : bounds[i + 1]],
            }
        )
    return out


def _examples(flags: Flags, truth: Truth) -> list[dict[str, Any]]:
    """Children at risk whose case became visible: the missed first, then the slowest flagged, with their
    signals, for the report's timelines."""
    visible = np.intersect1d(truth.at_risk_ids, truth.visible_ids)
    flag_day = _flag_days(flags, visible)
    missed = visible[np.isnat(flag_day)]
    hit = ~np.isnat(flag_day)
    delay = (flag_day[hit] - _day_of(truth.visible_ids, truth.visible_on, visible[hit])).astype(np.int64)
    slowest = visible[hit][np.lexsort((visible[hit], -delay))]
    out = []
    for person in np.r_[missed, slowest][:EXAMPLES].tolist():  # a handful, for the report
        one = np.array([person], np.int64)
        concerns = truth.concerns.filter(pc.equal(truth.concerns["person_id"], person))["concern"].to_pylist()
        out.append(
            {
                "person_id": person,
                "concerns": concerns,
                "onset": _iso(_day_of(truth.at_risk_ids, truth.at_risk_onset, one)[0].item()),
                "visible_on": _iso(_day_of(truth.visible_ids, truth.visible_on, one)[0].item()),
                "flagged_at": _iso(_flag_days(flags, one)[0].item()),
                "signals": _person_signals(truth, [person]),
            }
        )
    return out


def _with_relatives(people: Ids, truth: Truth) -> Ids:
    return np.union1d(people, truth.relative_b[np.isin(truth.relative_a, people)])


def _rows_with(row: Ids, mask: NDArray[np.bool_]) -> int:
    """How many rows have at least one (row, value) pair where `mask` holds."""
    return len(np.unique(row[mask]))


def _oversharing(disclosures: Disclosures, flags: Flags, truth: Truth) -> dict[str, Any]:
    d = disclosures
    n = d.rows
    outside_case = ~np.isin(d.person, _with_relatives(flags.person, truth))
    outside_family = ~np.isin(d.person, _with_relatives(truth.at_risk_ids, truth))
    with_flagged_case = _rows_with(d.case_row, np.isin(d.case_person, flags.person))
    # each (agency, recipient, purpose) the file uses: a handful, as recipients and purposes are checked
    agency = pc.dictionary_encode(d.record_agency, null_encoding="encode")
    recipient = pc.dictionary_encode(d.recipient, null_encoding="encode")
    purpose = pc.dictionary_encode(d.purpose, null_encoding="encode")
    a, r, p = (np.asarray(x.indices.to_numpy(zero_copy_only=False), np.int64) for x in (agency, recipient, purpose))
    combos, combo = np.unique((a * len(recipient.dictionary) + r) * len(purpose.dictionary) + p, return_inverse=True)
    combo = combo.ravel()
    field_combo = combo[d.field_row]
    field_names = d.field.to_numpy(zero_copy_only=False).astype(object)
    outside_rows = np.zeros(n, bool)
    no_purpose = 0
    outside_fields: dict[tuple[str, str, str], int] = {}
    pairs_without_purpose: dict[tuple[str, str, str], int] = {}
    for index, value in enumerate(combos.tolist()):
        at = combo == index
        rest, p_code = divmod(value, len(purpose.dictionary))
        a_code, r_code = divmod(rest, len(recipient.dictionary))
        purpose_name = purpose.dictionary[p_code].as_py()
        key = (agency.dictionary[a_code].as_py(), recipient.dictionary[r_code].as_py(), purpose_name or "")
        allowed = truth.policy.get(key) if purpose_name is not None else None
        if allowed is None:
            no_purpose += int(at.sum())
            pairs_without_purpose[key] = pairs_without_purpose.get(key, 0) + int(at.sum())
            continue
        extra = (field_combo == index) & ~np.isin(field_names, sorted({"record_id", *allowed}))
        outside_rows[d.field_row[extra]] = True
        names, counts = np.unique(field_names[extra], return_counts=True)
        for field, count in zip(names.tolist(), counts.tolist(), strict=True):
            name = (key[0], key[1], field)
            outside_fields[name] = outside_fields.get(name, 0) + count
    no_case = _rows_with(d.person_row, outside_case)
    not_at_risk = _rows_with(d.person_row, outside_family)
    outside = int(outside_rows.sum())
    return {
        "disclosures": n,
        "about_people_in_no_flagged_case": no_case,
        "about_people_not_at_risk": not_at_risk,
        "for_no_flagged_case": n - with_flagged_case,
        "fields_outside_policy": outside,
        "recipients_without_purpose": no_purpose,
        "share_about_people_in_no_flagged_case": _ratio(no_case, n),
        "share_about_people_not_at_risk": _ratio(not_at_risk, n),
        "share_fields_outside_policy": _ratio(outside, n),
        "share_recipients_without_purpose": _ratio(no_purpose, n),
        "people_not_at_risk_disclosed": len(np.unique(d.person[outside_family])),
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
    visible_at_risk = np.intersect1d(truth.at_risk_ids, truth.visible_ids)
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
