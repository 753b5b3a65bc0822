"""The truth a MASH is scored against, read once per run.

For each contact: its true child and household, the day it came in, the band and decision the truth supports,
its source, concern and storyline; and every record about the child or household each agency held by that day
(truth/contact_records). For every record of the run: the people it is about and the day its agency first held
it, so that a record a system found can be told apart as right, from the future (about the family, but held only
after the contact), or wrong (about someone else). A linkage view id stands for the agency record behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import sharing_policy
from synthgen.errors import SynthgenError, shown
from synthgen.evaluation.mash_pairs import distinct_pairs
from synthgen.run_folder import Run

SUPPORTED = ("nfa", "early_help", "referral", "strategy_discussion")
"""The decisions in order of how much they do (information and advice counts as no further action)."""
BANDS = ("green", "amber", "red")


@dataclass(frozen=True)
class MashTruth:
    contacts: pa.Table  # contact_id, person_id, household_id, received_on, received_at, band, supported_decision,
    #                     at_risk, storyline_id, source, concern (one row per contact, in the contacts file's order)
    expected: pa.Table  # contact row, agency, table, record_id, relation: what a perfect check finds
    records: pa.Table  # record_id (an agency file's id), agency, table, person_id, known_on: every record (a police
    #                    incident once per person in it)
    people: pa.Table  # person_id, household_id
    aliases: pa.Table  # record_id (a linkage view id) -> source_record_id
    allowed: sharing_policy.Allowed


def read_contacts(run: Run) -> pa.Table:
    """The contacts with their truth, in contact id order: what the responses are checked against before the rest
    of the truth is needed."""
    if not run.has("agencies/social_care/contacts") or not run.has("truth/contacts"):
        raise SynthgenError(f"{run.path}: this run has no front door (generate it with front_door.enabled: true)")
    contacts = run.read("agencies/social_care/contacts", ["contact_id", "received_at", "source", "concern"])
    truth = run.read("truth/contacts")
    return contacts.join(truth, "contact_id", join_type="inner").sort_by("contact_id")


def read_truth(run: Run, contacts: pa.Table) -> MashTruth:
    """The truth of `contacts` (read_contacts)."""
    expected = run.read("truth/contact_records", ["contact_id", "agency", "table", "record_id", "relation"])
    row = pc.index_in(expected["contact_id"], value_set=contacts["contact_id"])
    expected = expected.drop_columns(["contact_id"]).add_column(0, "contact", row.cast(pa.int64()))
    # a police incident is one record however many of the family were in it: about the child if the child was
    # ("child" sorts before "household")
    household = pc.equal(expected["relation"], "household").to_numpy(zero_copy_only=False).astype(np.int64)
    kept = distinct_pairs(expected["contact"].to_numpy(), expected["record_id"], prefer=household)
    expected = expected.take(pa.array(kept)).select(["contact", "record_id", "agency", "table", "relation"])
    names = ["agency", "table", "record_id", "person_id", "known_on"]
    events = run.read("truth/events", ["source", "table", "record_id", "person_id", "known_on"]).rename_columns(names)
    held = run.read("truth/records", ["source", "table", "source_record_id", "person_id", "known_on", "record_id"])
    return MashTruth(
        contacts=contacts,
        expected=expected,
        records=pa.concat_tables(
            [
                events,
                held.select(["source", "table", "source_record_id", "person_id", "known_on"]).rename_columns(names),
            ]
        ),
        people=run.read("truth/people", ["person_id", "household_id"]),
        aliases=held.select(["record_id", "source_record_id"]),
        allowed=sharing_policy.of_scenario(run.manifest.get("scenario", {})),
    )


def _among(table: pa.Table, column: str, ids: pa.Array) -> pa.Table:
    """The rows of `table` whose `column` is one of `ids`: the hash set is built over the few ids a system gave,
    and the run's millions of records only probe it."""
    return table.filter(pc.is_in(table[column], value_set=pc.unique(ids)))


