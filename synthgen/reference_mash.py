"""The reference MASH: what a hub could do with each contact from the agency files alone.

It is the yardstick a MASH system is scored beside, and makes the loop work out of the box (`synthgen mash` then
`synthgen evaluate mash`). It never reads the truth. For each contact it:
1. checks the partners' records (synthgen.reference_checks): the child and the household, linked with a reference
   linker, and every record each agency held on them by the contact's day;
2. rates it, from the contact's concern and what the checks found, by a stated rule:
   - red when the child has a child protection plan or is looked after on the day, or when the contact raises a
     serious concern (abuse, neglect, exploitation, going missing) and records from two or more agencies were
     concerning (synthgen.signals' rules, about anyone in the family) in the 90 days up to the contact;
   - amber otherwise when the contact raises a safeguarding concern (anything but a child's behaviour,
     education, parenting, an injury, offending, being a victim of crime, or other);
   - green otherwise;
3. decides: red, a strategy discussion; amber, a referral where the family has social care history (a record of
   the authority's from before the day) or a police record concerning them in the year up to the contact, else
   early help; green, information and advice when a professional raised it, else no further action. Social care
   records from the contact's own day are not read as history: they may be this contact's own outcome;
4. decides within one working day: four working hours after the contact came in, counted in office hours
   (09:00 to 17:00, Monday to Friday; bank holidays are not counted apart), so by 13:00 the next working day at
   the latest;
5. shares, for a referral or a strategy discussion, each record found with social care for safeguarding, with
   exactly the fields the run's sharing policy lets the record's agency give social care for that purpose that
   the record's table holds (social care's own records are not shared with itself); for early help, the same for
   the purpose of early help, where the policy allows it. Nothing is shared for other decisions.
The responses are one row per contact and record found (synthgen.evaluation.mash_responses), a contact with
nothing found one row with no record, in contact and record order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import sharing_policy, tables
from synthgen.arguments import PLACE, ArgumentError
from synthgen.linkage import DEFAULT_METHOD, METHODS
from synthgen.outputs.files import TABLE_SUFFIXES, require_suffix, write_table
from synthgen.reference_checks import AGENCIES, Checks, Holdings, partner_checks
from synthgen.run_folder import Run, open_run

SERIOUS = (
    "physical_abuse",
    "sexual_abuse",
    "emotional_abuse",
    "neglect",
    "child_sexual_exploitation",
    "child_criminal_exploitation",
    "going_missing",
)
"""Concerns that, with concerning records from two agencies in the last 90 days, make a contact red."""
NOT_SAFEGUARDING = ("behaviour", "education", "parenting", "injury", "offending", "victim_of_crime", "other")
"""Concerns that alone make a contact green; every other concern is a safeguarding concern (amber at least)."""
PUBLIC = ("family", "neighbour", "anonymous", "public", "self", "unknown")
"""Sources that are not professionals: a green contact from them gets no further action, not advice."""
PROTECTED = ("cp_plans", "cla_episodes")
"""Social care's records of a child protection plan and of a period in care: open on the day, the child is red."""
TOGETHER_DAYS = 90
RECENT_DAYS = 365
WORKING_HOURS = 4
OFFICE_OPENS, OFFICE_CLOSES = 9, 17
DECISIONS = ("nfa", "information_advice", "early_help", "referral", "strategy_discussion")
RAGS = ("green", "amber", "red")
SOCIAL_CARE = AGENCIES.index("social_care")
POLICE = AGENCIES.index("police")
RECIPIENT = "social_care"
PURPOSE_OF = {"referral": "safeguarding", "strategy_discussion": "safeguarding", "early_help": "early_help"}
"""What a decision shares found records with social care for; other decisions share nothing."""
CARRIED = {"agencies/police/incident_persons": "agencies/police/incidents"}
"""A police role is named by its incident's id: it is shared with its incident's fields too."""


def mash(run: str | Path | Run, method: str = DEFAULT_METHOD, out: str | Path | None = None) -> pa.Table:
    """Answer every contact of a run from its agency files alone: the records found, the rating, the decision,
    when, and what was shared (the responses `synthgen evaluate mash` scores). With `out`, also write them, as
    Parquet or CSV by the file's suffix."""
    if method not in METHODS:
        raise ArgumentError("method", f"{PLACE} must be one of {', '.join(METHODS)} (got {method!r})")
    if out is not None:
        require_suffix(Path(out), TABLE_SUFFIXES, "responses are written as .parquet or .csv")
    opened = open_run(run, truth=False)
    checks = partner_checks(opened, method)
    rag, decision = rate_and_decide(checks)
    received = pc.cast(checks.contacts.table["received_at"].combine_chunks(), pa.timestamp("s"))
    decided = decided_at(received.to_numpy(zero_copy_only=False).astype("datetime64[s]"))
    responses = _responses(checks, rag, decision, decided, sharing_policy.of_scenario(opened.manifest["scenario"]))
    if out is not None:
        write_table(Path(out), responses)
    return responses


