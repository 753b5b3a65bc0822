"""Scoring a screening and information-sharing system against the truth.

A system hands over FLAGS (which child it flagged and when) and, optionally, DISCLOSURES (which record's fields
it shared, with which agency, when, for which case and purpose): files or tables, read and checked by
`flags_and_disclosures`. The truth they are scored against is read once per run (`sharing_truth`), so many
files can be scored against one run (`score`).

Decisions the issue left open:
- An id that maps to several people (a police incident) flags the children among them (under 18, or unborn, on
  the flag date), or everyone in it when none is a child; a disclosure of such a record is about everyone in it.
- A flag on the day a case became visible, or before it, took zero days (early flags are counted apart).
- A person is "in a flagged case" when flagged or a relative (truth/relationships) of someone flagged; a person is
  "at risk or family" when at risk or a relative of an at-risk child: a parent's record shared for a child's case
  is not over-sharing, a neighbour's is.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import signals as signal_rules
from synthgen.evaluation.flags_and_disclosures import Disclosures, Flags, read_disclosures, read_flags
from synthgen.evaluation.groups import read_people
from synthgen.evaluation.provenance import provenance
from synthgen.evaluation.sharing_groups import sharing_groups
from synthgen.evaluation.sharing_report import sharing_report
from synthgen.evaluation.sharing_scores import (
    ConcernRecall,
    Detection,
    ExampleChild,
    FieldOutsidePolicy,
    Oversharing,
    Period,
    RecipientWithoutPurpose,
    SharingScores,
    Signal,
    StorylineScore,
    TimeToFlag,
)
from synthgen.evaluation.sharing_truth import Days, Ids, Truth, day_of, is_child, min_by, read_truth
from synthgen.outputs.files import claimed, write_text
from synthgen.run_folder import Run, open_run

EXAMPLES = 8


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _flag_days(flags: Flags, people: Ids) -> Days:
    return day_of(flags.person, flags.first_flag, people)


def _delays(children: Ids, flags: Flags, truth: Truth) -> TimeToFlag:
    """Days from visibility to the first flag over children who became visible (flags before count as 0)."""
    flagged = _flag_days(flags, children)
    seen = ~np.isnat(flagged)
    days = (flagged[seen] - day_of(truth.visible_ids, truth.visible_on, children[seen])).astype(np.int64)
    delays = np.maximum(days, 0)
    n = len(children)
    values, counts = np.unique(delays, return_counts=True)
    return TimeToFlag(
        children=n,
        flagged=len(delays),
        median_days=float(np.median(delays)) if len(delays) else None,
        within_7_days=_ratio(int((delays <= 7).sum()), n),
        within_30_days=_ratio(int((delays <= 30).sum()), n),
        never=_ratio(n - len(delays), n),
        flagged_before_visible=int((days < 0).sum()),
        histogram={str(d): c for d, c in zip(values.tolist(), counts.tolist(), strict=True)},
    )


def _detection(flags: Flags, truth: Truth) -> Detection:
    flagged, at_risk, visible = flags.person, truth.at_risk_ids, truth.visible_ids
    hits = np.intersect1d(flagged, at_risk)
    precision, recall = _ratio(len(hits), len(flagged)), _ratio(len(hits), len(at_risk))
    visible_at_risk = np.intersect1d(at_risk, visible)
    return Detection(
        children_at_risk=len(at_risk),
        children_at_risk_visible=len(visible_at_risk),
        children_visible=len(visible),
        flagged_people=len(flagged),
        flagged_children=int(is_child(truth, flagged, flags.first_flag).sum()),
        true_positives=len(hits),
        false_positives=len(np.setdiff1d(flagged, at_risk)),
        false_negatives=len(np.setdiff1d(at_risk, flagged)),
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        recall_visible=_ratio(len(np.intersect1d(hits, visible_at_risk)), len(visible_at_risk)),
        flagged_not_visible=len(np.setdiff1d(flagged, visible)),
    )


def _by_concern(flags: Flags, truth: Truth) -> list[ConcernRecall]:
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
            ConcernRecall(
                concern=kind,
                children=len(children),
                visible=len(visible),
                flagged=flagged,
                recall=_ratio(flagged, len(children)),
                median_days_to_flag=timing.median_days,
            )
        )
    return out


def _signal_rows(signals: pa.Table) -> list[Signal]:
    return [
        Signal(person_id=r["person_id"], agency=r["agency"], kind=r["kind"], date=r["date_known"].isoformat())
        for r in signals.select(["person_id", "agency", "kind", "date_known"]).to_pylist()
    ]


def _person_signals(truth: Truth, people: list[int]) -> list[Signal]:
    chosen = truth.signals.filter(pc.is_in(truth.signals["person_id"], value_set=pa.array(people, pa.int64())))
    return _signal_rows(chosen.sort_by([("date_known", "ascending"), ("agency", "ascending")]))


def _days(later: dt.date | None, earlier: dt.date | None) -> int | None:
    return (later - earlier).days if later is not None and earlier is not None else None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _storylines(flags: Flags, truth: Truth) -> list[StorylineScore]:
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
    onset = min_by(code[at_risk], signal_rules.days(table["onset"].combine_chunks())[at_risk], n)
    visible = min_by(subject_code, day_of(truth.visible_ids, truth.visible_on, subject), n)
    flagged = min_by(subject_code, _flag_days(flags, subject), n)
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
            StorylineScore(
                storyline_id=storyline_id,
                template=templates[i],
                concern=concerns[i],
                children_at_risk=int(subjects[i]),
                onset=_iso(start),
                visible_on=_iso(end),
                detected=seen is not None,
                flagged_at=_iso(seen),
                days_from_onset=_days(seen, start),
                days_from_visibility=_days(seen, end),
                signals=signal_rows[found : bounds[i + 1]],
            )
        )
    return out


def _examples(flags: Flags, truth: Truth) -> list[ExampleChild]:
    """Children at risk whose case became visible: the missed first, then the slowest flagged, with their
    signals, for the report's timelines."""
    visible = np.intersect1d(truth.at_risk_ids, truth.visible_ids)
    flag_day = _flag_days(flags, visible)
    missed = visible[np.isnat(flag_day)]
    hit = ~np.isnat(flag_day)
    delay = (flag_day[hit] - day_of(truth.visible_ids, truth.visible_on, visible[hit])).astype(np.int64)
    slowest = visible[hit][np.lexsort((visible[hit], -delay))]
    out = []
    for person in np.r_[missed, slowest][:EXAMPLES].tolist():  # a handful, for the report
        one = np.array([person], np.int64)
        concerns = truth.concerns.filter(pc.equal(truth.concerns["person_id"], person))["concern"].to_pylist()
        out.append(
            ExampleChild(
                person_id=person,
                concerns=concerns,
                onset=_iso(day_of(truth.at_risk_ids, truth.at_risk_onset, one)[0].item()),
                visible_on=_iso(day_of(truth.visible_ids, truth.visible_on, one)[0].item()),
                flagged_at=_iso(_flag_days(flags, one)[0].item()),
                signals=_person_signals(truth, [person]),
            )
        )
    return out


