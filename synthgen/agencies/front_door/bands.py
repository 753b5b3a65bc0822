"""The band the truth supports for a contact about a child on a day: what a hub that saw everything would decide.

Red: a need of the child's own (neglect, abuse, exploitation, going missing, self-harm) has begun and the child is
among the most at risk (`band_red_severity`): a strategy discussion. Amber: a need has begun, or the household
lives with domestic abuse, parental mental ill health or substance misuse: a referral when the child's risk is
at least `band_referral_severity`, early help below it. Green: nothing: no further action. Severity is the child's
risk as a percentile among the shard's children (as truth/risk writes it); a baby born in the period takes the
highest of its household's children, or the middle when there are none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.producer import Context

BANDS = ("green", "amber", "red")
SUPPORTED = ("nfa", "early_help", "referral", "strategy_discussion")
"""The decisions the truth can support, least to most (information and advice counts as no further action)."""


@dataclass(frozen=True)
class Bands:
    band: NDArray[np.int64]  # index into BANDS
    supported: NDArray[np.int64]  # index into SUPPORTED
    severity: NDArray[np.float64]
    at_risk: NDArray[np.bool_]  # a need begun or a risk at home on the day


def severities(ctx: Context, people: Everyone) -> NDArray[np.float64]:
    """Each person's risk percentile among the shard's children (as truth/risk), babies from their household."""
    p = ctx.pop.people
    n_pop = len(p.person_id)
    children = p.resident & (p.age < 18)
    rank = np.zeros(len(people))
    order = np.argsort(ctx.sim.risk[children], kind="stable")
    rank[np.flatnonzero(children)[order]] = (np.arange(len(order)) + 0.5) / max(len(order), 1)
    highest = np.full(len(ctx.pop.household_id), 0.5)
    seen = np.zeros(len(ctx.pop.household_id), bool)
    np.maximum.at(highest, p.household[children], rank[:n_pop][children])
    seen[p.household[children]] = True
    babies = np.arange(n_pop, len(people))
    rank[babies] = np.where(seen[people.household[babies]], highest[people.household[babies]], 0.5)
    return rank


def bands(
    ctx: Context, people: Everyone, severity: NDArray[np.float64], row: NDArray[np.int64], day: NDArray[np.int64]
) -> Bands:
    """The band and supported decision for each (person row, day of the period)."""
    sim, params = ctx.sim, ctx.plan.params
    n_pop = len(ctx.pop.people.person_id)
    start = np.datetime64(ctx.plan.period_start, "D")
    in_pop = row < n_pop
    pop_row = np.where(in_pop, row, 0)
    need = np.zeros(len(row), bool)
    for mask in sim.needs.values():
        need |= mask[pop_row]
    begun = in_pop & need & (sim.onset[pop_row] <= start + day.astype("timedelta64[D]"))
    household = people.household[row]
    at_home = sim.domestic_abuse[household] | sim.parental_mental_health[household] | sim.substance_misuse[household]
    score = severity[row]
    red = begun & (score >= params["band_red_severity"])
    amber = ~red & (begun | at_home)
    band = np.where(red, 2, np.where(amber, 1, 0))
    referral = amber & (score >= params["band_referral_severity"])
    supported = np.where(red, 3, np.where(referral, 2, np.where(amber, 1, 0)))
    return Bands(band.astype(np.int64), supported.astype(np.int64), score, begun | at_home)
