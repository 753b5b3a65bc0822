"""The year the population lives through: risk in households and children, and births, as truth.

Risk drives every agency together, so signals co-occur as they do in life: a household's adversity (higher with
deprivation) raises its chances of domestic abuse, parental mental ill health and substance misuse, which
co-occur through that shared adversity; a child's risk adds the household's risk factors to its own, and the
child-level needs (neglect, abuse, exploitation, going missing, self-harm) follow the child's risk. The agency
modules turn this truth into records: police incidents, A&E attendances, absence, referrals and plans.

Shares are set by rank within the shard (the highest scores get the need), so each need's prevalence is exactly
its configured share while who gets it follows the risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.arrays import top
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import ROLE, Population

NEEDS = (
    "neglect",
    "emotional_abuse",
    "physical_abuse",
    "sexual_abuse",
    "child_sexual_exploitation",
    "child_criminal_exploitation",
    "going_missing",
    "self_harm",
)
"""Child-level needs during the year. Each has its share of the children in its ages (`need_share.<need>`) and
those ages (`need_min_age.<need>`, `need_max_age.<need>`) in reference/data/parameters/risk.csv."""


@dataclass
class Simulation:
    """Risk, as truth, for one shard's population over the period."""

    household_adversity: NDArray[np.float64]  # per household: standardised, higher is worse
    domestic_abuse: NDArray[np.bool_]  # per household
    parental_mental_health: NDArray[np.bool_]  # per household
    substance_misuse: NDArray[np.bool_]  # per household
    risk: NDArray[np.float64]  # per person: a child's risk (household adversity + factors + own); adults too
    needs: dict[str, NDArray[np.bool_]] = field(default_factory=dict)  # per person
    onset: NDArray[np.datetime64] = field(default_factory=lambda: np.zeros(0, "datetime64[D]"))  # per person

    def any_need(self) -> NDArray[np.bool_]:
        result = np.zeros(len(self.risk), bool)
        for mask in self.needs.values():
            result |= mask
        return result


def _top_share(scores: NDArray[np.float64], eligible: NDArray[np.bool_], share: float) -> NDArray[np.bool_]:
    """The eligible rows with the highest scores, `share` of them (rounded), as a mask."""
    chosen = np.zeros(len(scores), bool)
    where = np.flatnonzero(eligible)
    chosen[where[top(scores[where], round(share * len(where)))]] = True
    return chosen


def simulate(plan: Plan, pop: Population) -> Simulation:
    """Risk factors of households and needs of children for one shard."""
    params = plan.params
    rng = shard_stream(plan.seed, pop.shard, "simulate")
    p = pop.people
    n_hh = len(pop.household_id)
    deprivation = pop.household_deprivation
    adversity = rng.normal(0.0, 1.0, n_hh) + params["adversity_deprivation_weight"] * (deprivation - deprivation.mean())
    # standardised over the shard (a one-household shard has no spread: its household is simply average)
    adversity = (adversity - adversity.mean()) / (adversity.std() or 1.0)
    shared = params["risk_factor_shared_weight"]
    own = np.sqrt(1 - shared**2)
    adults_under_65 = np.bincount(p.household, weights=((p.age >= 18) & (p.age < 65)).astype(float), minlength=n_hh) > 0
    children = np.bincount(p.household, weights=(p.age < 18).astype(float), minlength=n_hh) > 0
    live = pop.household_in_area

    def factor(name: str, eligible: NDArray[np.bool_]) -> NDArray[np.bool_]:
        score = shared * adversity + own * rng.normal(0.0, 1.0, n_hh)
        return _top_share(score, eligible & live, params[name])

    domestic_abuse = factor("domestic_abuse_household_share", adults_under_65)
    mental_health = factor("parental_mental_health_household_share", children)
    substance = factor("substance_misuse_household_share", children)
    weight = params.series("household_risk_weight")
    household_risk = (
        adversity
        + weight["domestic_abuse"] * domestic_abuse
        + weight["parental_mental_health"] * mental_health
        + weight["substance_misuse"] * substance
    )
    risk = household_risk[p.household] + rng.normal(0.0, params["child_risk_own_sd"], len(p.person_id))
    child = p.resident & (p.age < 18) & (p.role == ROLE["child"])
    needs = {}
    for name in NEEDS:
        eligible = (
            child & (p.age >= int(params[f"need_min_age.{name}"])) & (p.age <= int(params[f"need_max_age.{name}"]))
        )
        noise = rng.normal(0.0, params["need_score_noise_sd"], len(risk))
        needs[name] = _top_share(risk + noise, eligible, params[f"need_share.{name}"])
    sim = Simulation(
        household_adversity=adversity,
        domestic_abuse=domestic_abuse,
        parental_mental_health=mental_health,
        substance_misuse=substance,
        risk=risk,
        needs=needs,
    )
    has_need = sim.any_need()
    # a need began some time before or during the period: uniformly over the year before the start to the end
    sim.onset = np.full(len(risk), np.datetime64("NaT"), dtype="datetime64[D]")
    sim.onset[has_need] = np.datetime64(plan.period_start, "D") + rng.integers(
        -int(params["need_onset_days_before_start"]), plan.days, int(has_need.sum())
    ).astype("timedelta64[D]")
    return sim