def _with_relatives(people: Ids, truth: Truth) -> Ids:
    return np.union1d(people, truth.relative_b[np.isin(truth.relative_a, people)])


def _rows_with(row: Ids, mask: NDArray[np.bool_]) -> int:
    """How many rows have at least one (row, value) pair where `mask` holds."""
    return len(np.unique(row[mask]))


Pairs = dict[tuple[str, str, str], int]


def _outside_policy(d: Disclosures, truth: Truth) -> tuple[NDArray[np.bool_], int, Pairs, Pairs]:
    """Which disclosures hold fields the policy does not let the agency give the recipient for the purpose, how
    many go to a recipient the policy gives no such purpose, and both counted by (agency, recipient, field or
    purpose). Worked out per (agency, recipient, purpose) the file uses: a handful, as recipients and purposes
    are checked on reading."""
    agency = pc.dictionary_encode(d.record_agency, null_encoding="encode")
    recipient = pc.dictionary_encode(d.recipient, null_encoding="encode")
    purpose = pc.dictionary_encode(d.purpose, null_encoding="encode")
    a, r, p = (np.asarray(x.indices.to_numpy(zero_copy_only=False), np.int64) for x in (agency, recipient, purpose))
    combos, combo = np.unique((a * len(recipient.dictionary) + r) * len(purpose.dictionary) + p, return_inverse=True)
    combo = combo.ravel()
    field_combo = combo[d.field_row]
    field_names = d.field.to_numpy(zero_copy_only=False).astype(object)
    outside_rows = np.zeros(d.rows, bool)
    no_purpose = 0
    outside_fields: Pairs = {}
    pairs_without_purpose: Pairs = {}
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
    return outside_rows, no_purpose, outside_fields, pairs_without_purpose


