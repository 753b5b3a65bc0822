"""The MASH front door: contacts, the hub's handling, early help, and the statutory flows around them.

A Multi-Agency Safeguarding Hub works contact by contact: a concern arrives, the hub checks what partners hold,
rates the risk and decides within one working day. This producer runs after children's social care (every
referral comes from a contact, whose id the referral carries) and the agencies whose records raise contacts:
- contacts.py: who raised each concern, about which child, when;
- subjects.py: the people each contact names, as it names them (contact_subjects, person-level);
- handling.py: the rating, the MASH enquiry and its partner checks, the decision and its time;
- early_help.py: early help episodes, from the front door and stepped down from social care;
- encompass.py, marac.py, cpis.py: Operation Encompass, MARAC and CP-IS, where the scenario has them;
- bands.py and known_records.py: the truth behind each contact (truth/contacts, truth/contact_records).
Each part draws from its own stream, so switching one off leaves the others' records as they were.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen import tables
from synthgen.agencies import AgencyTable
from synthgen.agencies.front_door import cpis, early_help, encompass, handling, marac
from synthgen.agencies.front_door.bands import bands, severities
from synthgen.agencies.front_door.contacts import the_years
from synthgen.agencies.front_door.known_records import known_records
from synthgen.agencies.front_door.people import Everyone, everyone
from synthgen.agencies.front_door.records import (
    checks_table,
    contacts_table,
    early_help_table,
    truth_contact_records,
    truth_contacts,
)
from synthgen.agencies.front_door.subjects import subjects
from synthgen.agencies.producer import Context, PersonRecords, Produced
from synthgen.kernel.record_ids import format_record_ids, record_ids, record_ids_from
from synthgen.kernel.rng import shard_stream

__all__ = ["produce", "referral_contact_ids"]


def referral_contact_ids(ctx: Context, n: int) -> pa.Array:
    """The ids of the contacts behind a shard's n referrals, in referral row order: the first n of the contacts'
    id space, so that social care can record them on the referrals before the front door is made."""
    code = tables.code("social_care", "contacts")
    return format_record_ids(record_ids(ctx.plan.record_key, code, ctx.pop.shard, n))


def _ids(ctx: Context, name: str, n: int, after: int = 0) -> tuple[pa.Array, NDArray[np.uint64]]:
    agency, table = name.split("/")
    key = record_ids_from(ctx.plan.record_key, tables.code(agency, table), ctx.pop.shard, after, n)
    return format_record_ids(key), key


def _at_risk(ctx: Context, people: Everyone) -> NDArray[np.bool_]:
    """Each person with a need or a risk at home at any time in the period."""
    sim = ctx.sim
    n_pop = len(ctx.pop.people.person_id)
    result = np.zeros(len(people), bool)
    result[:n_pop] = sim.any_need()
    household = people.household
    result |= sim.domestic_abuse[household] | sim.parental_mental_health[household] | sim.substance_misuse[household]
    return result


def produce(ctx: Context) -> Produced:
    referrals = ctx.made.get("agencies/social_care/referrals")
    if referrals is None:
        return Produced()
    statutory = _statutory_flows(ctx, everyone(ctx))
    if not ctx.plan.scenario.front_door.enabled:
        return Produced(events=statutory)
    seed, shard = ctx.plan.seed, ctx.pop.shard
    people = everyone(ctx)
    severity = severities(ctx, people)
    found = the_years(shard_stream(seed, shard, "front-door-contacts"), ctx, people, referrals, _at_risk(ctx, people))
    truth = bands(ctx, people, severity, found.person_row, found.day)
    handled = handling.handle(shard_stream(seed, shard, "front-door-handling"), ctx, people, found, truth)
    known = known_records(ctx, people, found)
    n_ref = referrals.table.num_rows
    contact_id, contact_key = _contact_ids(ctx, referrals, len(found) - n_ref)
    named, named_person, named_changes = subjects(
        shard_stream(seed, shard, "front-door-subjects"), ctx, people, found, contact_id
    )
    checked = handling.checks(
        shard_stream(seed, shard, "front-door-checks"), ctx, people, found, handled, known.held_by(len(found))
    )
    helped = early_help.episodes(shard_stream(seed, shard, "front-door-early-help"), ctx, people, found, handled)
    child = people.base + found.person_row
    contacts_made = contacts_table(ctx, people, found, handled, contact_id)
    events = [
        AgencyTable("social_care", "contacts", contacts_made, contact_key, child),
        _event(ctx, "social_care/partner_checks", checks_table(ctx, checked, contact_id), child[checked.contact]),
    ]
    helped_table, helped_changes = early_help_table(ctx, people, helped, contact_id)
    persons = [
        PersonRecords(_event(ctx, "social_care/contact_subjects", named, named_person), given=named_changes),
        PersonRecords(
            _event(ctx, "social_care/early_help", helped_table, people.base + helped.person_row), given=helped_changes
        ),
    ]
    return Produced(
        persons=tuple(persons),
        events=tuple(events) + statutory,
        truth={
            "contacts": truth_contacts(ctx, people, found, truth, contact_id),
            "contact_records": truth_contact_records(known, contact_id),
        },
    )


def _contact_ids(ctx: Context, referrals: AgencyTable, others: int) -> tuple[pa.Array, NDArray[np.uint64]]:
    """The contacts' ids: the referrals' own (recorded on them), then the rest."""
    behind = referrals.table.column("contact_id").combine_chunks()
    rest, rest_key = _ids(ctx, "social_care/contacts", others, referrals.table.num_rows)
    key = np.r_[
        record_ids(ctx.plan.record_key, tables.code("social_care", "contacts"), ctx.pop.shard, len(behind)), rest_key
    ]
    return pa.concat_arrays([behind, rest]), key


def _event(ctx: Context, name: str, table: pa.Table, person_id: NDArray[np.int64]) -> AgencyTable:
    """An event table under fresh ids in its own column (the registry's id column), first."""
    ids, key = _ids(ctx, name, table.num_rows)
    entry = tables.table(f"agencies/{name}")
    agency, table_name = name.split("/")
    table = table.add_column(0, entry.id_column or "record_id", ids)
    return AgencyTable(agency, table_name, table, key, person_id)


def _statutory_flows(ctx: Context, people: Everyone) -> tuple[AgencyTable, ...]:
    """Operation Encompass, MARAC and CP-IS, each where the scenario has it and its agencies are there."""
    settings = ctx.plan.scenario.front_door
    seed, shard = ctx.plan.seed, ctx.pop.shard
    made: list[AgencyTable] = []
    roles = ctx.made.get("agencies/police/incident_persons")
    if settings.operation_encompass and roles is not None:
        sent = encompass.notifications(shard_stream(seed, shard, "front-door-encompass"), ctx, people)
        made.append(
            _event(ctx, "police/encompass_notifications", encompass.table(ctx, sent), roles.person_id[sent.role])
        )
    if settings.marac and roles is not None:
        heard = marac.cases(shard_stream(seed, shard, "front-door-marac"), ctx, people)
        case_id, case_key = _ids(ctx, "police/marac_cases", len(heard))
        cases_table, children, child_person = marac.tables(ctx, people, heard, case_id)
        made.append(AgencyTable("police", "marac_cases", cases_table, case_key, roles.person_id[heard.role]))
        made.append(_event(ctx, "police/marac_children", children, child_person))
    if settings.cp_is and "agencies/social_care/children" in ctx.held:
        uploaded, person = cpis.uploads(ctx, people)
        made.append(_event(ctx, "social_care/cpis_uploads", uploaded, person))
        if ctx.plan.scenario.agencies.health.enabled:
            shared = uploaded.column("uploaded").to_numpy(zero_copy_only=False)
            made.append(_event(ctx, "health/cpis_flags", cpis.flags(ctx, uploaded), person[shared]))
    return tuple(made)