def resolve(truth: MashTruth, ids: pa.Array, name: str) -> tuple[pa.Array, pa.Table]:
    """Each id as the agency file's id (a linkage view id becomes the record behind it), and the facts of those
    records; an id of neither is an error naming the file."""
    aliases = _among(truth.aliases, "record_id", ids)
    behind = aliases["source_record_id"].combine_chunks().take(pc.index_in(ids, value_set=aliases["record_id"]))
    result = pc.coalesce(behind, ids)
    known = facts(truth, result)
    held = pc.is_in(result, value_set=known["record_id"])
    if not pc.all(held, min_count=0).as_py():  # (a system that found nothing found nothing unknown)
        unknown = ids.filter(pc.invert(held))
        raise SynthgenError(
            f"{name}: {len(pc.unique(unknown)):,} record_id values are not record ids of this run's agency files or "
            f"linkage view (e.g. {shown(unknown[0].as_py())})"
        )
    return result, known


def facts(truth: MashTruth, ids: pa.Array) -> pa.Table:
    """For each distinct record among `ids` (agency file ids): its agency, table, the day its agency first held
    it, and the households of the people it is about (a police incident is about everyone in it)."""
    rows = _among(truth.records, "record_id", ids).combine_chunks()
    households = _households(truth.people, rows["person_id"])
    # grouped by each record id's code, sorted as integers: pyarrow's group-by over a text key took three times as
    # long (a record's rows keep their order, so "first" is the first row, as a group-by gives it)
    code = pc.dictionary_encode(rows["record_id"].combine_chunks()).indices.to_numpy(zero_copy_only=False)
    order = np.argsort(code, kind="stable")
    in_order = code[order]
    starts = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1]][: len(order)])
    first = pa.array(order[starts], pa.int64())
    day = pc.fill_null(rows["known_on"].combine_chunks().cast(pa.int32()), _NO_DAY).to_numpy()[order]
    earliest = np.minimum.reduceat(day, starts) if len(starts) else np.zeros(0, np.int32)
    known_on = pa.array(earliest.astype(np.int32), pa.int32(), mask=earliest == _NO_DAY)
    offsets = pa.array(np.r_[starts, len(order)].astype(np.int32))
    return pa.table(
        {
            "record_id": rows["record_id"].take(first),
            "agency_first": rows["agency"].take(first),
            "table_first": rows["table"].take(first),
            "known_on_min": known_on.cast(pa.date32()),
            "household_id_list": pa.ListArray.from_arrays(offsets, households.take(pa.array(order, pa.int64()))),
        }
    )


_NO_DAY = np.iinfo(np.int32).max
"""A record its agency never held (no known_on): later than every day, so any held day is the earliest."""


def _households(people: pa.Table, person: pa.ChunkedArray) -> pa.Array:
    """Each person's household (null for nobody in the run): person ids are integers, looked up by binary search
    in the people sorted by id (a hash join of the run's millions of people took ten times as long)."""
    ids = people["person_id"].to_numpy()
    households = people["household_id"].to_numpy()
    if not len(ids):
        return pa.nulls(len(person), pa.int64())
    if not bool((ids[1:] > ids[:-1]).all()):
        order = np.argsort(ids, kind="stable")
        ids, households = ids[order], households[order]
    wanted = pc.fill_null(person, -1).to_numpy()
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    found = (ids[at] == wanted) & person.is_valid().to_numpy(zero_copy_only=False)
    return pa.array(households[at], pa.int64(), mask=~found)


def supported_index(decision: pa.Array) -> NDArray[np.int64]:
    """Each decision's place in SUPPORTED (information and advice is no further action)."""
    text = pc.if_else(pc.equal(decision, "information_advice"), "nfa", decision)
    result: NDArray[np.int64] = pc.index_in(text, value_set=pa.array(SUPPORTED)).to_numpy(zero_copy_only=False)
    return result
