"""Children's social care: the pathway from referral to child protection and care, as the local authority
records it (the tables the CIN census and SSDA903 returns are built from).

The year's flows are set per head of the shard's children from the DfE's figures (referrals, section 47
enquiries, ICPCs, plans, entries to care); who is referred, enquired into, planned for or taken into care
follows the simulation's risk, so the children with needs are the ones the pathway finds. The cases already
open on the first day (children in need, on plans, in care) are drawn length-biased from the published
duration distributions and sized so that the stocks at the end of the period (31 March) come out at England's
rates. Every later stage follows an earlier one in time: no plan without an enquiry and a conference, no
episode ending before it starts; an episode closes only after its assessment and enquiry are done, and a
conference is held on a weekday. What the CIN census export (synthgen/outputs/returns/cin_census.py) corrects when it
turns these records into the DfE's return, and why, is listed in that module's docstring.

This module runs the pathway's parts in a fixed order (each draws from the shard's stream in turn, or from a
stream of its own): the unborn (unborn.py), the year's flows (care_pathway.py), the cases open on the first day
(open_cases.py), the records (children_in_need.py, child_protection.py), the looked-after record (care_periods.py,
looked_after.py), the CIN census fields, and deaths (child_deaths.py). Every number is a parameter of the run's
plan (parameters/social_care.csv, each with its source).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies import TABLE_CODES, AgencyTable, front_door, looked_after, police
from synthgen.agencies.care_pathway import children, this_year
from synthgen.agencies.care_periods import pathway_periods, with_looked_after
from synthgen.agencies.child_deaths import with_deaths
from synthgen.agencies.child_protection import cp_plans_table, enquiry_tables, with_census_fields
from synthgen.agencies.children_in_need import assessments_table, cin_plans_table, referrals, referrals_table
from synthgen.agencies.open_cases import Cases, with_open_cases
from synthgen.agencies.producer import Context, PersonRecords, Produced
from synthgen.agencies.social_care_records import SocialCareTables, children_rows, with_disabilities
from synthgen.agencies.unborn import unborn_cases, with_unborn
from synthgen.kernel import identifiers
from synthgen.kernel.record_ids import parse_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import ID_STRIDE, Population
from synthgen.world.simulate import Simulation

__all__ = ["EVENT_TABLES", "SocialCareTables", "produce", "social_care", "with_deaths"]

EVENT_TABLES = (
    ("referrals", "referral_id"),
    ("assessments", "assessment_id"),
    ("cin_plans", "cin_plan_id"),
    ("section47", "section47_id"),
    ("icpcs", "icpc_id"),
    ("cp_plans", "cp_plan_id"),
    ("cla_episodes", "episode_id"),
    *looked_after.TABLES,
)
"""The service's event tables and their (random) id columns; rows are written in id order, a shuffle."""


def _records(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    rng: np.random.Generator,
    cases: Cases,
    person_upn: NDArray[np.object_] | None,
) -> SocialCareTables:
    """The pathway's records: the children known to the service (anyone referred this year or with a case open
    at the start) under the authority's own ids, and their referrals, assessments, plans, enquiries,
    conferences and periods of care, drawn in that order."""
    p = pop.people
    known = np.unique(np.r_[cases.ref_child, cases.hist_child, cases.cp_new_child, cases.cla_new_child])
    la_ids = np.empty(len(cases.child_rows), dtype=object)
    la_ids[known] = identifiers.allocate_la_child_ids(rng, len(known), pop.shard, plan.shards)
    person = cases.child_rows[known]
    refs = referrals(cases)
    referral_table = referrals_table(rng, plan, pop, sim, cases, refs, la_ids)
    referral_id = referral_table["referral_id"].combine_chunks()
    assessments = assessments_table(rng, plan, pop, sim, cases, refs, la_ids, referral_id)
    cin_plans = cin_plans_table(plan, pop.shard, cases, refs, la_ids, referral_id)
    section47, icpcs = enquiry_tables(plan, pop.shard, cases, refs, la_ids, referral_id)
    cp_plans = cp_plans_table(rng, plan, pop, sim, cases, la_ids)
    periods = pathway_periods(rng, plan, cases, la_ids)
    # the children themselves (person-level: names, birth dates and identifiers as the LA holds them); the UPN is
    # known for most children at school (recorded or missing: see the data-quality model)
    key = record_ids(plan.record_key, TABLE_CODES["social_care/children"], pop.shard, len(known))
    upn = person_upn[person] if person_upn is not None else np.full(len(person), None, dtype=object)
    table = children_rows(plan, pop, key, pa.array(la_ids[known], pa.string()), p, person, upn)
    known_children = AgencyTable("social_care", "children", table, key, p.person_id[person])
    return SocialCareTables(known_children, referral_table, assessments, cin_plans, section47, icpcs, cp_plans, periods)


