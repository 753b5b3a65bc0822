"""Scoring a MASH system contact by contact: what it found in each partner's records, what it shared, how it
rated and decided, and how soon.

Decisions the issue left open:
- A record the system found is right when it is about the contact's child or household and its agency held it
  by the contact's day; about the family but held only later, it is "from the future" (counted apart, never as
  right); about anyone else, it is wrong. Precision is right / (right + wrong).
- Information and advice counts as no further action against the truth's supported decision; the ordered
  decisions (no further action, early help, referral, strategy discussion) and ratings (green, amber, red) are
  compared by a weighted kappa with linear weights.
- A contact the responses leave out counts as nothing found and no decision (not answered).
- A decision is within one working day when it is made by 17:00 on the first working day after the contact came
  in (Working Together 2023: within one working day).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.evaluation.groups import People, read_people
from synthgen.evaluation.mash_checks import Found, about_family, check_records, partner_checks
from synthgen.evaluation.mash_groups import mash_groups
from synthgen.evaluation.mash_report import mash_report
from synthgen.evaluation.mash_responses import Responses, read_responses
from synthgen.evaluation.mash_scores import (
    Agreement,
    Example,
    Group,
    MashScores,
    MissedChild,
    Sharing,
    Timeliness,
)
from synthgen.evaluation.mash_truth import (
    BANDS,
    SUPPORTED,
    MashTruth,
    read_contacts,
    read_truth,
    resolve,
    supported_index,
)
from synthgen.evaluation.provenance import Provenance, provenance
from synthgen.kernel.dates import one_working_day_deadline
from synthgen.outputs.files import claimed, write_text
from synthgen.run_folder import Run, open_run

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MISSED_LISTED = 50
EXAMPLES = 3


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _share(hit: NDArray[np.bool_], among: NDArray[np.bool_]) -> float:
    return _ratio(int((hit & among).sum()), int(among.sum()))


def agreement(labels: tuple[str, ...], truth: NDArray[np.int64], system: NDArray[np.int64]) -> Agreement:
    """The confusion table (truth by row) and the linearly weighted kappa of two ordered ratings."""
    k = len(labels)
    valid = (truth >= 0) & (system >= 0)
    t, s = truth[valid], system[valid]
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (t, s), 1)
    n = int(valid.sum())
    if n == 0:
        return Agreement(list(labels), confusion.tolist(), 0, 0.0, 0.0, 0, 0)
    weights = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / max(k - 1, 1)
    observed = confusion / n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    disagreement = float((weights * expected).sum())
    kappa = 1.0 - float((weights * observed).sum()) / disagreement if disagreement else 1.0
    return Agreement(
        labels=list(labels),
        confusion=confusion.tolist(),
        rated=n,
        agreement=float(np.trace(confusion) / n),
        weighted_kappa=round(kappa, 6),
        under=int((s < t).sum()),
        over=int((s > t).sum()),
    )


def _answered(
    truth: MashTruth, responses: Responses
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.datetime64]]:
    """Per contact: the system's decision (index into SUPPORTED) and rating (into BANDS), -1 where not given, and
    when it decided (NaT where not answered)."""
    n = truth.contacts.num_rows
    decision = np.full(n, -1, np.int64)
    rag = np.full(n, -1, np.int64)
    decided = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    decision[responses.contact] = supported_index(responses.decision)
    rated = pc.index_in(responses.rag, value_set=pa.array(BANDS)).fill_null(-1).to_numpy(zero_copy_only=False)
    rag[responses.contact] = rated
    decided[responses.contact] = responses.decided_at
    return decision, rag, decided


def _within_one_working_day(received: NDArray[np.datetime64], decided: NDArray[np.datetime64]) -> NDArray[np.bool_]:
    result: NDArray[np.bool_] = ~np.isnat(decided) & (decided <= one_working_day_deadline(received))
    return result


def _timeliness(truth: MashTruth, received: NDArray[np.datetime64], decided: NDArray[np.datetime64]) -> Timeliness:
    answered = ~np.isnat(decided)
    timely = _within_one_working_day(received, decided)
    source = truth.contacts["source"].to_numpy(zero_copy_only=False)
    weekday = (received.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    by_source = {str(s): _share(timely, answered & (source == s)) for s in np.unique(source)}
    days = [d for d in range(7) if (answered & (weekday == d)).any()]
    by_day = {WEEKDAYS[d]: _share(timely, answered & (weekday == d)) for d in days}
    return Timeliness(int(answered.sum()), _ratio(timely[answered].sum(), answered.sum()), by_source, by_day)


def _missed(truth: MashTruth, decision: NDArray[np.int64]) -> list[MissedChild]:
    """Contacts about children the truth says need social care (a referral or more) that the system gave less,
    red first, then by when they came in."""
    supported = supported_index(truth.contacts["supported_decision"].combine_chunks())
    band = pc.index_in(truth.contacts["band"], value_set=pa.array(BANDS)).to_numpy(zero_copy_only=False)
    missed = np.flatnonzero((supported >= SUPPORTED.index("referral")) & (decision < SUPPORTED.index("referral")))
    received = truth.contacts["received_at"].to_numpy().astype("datetime64[s]")
    order = missed[np.lexsort((received[missed], -band[missed]))][:MISSED_LISTED]
    rows = truth.contacts.take(pa.array(order, pa.int64())).to_pylist()
    return [
        MissedChild(
            contact_id=row["contact_id"],
            received_at=str(row["received_at"]),
            source=row["source"],
            concern=row["concern"],
            band=row["band"],
            supported=row["supported_decision"],
            decided=SUPPORTED[decision[i]] if decision[i] >= 0 else "not answered",
            storyline_id=row["storyline_id"],
        )
        for i, row in zip(order, rows, strict=True)
    ]


def _sharing(truth: MashTruth, responses: Responses, record: pa.Array, known: pa.Table) -> Sharing:
    """Each share checked against the run's policy: a field it does not let the record's agency share with that
    recipient for that purpose, a recipient with no purpose for that agency's records, a record not about the
    contact's family."""
    n = len(responses.share_contact)
    if not n:
        return Sharing(0, 0, 0, 0)
    agency = known["agency_first"].combine_chunks().take(pc.index_in(record, value_set=known["record_id"]))
    about = about_family(truth, responses.share_contact, record, known)
    # shares repeat a few (agency, recipient, purpose, fields) combinations: each is checked once
    keys = [agency, responses.share_recipient, responses.share_purpose]
    encoded = [pc.dictionary_encode(key) for key in keys]
    combination = responses.share_fields.astype(np.int64)
    for column in encoded:
        combination = combination * (len(column.dictionary) + 1) + column.indices.to_numpy(zero_copy_only=False)
    distinct, first, which = np.unique(combination, return_index=True, return_inverse=True)
    has_purpose_of, extra_of = np.zeros(len(distinct), np.bool_), []
    for j, i in enumerate(first.tolist()):
        rule = (agency[i].as_py(), responses.share_recipient[i].as_py(), responses.share_purpose[i].as_py())
        fields = set(responses.field_sets[int(responses.share_fields[i])].as_py())
        has_purpose_of[j] = rule in truth.allowed
        extra_of.append(sorted(fields - truth.allowed[rule]) if rule in truth.allowed else [])
    has_purpose = has_purpose_of[which]
    outside = np.array([bool(extra) for extra in extra_of], np.bool_)[which]
    examples: list[dict[str, Any]] = [
        {
            "agency": agency[i].as_py(),
            "recipient": responses.share_recipient[i].as_py(),
            "fields": extra_of[int(which[i])],
        }
        for i in np.flatnonzero(outside)[:10].tolist()
    ]
    outside_rows, without_purpose = int(outside.sum()), int((~has_purpose).sum())
    return Sharing(n, outside_rows, without_purpose, int((~about).sum()), examples)


