"""Periods of care: the pathway's (open on the first day or begun during the period) and last year's leavers,
handed to looked_after.py to be cut into the SSDA903 record.

Last year's leavers are in last year's return and, at 16 or over, are care leavers now, so their young people join
the children the service knows.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies import TABLE_CODES, looked_after
from synthgen.agencies.open_cases import Cases
from synthgen.agencies.social_care_records import SocialCareTables, children_rows, ids, with_children
from synthgen.kernel import identifiers, strings
from synthgen.kernel.record_ids import record_ids_from
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation


def pathway_periods(rng: np.random.Generator, plan: Plan, cases: Cases, la_ids: NDArray[np.object_]) -> pa.Table:
    """The children of the pathway's periods of care, in pathway order (open on the first day, then this year's
    entries): the cla_episodes table until with_looked_after replaces it with the episodes.

    An earlier model drew each period's reason for leaving, placement postcode, legal status and placement type
    here; looked_after.history draws them now. Its draws are still made (uniform draws, as rng.choice with shares
    makes them, and the postcodes) so that the shard's later draws, and so the data written, do not move."""
    n_cla = len(cases.cla_child)
    rng.random(n_cla)  # the reason the period ceased
    rng.integers(0, len(plan.postcodes.postcode), n_cla)  # a placement postcode
    rng.random(n_cla)  # placed out of the area
    rng.random(n_cla)  # the legal status
    rng.random(n_cla)  # the placement type
    return pa.table({"la_child_id": pa.array(la_ids[cases.cla_child], pa.string())})


def _last_years_leavers(
    plan: Plan, pop: Population, sim: Simulation, in_care: NDArray[np.int64], per10k: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Periods that ended in the year before the period: people under 20 at the start, not in care during the
    period (`in_care`: person rows), drawn by the same weight as referrals and entries to care (the young adults
    by their own risk and needs), as many as a year's entries (`per10k`: the shard's children in 10,000s).
    Returns person rows, starts and ends."""
    p = pop.people
    start = np.datetime64(plan.period_start, "D")
    young = np.flatnonzero(p.resident & (p.age < 20))
    born_day = (p.date_of_birth - start).astype(np.int64)
    w = plan.params.series("referral_weight")
    pick = np.exp(w["risk"] * sim.risk[young]) * (1 + w["need"] * sim.any_need()[young])
    pick[np.isin(young, in_care)] = 0.0
    leavers = round(plan.params["cla_starts_per_10k_children"] * per10k)
    chosen, past_start, past_end = looked_after.past_periods(plan, young, born_day[young], pick, leavers, pop.shard)
    return young[chosen], past_start, past_end


def with_looked_after(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    cases: Cases,
    tables: SocialCareTables,
    person_upn: NDArray[np.object_] | None,
) -> SocialCareTables:
    """The looked-after children's full record: each period of care cut into its episodes, with reviews,
    missing spells, adoption and the rest of the SSDA903 return; plus last year's leavers, whose young people
    join the children the service knows."""
    p = pop.people
    start = np.datetime64(plan.period_start, "D")
    # the periods open during the period: the rows of the pathway's cla_episodes, in the same order
    rows = cases.child_rows[cases.cla_child]
    la = tables.cla_episodes.column("la_child_id").to_numpy(zero_copy_only=False)
    past_rows, past_start, past_end = _last_years_leavers(plan, pop, sim, rows, len(cases.child_rows) / 10_000)
    rng = shard_stream(plan.seed, pop.shard, "looked-after-children")
    used = tables.children.table.column("la_child_id")
    pool = identifiers.allocate_la_child_ids(rng, len(past_rows) + len(used), pop.shard, plan.shards)
    past_la = pool[~strings.among(pool, used)][: len(past_rows)]
    key = record_ids_from(
        plan.record_key, TABLE_CODES["social_care/children"], pop.shard, tables.children.table.num_rows, len(past_rows)
    )
    upn = person_upn[past_rows] if person_upn is not None else np.full(len(past_rows), None, dtype=object)
    added = children_rows(plan, pop, key, pa.array(past_la, pa.string()), p, past_rows, upn)
    children = with_children(tables.children, added, key, p.person_id[past_rows])
    all_rows = np.r_[rows, past_rows]
    born_day = (p.date_of_birth[all_rows] - start).astype(np.int64)
    everyone = looked_after.Periods(
        rows=all_rows,
        la_child_id=np.r_[la, past_la].astype(object),
        start=np.r_[cases.cla_start, past_start],
        end=np.r_[cases.cla_end, past_end],
        home_postcode=pop.household_postcode[p.household[all_rows]],
        born=born_day,
        going_missing=sim.needs["going_missing"][all_rows],
    )
    history = looked_after.history(plan, pop.shard, everyone, plan.days, ~p.female[all_rows])
    table_ids = partial(ids, plan, pop.shard)
    with_ids = {
        name: getattr(history, name).add_column(0, column, table_ids(name, getattr(history, name).num_rows))
        for name, column in (("cla_episodes", "episode_id"), *looked_after.TABLES)
    }
    return replace(tables, children=children, **with_ids)