def _oversharing(d: Disclosures, flags: Flags, truth: Truth) -> Oversharing:
    n = d.rows
    outside_case = ~np.isin(d.person, _with_relatives(flags.person, truth))
    outside_family = ~np.isin(d.person, _with_relatives(truth.at_risk_ids, truth))
    with_flagged_case = _rows_with(d.case_row, np.isin(d.case_person, flags.person))
    outside_rows, no_purpose, outside_fields, pairs_without_purpose = _outside_policy(d, truth)
    no_case = _rows_with(d.person_row, outside_case)
    not_at_risk = _rows_with(d.person_row, outside_family)
    outside = int(outside_rows.sum())
    return Oversharing(
        disclosures=n,
        about_people_in_no_flagged_case=no_case,
        about_people_not_at_risk=not_at_risk,
        for_no_flagged_case=n - with_flagged_case,
        fields_outside_policy=outside,
        recipients_without_purpose=no_purpose,
        share_about_people_in_no_flagged_case=_ratio(no_case, n),
        share_about_people_not_at_risk=_ratio(not_at_risk, n),
        share_fields_outside_policy=_ratio(outside, n),
        share_recipients_without_purpose=_ratio(no_purpose, n),
        people_not_at_risk_disclosed=len(np.unique(d.person[outside_family])),
        fields_outside_policy_by_pair=[
            FieldOutsidePolicy(agency=a, recipient=r, field=f, disclosures=c)
            for (a, r, f), c in sorted(outside_fields.items(), key=lambda item: (-item[1], item[0]))
        ],
        recipients_without_purpose_by_pair=[
            RecipientWithoutPurpose(agency=a, recipient=r, purpose=p or None, disclosures=c)
            for (a, r, p), c in sorted(pairs_without_purpose.items(), key=lambda item: (-item[1], item[0]))
        ],
    )


Source: TypeAlias = str | Path | pa.Table


def _named(source: Source | None) -> str | None:
    """How the result names an input: a file's path, or None for a table given in memory."""
    return None if source is None or isinstance(source, pa.Table) else str(source)


def evaluate_sharing(
    run: str | Path | Run,
    flags: Source,
    disclosures: Source | None = None,
    *,
    json_path: str | Path | None = None,
    report_path: str | Path | None = None,
    overwrite: bool = False,
) -> SharingScores:
    """Score flags (and disclosures), files or tables, against a run's truth; with `json_path` and
    `report_path`, also write the scores as JSON and as one self-contained HTML page (an existing file is replaced
    only with `overwrite`)."""
    with claimed([json_path, report_path], overwrite):
        opened = open_run(run)
        result = score(read_truth(opened), opened if isinstance(run, Run) else run, flags, disclosures)
        if json_path is not None or report_path is not None:
            written = result.as_dict()
            if json_path is not None:
                write_text(Path(json_path), json.dumps(written, indent=2, allow_nan=False) + "\n")
            if report_path is not None:
                write_text(Path(report_path), sharing_report(written))
    return result


def score(truth: Truth, run: str | Path | Run, flags: Source, disclosures: Source | None = None) -> SharingScores:
    """As `evaluate_sharing`, with the run's truth already read (to score many files against one run)."""
    opened = open_run(run)
    found = read_flags(flags, truth)
    visible_at_risk = np.intersect1d(truth.at_risk_ids, truth.visible_ids)
    return SharingScores(
        run=str(run.path) if isinstance(run, Run) else str(run),
        flags=_named(flags),
        disclosures=_named(disclosures),
        period=Period(start=truth.period[0].isoformat(), end=truth.period[1].isoformat()),
        flag_rows=found.rows,
        flags_from_the_future=found.from_the_future,
        detection=_detection(found, truth),
        time_to_flag=_delays(visible_at_risk, found, truth),
        by_concern=_by_concern(found, truth),
        flags_by_stated_concern=found.stated_concerns,
        storylines=_storylines(found, truth),
        examples=_examples(found, truth),
        oversharing=None if disclosures is None else _oversharing(read_disclosures(disclosures, truth), found, truth),
        by_group=sharing_groups(read_people(opened), found, truth),
        provenance=provenance(opened, {"flags": flags, "disclosures": disclosures}),
    )