def _groups(
    truth: MashTruth, column: str, decision: NDArray[np.int64], decided: NDArray[np.datetime64], found: Found
) -> list[Group]:
    values = truth.contacts[column].to_numpy(zero_copy_only=False)
    supported = supported_index(truth.contacts["supported_decision"].combine_chunks())
    received = truth.contacts["received_at"].to_numpy().astype("datetime64[s]")
    timely = _within_one_working_day(received, decided)
    result = []
    for value in sorted({v for v in values.tolist() if v is not None}):
        mine = values == value
        answered = mine & (decision >= 0)
        correct, expected, wrong = found.per_contact(mine)
        result.append(
            Group(
                name=str(value),
                contacts=int(mine.sum()),
                answered=int(answered.sum()),
                check_recall=_ratio(correct, expected),
                check_precision=_ratio(correct, correct + wrong),
                decision_agreement=_ratio((decision[answered] == supported[answered]).sum(), answered.sum()),
                at_risk_missed=int((mine & (supported >= 2) & (decision < 2)).sum()),
                within_one_working_day=_ratio(timely[answered].sum(), answered.sum()),
            )
        )
    return result


def _examples(truth: MashTruth, decision: NDArray[np.int64], found: Found) -> list[Example]:
    """A planted storyline's contact, a child at risk the system missed, and an ordinary contact."""
    supported = supported_index(truth.contacts["supported_decision"].combine_chunks())
    storyline = truth.contacts["storyline_id"].is_valid().to_numpy(zero_copy_only=False)
    picks: list[int] = []
    for wanted in (storyline, (supported >= 2) & (decision < 2), supported == 0):
        candidates = np.flatnonzero(wanted & ~np.isin(np.arange(len(wanted)), picks))
        if len(candidates):
            picks.append(int(candidates[0]))
    rows = truth.contacts.take(pa.array(picks, pa.int64())).to_pylist()
    return [
        Example(
            contact_id=row["contact_id"],
            received_at=str(row["received_at"]),
            source=row["source"],
            concern=row["concern"],
            band=row["band"],
            supported=row["supported_decision"],
            decided=SUPPORTED[decision[i]] if decision[i] >= 0 else None,
            records=found.records_of(i),
        )
        for i, row in zip(picks, rows, strict=True)
    ]


