"""The front door's tables, from its arrays: what the local authority records, and the truth beside it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies.front_door.bands import BANDS, SUPPORTED, Bands
from synthgen.agencies.front_door.contacts import CONCERNS, PUBLIC, SOURCE_NAMES, SOURCES, Contacts, as_array
from synthgen.agencies.front_door.copied import copy_held, held_rows
from synthgen.agencies.front_door.early_help import CLOSURES, LEADS, NEVER, ROUTES, Episodes
from synthgen.agencies.front_door.handling import CHECKED, DECISIONS, Checks, Handled
from synthgen.agencies.front_door.known_records import AGENCIES, Known
from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.front_door.subjects import true_details
from synthgen.agencies.producer import Changes, Context
from synthgen.kernel.arrays import categorical
from synthgen.kernel.rng import shard_stream

CHANNELS = ("police_notification", "portal", "email", "phone", "in_person")


def _moments(ctx: Context, seconds: NDArray[np.int64], missing: NDArray[np.bool_] | None = None) -> pa.Array:
    start = np.datetime64(ctx.plan.period_start, "s")
    values = start + seconds.astype("timedelta64[s]")
    return pa.array(values, pa.timestamp("s"), mask=missing)


def _channels(ctx: Context, contacts: Contacts) -> NDArray[np.int64]:
    """How each contact came in: police notifications as such, professionals mostly by the online form, the public
    mostly by phone (`*_channel_share`)."""
    params = ctx.plan.params
    rng = shard_stream(ctx.plan.seed, ctx.pop.shard, "front-door-channels")
    weights = np.zeros((len(contacts), len(CHANNELS)))
    public = np.isin(contacts.source, [SOURCE_NAMES.index(name) for name in PUBLIC])
    for group, mask in (("professional", ~public), ("public", public)):
        for name, share in params.series(f"{group}_channel_share").items():
            weights[mask, CHANNELS.index(name)] = share
    police = contacts.source == SOURCE_NAMES.index("police_notification")
    weights[police] = 0.0
    weights[police, 0] = 1.0
    return categorical(rng, weights).astype(np.int64)


def la_child_ids(ctx: Context, person_id: NDArray[np.int64]) -> pa.Array:
    """The authority's own id for each person it holds a child record for (null for others)."""
    held = ctx.held.get("agencies/social_care/children")
    if held is None or not held.table.num_rows:
        return pa.nulls(len(person_id), pa.string())
    row = held_rows(held, person_id)
    ids = held.table.column("la_child_id").combine_chunks().take(pa.array(np.maximum(row, 0)))
    return pc.if_else(pa.array(row >= 0), ids, pa.scalar(None, pa.string()))


def contacts_table(
    ctx: Context, people: Everyone, contacts: Contacts, handled: Handled, contact_id: pa.Array
) -> pa.Table:
    cin = np.asarray([SOURCES[name] for name in SOURCE_NAMES], dtype=object)[contacts.source]
    return pa.table(
        {
            "contact_id": contact_id,
            "la_child_id": la_child_ids(ctx, people.base + contacts.person_row),
            "received_at": _moments(ctx, handled.received),
            "source": as_array(contacts.source, SOURCE_NAMES),
            "cin_source": pa.array(cin, pa.string()),
            "channel": as_array(_channels(ctx, contacts), CHANNELS),
            "concern": as_array(contacts.concern, CONCERNS),
            "mash_enquiry": pa.array(handled.mash),
            "rag": pa.array(np.asarray(BANDS, dtype=object)[handled.rag], pa.string(), mask=~handled.mash),
            "decision": as_array(handled.decision, DECISIONS),
            "decided_at": _moments(ctx, handled.decided),
        }
    )


def checks_table(ctx: Context, checks: Checks, contact_id: pa.Array) -> pa.Table:
    never = checks.answered < 0
    return pa.table(
        {
            "contact_id": contact_id.take(pa.array(checks.contact, pa.int64())),
            "agency": as_array(checks.agency, CHECKED),
            "requested_at": _moments(ctx, checks.requested),
            "answered_at": _moments(ctx, np.maximum(checks.answered, 0), never),
            "information_held": pa.array(checks.held, mask=never),
        }
    )