def _any(n: int, contact: NDArray[np.int64], mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Per contact: whether any of its found records is in `mask`."""
    result: NDArray[np.bool_] = np.bincount(contact[mask], minlength=n) > 0
    return result


def rate_and_decide(checks: Checks) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each contact's rating (index into RAGS) and decision (into DECISIONS), by the rule in this module's
    docstring."""
    contacts, held, found = checks.contacts, checks.holdings, checks.found
    n = contacts.table.num_rows
    c, h = found.contact, found.holding
    day, on = contacts.day[c], held.held[h]
    before = np.isnat(on) | (on < day)
    social_care = held.agency[h] == SOCIAL_CARE
    readable = ~social_care | before  # social care records of the contact's own day may be its own outcome
    age = np.where(np.isnat(on), np.iinfo(np.int64).max, (day - on).astype("timedelta64[D]").astype(np.int64))
    concerning = (held.concern[h] != None) & readable & ~np.isnat(on)  # noqa: E711 (elementwise)
    ends = held.ends[h]
    protected = _any(
        n, c, found.about_child & np.isin(held.table[h], PROTECTED) & before & (np.isnat(ends) | (ends >= day))
    )
    together = _agencies(n, c, held.agency[h], concerning & (age <= TOGETHER_DAYS)) >= 2
    history = _any(n, c, social_care & before & (held.table[h] != tables.registers()["social_care"].name))
    police = _any(n, c, concerning & (held.agency[h] == POLICE) & (age <= RECENT_DAYS))
    concern = contacts.table["concern"].fill_null("").to_numpy(zero_copy_only=False).astype(object)
    source = contacts.table["source"].fill_null("").to_numpy(zero_copy_only=False).astype(object)
    red = protected | (np.isin(concern, SERIOUS) & together)
    amber = ~red & ~np.isin(concern, NOT_SAFEGUARDING)
    rag = np.where(red, RAGS.index("red"), np.where(amber, RAGS.index("amber"), RAGS.index("green")))
    green_decision = np.where(np.isin(source, PUBLIC), DECISIONS.index("nfa"), DECISIONS.index("information_advice"))
    amber_decision = np.where(history | police, DECISIONS.index("referral"), DECISIONS.index("early_help"))
    decision = np.where(red, DECISIONS.index("strategy_discussion"), np.where(amber, amber_decision, green_decision))
    return rag.astype(np.int64), decision.astype(np.int64)


def _agencies(
    n: int, contact: NDArray[np.int64], agency: NDArray[np.int64], mask: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Per contact: how many agencies hold one of its found records in `mask`."""
    bits = np.zeros(n, np.int64)
    np.bitwise_or.at(bits, contact[mask], np.left_shift(1, agency[mask]))
    result: NDArray[np.int64] = sum(((bits >> k) & 1 for k in range(len(AGENCIES))), np.zeros(n, np.int64))
    return result


def decided_at(received: NDArray[np.datetime64]) -> NDArray[np.datetime64]:
    """Four working hours after each contact came in (seconds), counted in office hours (09:00-17:00, Monday to
    Friday): a contact in the morning is decided that afternoon, one in the afternoon the next working morning,
    one in the evening or at a weekend by 13:00 the next working day."""
    day = received.astype("datetime64[D]")
    seconds = (received - day.astype("datetime64[s]")).astype(np.int64)
    opens, closes = OFFICE_OPENS * 3600, OFFICE_CLOSES * 3600
    working = np.is_busday(day)
    today = working & (seconds < closes)
    start_day = np.where(today, day, np.busday_offset(day, np.where(working, 1, 0), roll="forward"))
    start = np.where(today, np.maximum(seconds, opens), opens)
    end = start + WORKING_HOURS * 3600
    over = end > closes
    final_day = np.where(over, np.busday_offset(start_day, 1, roll="forward"), start_day)
    final = np.where(over, opens + end - closes, end)
    result: NDArray[np.datetime64] = final_day.astype("datetime64[s]") + final.astype("timedelta64[s]")
    return result


def _fields(allowed: sharing_policy.Allowed) -> dict[tuple[int, str, str], str]:
    """(agency, table, purpose) -> the fields the policy lets the agency give social care for the purpose that
    the table (with the table it carries) holds, joined with ';' (absent where there are none)."""
    result = {}
    for table in tables.all_tables():
        if table.agency is None or table.agency == RECIPIENT:
            continue
        held = set(table.column_names)
        if table.path in CARRIED:
            held |= set(tables.table(CARRIED[table.path]).column_names)
        for purpose in sharing_policy.PURPOSES:
            fields = sorted(allowed.get((table.agency, RECIPIENT, purpose), frozenset()) & held)
            if fields:
                result[(AGENCIES.index(table.agency), table.name, purpose)] = ";".join(fields)
    return result


def _responses(
    checks: Checks,
    rag: NDArray[np.int64],
    decision: NDArray[np.int64],
    decided: NDArray[np.datetime64],
    allowed: sharing_policy.Allowed,
) -> pa.Table:
    """A row per contact and record found (a contact with nothing found, one row with no record), in contact and
    record order, each with its contact's decision, rating and time and what the record was shared with."""
    contact, holding, record = _one_per_record(checks)
    purpose = np.array([PURPOSE_OF.get(d) for d in DECISIONS], dtype=object)[decision[contact]]
    fields = _shared_fields(checks.holdings, holding, purpose, allowed)
    shared = fields.is_valid()
    nothing = np.flatnonzero(np.bincount(contact, minlength=checks.contacts.table.num_rows) == 0)
    rows = np.r_[contact, nothing]
    empty = pa.nulls(len(nothing), pa.string())
    responses = pa.table(
        {
            "contact_id": checks.contacts.table["contact_id"].combine_chunks().take(pa.array(rows, pa.int64())),
            "decided_at": pa.array(decided[rows], pa.timestamp("s")),
            "decision": pa.array(np.asarray(DECISIONS, dtype=object)[decision[rows]], pa.string()),
            "rag": pa.array(np.asarray(RAGS, dtype=object)[rag[rows]], pa.string()),
            "record_id": pa.concat_arrays([record, empty]),
            "shared_with": pa.concat_arrays([pc.if_else(shared, RECIPIENT, pa.scalar(None, pa.string())), empty]),
            "shared_fields": pa.concat_arrays([fields, empty]),
            "purpose": pa.concat_arrays(
                [pc.if_else(shared, pa.array(purpose, pa.string()), pa.scalar(None, pa.string())), empty]
            ),
        }
    )
    order = pc.sort_indices(responses, sort_keys=[("contact_id", "ascending"), ("record_id", "ascending")])
    return responses.take(order)


def _one_per_record(checks: Checks) -> tuple[NDArray[np.int64], NDArray[np.int64], pa.Array]:
    """Each (contact, record id) found once (the roles of one police incident are one record): the contact's
    row, the first holding with that id, the id."""
    found = checks.found
    record = checks.holdings.record_id.take(pa.array(found.holding, pa.int64()))
    keys = pa.table({"contact": found.contact, "record": record, "holding": found.holding})
    order = pc.sort_indices(
        keys, sort_keys=[("contact", "ascending"), ("record", "ascending"), ("holding", "ascending")]
    ).to_numpy()
    contact, holding = found.contact[order], found.holding[order]
    record = record.take(pa.array(order))
    text = record.to_numpy(zero_copy_only=False)
    first = np.r_[True, (contact[1:] != contact[:-1]) | (text[1:] != text[:-1])] if len(order) else np.zeros(0, bool)
    return contact[first], holding[first], record.filter(pa.array(first)).cast(pa.string())


def _shared_fields(
    held: Holdings, holding: NDArray[np.int64], purpose: NDArray[np.object_], allowed: sharing_policy.Allowed
) -> pa.Array:
    """For each record found, the fields shared with social care for the purpose (';'-joined), or null where
    nothing is: no purpose, social care's own record, or no field the policy allows in the record's table."""
    fields_of = _fields(allowed)
    keys = list(fields_of)
    wanted = pc.binary_join_element_wise(
        pa.array(held.agency[holding].astype(str), pa.string()),
        pa.array(held.table[holding], pa.string()),
        pa.array(purpose, pa.string()),
        "|",
    )
    at = pc.index_in(wanted, value_set=pa.array([f"{a}|{t}|{p}" for a, t, p in keys], pa.string()))
    return pa.array([fields_of[k] for k in keys], pa.string()).take(at)