def score(
    truth: MashTruth,
    responses: Responses,
    run_name: str,
    responses_name: str | None,
    people: People,
    provenance: Provenance,
) -> MashScores:
    name = responses_name or "responses"
    decision, rag, decided = _answered(truth, responses)
    # the records found and the records shared, resolved together: one pass over the run's millions of records
    given = pa.concat_arrays([responses.found_record, responses.share_record])
    record, known = resolve(truth, given, name)
    found_count = len(responses.found_record)
    found = check_records(truth, responses, record.slice(0, found_count), known)
    band = pc.index_in(truth.contacts["band"], value_set=pa.array(BANDS)).to_numpy(zero_copy_only=False)
    supported = supported_index(truth.contacts["supported_decision"].combine_chunks())
    received = truth.contacts["received_at"].to_numpy().astype("datetime64[s]")
    return MashScores(
        run=run_name,
        responses=responses_name,
        contacts=truth.contacts.num_rows,
        answered=int((decision >= 0).sum()),
        partner_checks=partner_checks(found),
        decisions=agreement(SUPPORTED, supported, decision),
        rag=agreement(BANDS, band, rag),
        at_risk_missed=_missed(truth, decision),
        timeliness=_timeliness(truth, received, decided),
        sharing=_sharing(truth, responses, record.slice(found_count), known),
        by_concern=_groups(truth, "concern", decision, decided, found),
        by_source=_groups(truth, "source", decision, decided, found),
        by_storyline=_groups(truth, "storyline_id", decision, decided, found),
        examples=_examples(truth, decision, found),
        by_group=mash_groups(people, found, decision, supported, _within_one_working_day(received, decided)),
        provenance=provenance,
    )


def evaluate_mash(
    run: str | Path | Run,
    responses: str | Path | pa.Table,
    *,
    json_path: str | Path | None = None,
    report_path: str | Path | None = None,
    overwrite: bool = False,
) -> MashScores:
    """Score a MASH system's responses (a file or a table; the format is in synthgen.evaluation.mash_responses)
    against a run's truth; with `json_path` and `report_path`, also write the scores as JSON and as one
    self-contained HTML page (an existing file is replaced only with `overwrite`)."""
    with claimed([json_path, report_path], overwrite):
        opened = open_run(run)
        contacts = read_contacts(opened)
        # the truth, the responses and the people are read side by side: each is mostly pyarrow decoding and
        # hashing, which lets go of the interpreter, so on two cores the reading takes about half as long
        with ThreadPoolExecutor(max_workers=3) as pool:
            truth_read = pool.submit(read_truth, opened, contacts)
            responses_read = pool.submit(read_responses, responses, contacts["contact_id"].combine_chunks())
            people_read = pool.submit(read_people, opened)
            truth, read, people = truth_read.result(), responses_read.result(), people_read.result()
        named = None if isinstance(responses, pa.Table) else str(responses)
        origin = provenance(opened, {"responses": responses})
        scores = score(truth, read, str(opened.path), named, people, origin)
        if json_path is not None or report_path is not None:
            written = scores.as_dict()
            if json_path is not None:
                write_text(Path(json_path), json.dumps(written, indent=2, allow_nan=False) + "\n")
            if report_path is not None:
                write_text(Path(report_path), mash_report(written))
    return scores