def _days(ctx: Context, day: NDArray[np.int64]) -> pa.Array:
    start = np.datetime64(ctx.plan.period_start, "D")
    return pa.array(start + np.minimum(day, 10**5).astype("timedelta64[D]"), pa.date32(), mask=day >= NEVER)


def early_help_table(
    ctx: Context, people: Everyone, episodes: Episodes, contact_id: pa.Array
) -> tuple[pa.Table, Changes]:
    """The early help record: the child as the authority holds them (its child record, where it has one, errors
    and all), and the episode; and what the record differs from the truth in."""
    person_id = people.base + episodes.person_row
    details, copied = copy_held(
        ctx,
        true_details(ctx, people, episodes.person_row),
        person_id,
        "agencies/social_care/children",
        np.ones(len(person_id), bool),
    )
    from_contact = episodes.contact >= 0
    table = pa.table(
        {
            "la_child_id": la_child_ids(ctx, person_id),
            "contact_id": pc.if_else(
                pa.array(from_contact),
                contact_id.take(pa.array(np.maximum(episodes.contact, 0))),
                pa.scalar(None, pa.string()),
            ),
            "given_name": details["given_name"],
            "middle_names": details["middle_names"],
            "family_name": details["family_name"],
            "date_of_birth": details["date_of_birth"],
            "sex": pa.array(np.where(people.female[episodes.person_row], "F", "M"), pa.string()),
            "address_line": details["address_line"],
            "postcode": details["postcode"],
            "route": as_array(episodes.route, ROUTES),
            "start_date": _days(ctx, episodes.start),
            "assessment_date": _days(ctx, episodes.assessed),
            "lead_agency": as_array(episodes.lead, LEADS),
            "end_date": _days(ctx, episodes.end),
            "closure_reason": pa.array(
                np.asarray(CLOSURES, dtype=object)[np.maximum(episodes.closure, 0)],
                pa.string(),
                mask=episodes.closure < 0,
            ),
        }
    )
    return table, copied


def truth_contacts(ctx: Context, people: Everyone, contacts: Contacts, truth: Bands, contact_id: pa.Array) -> pa.Table:
    """truth/contacts: the true child of each contact, the band the truth supports on its day, the decision that
    band supports, and the planted storyline it belongs to."""
    start = np.datetime64(ctx.plan.period_start, "D")
    person_id = people.base + contacts.person_row
    storyline = np.full(len(contacts), None, dtype=object)
    if ctx.script is not None:
        planted = ctx.script.storylines_table()
        at_risk = planted.filter(planted.column("at_risk"))
        ids = at_risk.column("person_id").to_numpy(zero_copy_only=False)
        names = at_risk.column("storyline_id").to_numpy(zero_copy_only=False).astype(object)
        order = np.argsort(ids, kind="stable")
        at = np.minimum(np.searchsorted(ids[order], person_id), max(len(ids) - 1, 0))
        found = (ids[order][at] == person_id) if len(ids) else np.zeros(len(person_id), bool)
        storyline[found] = names[order][at[found]]
    return pa.table(
        {
            "contact_id": contact_id,
            "person_id": pa.array(person_id, pa.int64()),
            "household_id": pa.array(ctx.pop.household_id[people.household[contacts.person_row]], pa.int64()),
            "received_on": pa.array(start + contacts.day.astype("timedelta64[D]"), pa.date32()),
            "band": as_array(truth.band, BANDS),
            "supported_decision": as_array(truth.supported, SUPPORTED),
            "severity": pa.array(np.round(truth.severity, 4)),
            "at_risk": pa.array(truth.at_risk),
            "storyline_id": pa.array(storyline, pa.string()),
        }
    )


def truth_contact_records(known: Known, contact_id: pa.Array) -> pa.Table:
    return pa.table(
        {
            "contact_id": contact_id.take(pa.array(known.contact, pa.int64())),
            "agency": as_array(known.agency, AGENCIES),
            "table": known.table,
            "record_id": known.record_id,
            "person_id": pa.array(known.person_id, pa.int64()),
            "relation": known.relation,
            "known_on": pa.array(known.known, pa.date32(), mask=np.isnat(known.known)),
        }
    )