def social_care(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    person_upn: NDArray[np.object_] | None = None,
    born: Births | None = None,
    police_days: NDArray[np.int64] | None = None,
    died: NDArray[np.datetime64] | None = None,
) -> SocialCareTables:
    """The local authority's children's social care records for one shard (`person_upn`: each person's UPN;
    `born`: the babies born during the period, some of them referred before birth; `police_days`: for each
    person, the day of the period the police first met them, -1 for none; `died`: each person's date of death,
    NaT for the living)."""
    rng = shard_stream(plan.seed, pop.shard, "social-care")
    # unborn children referred this year count within England's flows, so the rest of the pathway makes room
    unborn = unborn_cases(plan, pop, sim, born)
    kids = children(plan, pop, sim)
    flows = this_year(rng, plan, pop, sim, kids, (len(unborn.chosen), int(unborn.protected.sum())), police_days)
    cases = with_open_cases(rng, plan, kids, flows)
    tables = _records(plan, pop, sim, rng, cases, person_upn)
    if born is not None and len(unborn.chosen):
        tables = with_unborn(plan, pop, sim, rng, born, unborn, tables)
    tables = with_looked_after(plan, pop, sim, cases, tables, person_upn)
    # what the authority records for the CIN census beyond the pathway, from streams of their own
    children_known = with_disabilities(plan, pop.shard, tables.children)
    tables = replace(tables, children=children_known, cp_plans=with_census_fields(plan, pop.shard, tables.cp_plans))
    # each child's date of death (the babies born in the period, after the residents in the ids, all live)
    row = tables.children.person_id - pop.shard * ID_STRIDE
    death = np.full(len(row), np.datetime64("NaT"), dtype="datetime64[D]")
    if died is not None:
        resident = row < len(died)
        death[resident] = died[row[resident]]
    return with_deaths(tables, death)


def produce(ctx: Context) -> Produced:
    """The local authority's children and their pathway. Police notifications follow the police's first contact
    with a child, so the police are made first; each event row is the child's through its la_child_id."""
    plan, pop = ctx.plan, ctx.pop
    care = social_care(plan, pop, ctx.sim, ctx.person_upn, ctx.born, police.first_met_days(ctx), ctx.died)
    # every referral came from a contact: the front door (made next) uses the ids recorded here
    n = care.referrals.num_rows
    behind = front_door.referral_contact_ids(ctx, n) if plan.scenario.front_door.enabled else pa.nulls(n, pa.string())
    care = replace(care, referrals=care.referrals.append_column("contact_id", behind))
    children = care.children
    index = {"value_set": children.table.column("la_child_id").combine_chunks()}
    events = []
    for name, id_column in EVENT_TABLES:
        table = getattr(care, name)
        key = parse_record_ids(table.column(id_column).combine_chunks())
        row = pc.index_in(table["la_child_id"], **index)
        person = np.full(table.num_rows, -1, dtype=np.int64)
        known = row.is_valid().to_numpy(zero_copy_only=False)
        person[known] = children.person_id[row.to_numpy(zero_copy_only=False)[known].astype(np.int64)]
        events.append(AgencyTable("social_care", name, table, key, person))
    own = {"upn": ctx.person_upn, "nhs_number": pop.people.nhs_number}
    # a child coming into care has their birth certificate seen: a slip in their date of birth does not survive
    # (the DfE's returns reject a looked-after child whose recorded age says adult: SSDA903 351, 352)
    in_care = pc.is_in(children.table["la_child_id"], value_set=care.cla_episodes["la_child_id"].combine_chunks())
    records = PersonRecords(children, own_identifiers=own, checked_birth_dates=in_care.to_numpy(zero_copy_only=False))
    return Produced(persons=(records,), events=tuple(events))
