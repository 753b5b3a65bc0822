"""Police: incidents, the people in them, and the nominal records the force holds on those people.

A force's records system (Niche, Athena, Connect) holds incidents and, apart from them, one nominal record per
person it has met, linked to incidents by a role (victim, suspect, witness, child present, missing person).
Police meet people through what happens to them, so the incidents here come from the simulated year:

- domestic abuse in the households the simulation says live with it (a few one-off incidents elsewhere), with
  the household's children present at many of them and a DASH risk level that rises with repeat incidents;
- missing episodes of children who go missing or are exploited;
- background assaults, sexual offences, drug offences and anti-social behaviour, for which who is involved
  follows age, sex and the person's risk, plus the incidents that children's needs bring (physical and sexual
  abuse reported to the police, exploitation, county-lines drug arrests).

Domestic abuse and missing children are calibrated to England's figures (uk-facts.md D): 13.8 domestic-abuse-
related crimes per 1,000 residents a year with 42% of domestic incidents recorded as non-crime incidents, and 59
children in 10,000 reported missing a year, 2.9 episodes each. The background rates are design figures, each
commented where it is set. Rates are per year and scale with the length of the period.

Police take details orally, often in a hurry: about 8% of nominals hold an age instead of a date of birth. A
nominal gets a PNC ID when the person is arrested (the first arrest may have been years before the period). The
data-quality model adds the usual errors later; the names here are the person's own (the family name they go
by, which for a step-child may be the step-parent's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import signals
from synthgen.agencies import TABLE_CODES, AgencyTable, address_columns, name_columns
from synthgen.agencies.producer import Context, Keyed, PersonRecords, Produced
from synthgen.kernel import identifiers
from synthgen.kernel.arrays import rank_within, top
from synthgen.kernel.dates import age_on, moments
from synthgen.kernel.record_ids import format_record_ids, parse_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import ID_STRIDE, ROLE, Population
from synthgen.world.simulate import Simulation

INCIDENT_TYPES = ("domestic_abuse", "missing_person", "assault", "sexual_offence", "drugs", "antisocial_behaviour")
PERSON_ROLES = ("victim", "suspect", "witness", "child_present", "missing_person")
DASH_LEVELS = ("standard", "medium", "high")
_TYPE = {name: index for index, name in enumerate(INCIDENT_TYPES)}
_ROLE = {name: index for index, name in enumerate(PERSON_ROLES)}

# --- domestic abuse ---
DA_CRIMES_PER_1000 = 13.8
"""Domestic-abuse-related crimes per 1,000 residents a year: 851,062 in England and Wales, YE Mar 2024 (uk-facts D)."""
DA_NON_CRIME_SHARE = 0.42
"""Share of domestic-abuse incidents recorded as non-crime incidents: 42% (YE Mar 2021, uk-facts D)."""
DA_ELSEWHERE_SHARE = 0.04
"""Design: one-off domestic incidents (a single row, a counter-allegation) in households the simulation does not
mark as living with abuse; they are what makes screening hard."""
DA_FEMALE_VICTIM = 0.75
"""Design: in a man-and-woman couple the woman is the victim three times in four (the brief's 'about 75%'; ONS
reports about three in four victims of domestic-abuse-related crime are female, not confirmed in uk-facts). A
lone adult is the victim whatever their sex, so about 70% of victims overall are women."""
DA_HOUSEHOLD_SHAPE = 1.5
"""Design: gamma shape of how incidents spread over abusive households (a Poisson mixed over households), so
repeat incidents concentrate in a few, as repeat victimisation does; the mean is set by the calibration."""
DASH_SHARES = (0.60, 0.30, 0.10)
"""Design: standard / medium / high DASH risk; the national split is unconfirmed (uk-facts D)."""
DASH_REPEAT_STEP = 0.35
"""Design: how much each earlier incident in the household raises the latent DASH score (in standard deviations)."""
CHILD_PRESENT = 0.4
"""Design: chance a child of the household is recorded as present at a domestic incident."""
DA_WITNESS = 0.15
"""Design: chance another adult at home (a grandparent, a grown-up child, a lodger) is recorded as a witness."""
DA_ARREST = 0.33
"""Design: chance the suspect of a domestic-abuse crime is arrested (ONS reports about a third, unconfirmed)."""

# --- missing children ---
MISSING_CHILDREN_PER_10000 = 59.0
"""Children reported missing a year per 10,000 children: ~72,000 in England 2023/24 (uk-facts D)."""
MISSING_EPISODES_PER_CHILD = 2.9
"""Missing episodes per missing child: ~210,000 incidents for ~72,000 children (uk-facts D)."""
MISSING_EPISODE_SHAPE = 0.6
"""Design: gamma shape of the extra episodes over missing children; a few go missing again and again."""

# --- needs that bring incidents (per child with the need, per year; design) ---
PHYSICAL_ABUSE_REPORTED = 0.25
"""Design: a physically abused child's abuse reported to the police as an assault by a parent in a year."""
SEXUAL_ABUSE_REPORTED = 0.25
"""Design: a sexually abused child's abuse reported in a year (most child sexual abuse never comes to light)."""
CSE_OFFENCES = 0.5
"""Design: sexual offences a year against a sexually exploited child that reach the police."""
CCE_DRUG_INCIDENTS = 1.0
"""Design: drug incidents a year of a criminally exploited child, often away from home (county lines)."""
CCE_ARREST = 0.7
"""Design: chance an exploited child found with drugs is arrested."""

HOUR_WEIGHTS = np.array(
    [4, 3, 2.5, 2, 1.5, 1.5, 2, 2.5, 3, 3.5, 4, 4, 4.5, 4.5, 5, 5.5, 6, 6.5, 7, 7, 7, 6.5, 6, 5], dtype=np.float64
)
"""Design: the hour of day of incidents, quiet before dawn and busiest in the evening, as police demand is."""


@dataclass(frozen=True)
class _Profile:
    """Who is drawn into a kind of incident: weights by age band, by sex, and exp(risk * sim.risk).

    bands are (youngest age, weight) pairs, ascending; ages below the first band weigh nothing (for suspects
    the first band starts at 10, England's age of criminal responsibility).
    """

    bands: tuple[tuple[int, float], ...]
    male: float
    female: float
    risk: float

    def weights(
        self, age: NDArray[np.int64], female: NDArray[np.bool_], risk: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        lows = np.array([low for low, _ in self.bands])
        by_age = np.r_[0.0, [weight for _, weight in self.bands]][np.searchsorted(lows, age, side="right")]
        result: NDArray[np.float64] = by_age * np.where(female, self.female, self.male) * np.exp(self.risk * risk)
        return result


# Profiles are design: the age-crime curve (offending peaks in the late teens and early twenties), men the large
# majority of suspects, young adults the most likely victims of violence, and girls and young women of sexual
# offences; risk concentrates involvement in the people the simulation marks as troubled.
OFFENDER = _Profile(
    ((10, 0.3), (14, 0.8), (16, 1.0), (25, 0.8), (35, 0.5), (45, 0.25), (55, 0.1), (65, 0.03)), 4, 1, 1.0
)
VIOLENCE_VICTIM = _Profile(((10, 0.4), (16, 1.0), (25, 0.8), (35, 0.5), (45, 0.3), (55, 0.15), (65, 0.05)), 1.3, 1, 0.4)
SEXUAL_VICTIM = _Profile(((10, 0.8), (13, 1.5), (20, 1.0), (30, 0.5), (45, 0.2), (65, 0.05)), 1, 6, 0.5)
SEXUAL_OFFENDER = _Profile(((14, 0.5), (18, 1.0), (30, 1.0), (45, 0.7), (60, 0.3), (75, 0.1)), 30, 1, 0.8)
DRUGS_SUSPECT = _Profile(((14, 0.4), (16, 1.0), (25, 0.8), (35, 0.4), (45, 0.2), (55, 0.05)), 6, 1, 1.0)
ASB_SUSPECT = _Profile(((10, 0.6), (13, 1.0), (18, 0.6), (25, 0.3), (40, 0.15), (60, 0.05)), 2.5, 1, 0.8)
CALLER = _Profile(((18, 1.0), (65, 0.8)), 1, 1, 0.0)


@dataclass(frozen=True)
class _Kind:
    """A background kind of incident and who is in it; every rate is design and commented in KINDS."""

    name: str
    per_1000: float  # incidents per 1,000 residents a year
    crime: bool  # recorded as a crime (else a non-crime incident)
    victim: _Profile | None
    suspect: _Profile
    suspect_known: float  # chance a suspect is identified (else no suspect row)
    witness: float  # chance of a witness (a caller) among the residents
    arrest: float  # chance an identified suspect is arrested
    at_home: float  # chance the incident is at the home of the victim (or the suspect), else anywhere in the area


KINDS = (
    # non-domestic violence with a named party: police record about 35 violent crimes per 1,000 people a year in
    # England and Wales, a third of them domestic and many without an identified party (design, order of ONS
    # police recorded crime; not in uk-facts)
    _Kind("assault", 10.0, True, VIOLENCE_VICTIM, OFFENDER, 0.7, 0.3, 0.35, 0.4),
    # sexual offences: about 3 per 1,000 recorded, some historic or against non-residents (design)
    _Kind("sexual_offence", 2.0, True, SEXUAL_VICTIM, SEXUAL_OFFENDER, 0.5, 0.0, 0.4, 0.5),
    # drug offences, mostly possession found on stop and search: about 3 per 1,000 recorded (design)
    _Kind("drugs", 2.5, True, None, DRUGS_SUSPECT, 1.0, 0.0, 0.4, 0.3),
    # anti-social behaviour incidents: police record about 17 per 1,000 a year; not crimes (design)
    _Kind("antisocial_behaviour", 14.0, False, None, ASB_SUSPECT, 0.5, 0.6, 0.0, 0.5),
)


@dataclass(frozen=True)
class PoliceTables:
    """One shard's police records, and the truth of who each incident row is.

    `incidents`: incident_id, occurred_at, incident_type, crime, dash_risk (domestic abuse only), location_postcode;
    rows in incident-id order (a shuffle). `incident_persons`: incident_id, police_person_id, role.
    `persons`: the nominal records; its `record_id` IS the police person id that incident_persons calls
    `police_person_id`. `incident_person_id`: the population row of each incident_persons row (truth, aligned).
    """

    incidents: pa.Table
    incident_persons: pa.Table
    persons: AgencyTable
    incident_person_id: NDArray[np.int64]
    scripted_incident_ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    """The incident id of each scripted incident, in the order they were given."""


@dataclass(frozen=True)
class ScriptedIncident:
    """An incident a planted storyline scripts (synthgen.storylines): it joins the book like any other, so its
    people get nominal records (and PNC IDs when arrested) that go through the data-quality model."""

    incident_type: str  # one of INCIDENT_TYPES
    occurred_at: np.datetime64  # to the second
    crime: bool
    location: int  # postcode row of the plan
    dash: int  # index into DASH_LEVELS, -1 for none
    person: tuple[int, ...]  # person rows
    role: tuple[str, ...]  # each person's role (PERSON_ROLES)
    arrested: tuple[bool, ...]


class _Incidents:
    """Incidents and involvements gathered block by block (a handful of blocks, each a whole column)."""

    def __init__(self) -> None:
        self.kind: list[NDArray[np.int64]] = []
        self.time: list[NDArray[np.datetime64]] = []
        self.crime: list[NDArray[np.bool_]] = []
        self.dash: list[NDArray[np.int64]] = []
        self.location: list[NDArray[np.int64]] = []
        self.incident: list[NDArray[np.int64]] = []
        self.person: list[NDArray[np.int64]] = []
        self.role: list[NDArray[np.int64]] = []
        self.arrested: list[NDArray[np.bool_]] = []
        self.count = 0

    def add(
        self,
        kind: str,
        time: NDArray[np.datetime64],
        crime: NDArray[np.bool_],
        location: NDArray[np.int64],
        dash: NDArray[np.int64] | None = None,
    ) -> NDArray[np.int64]:
        """Append incidents; returns their positions."""
        n = len(time)
        self.kind.append(np.full(n, _TYPE[kind], np.int64))
        self.time.append(time.astype("datetime64[s]"))
        self.crime.append(np.asarray(crime, bool))
        self.dash.append(np.full(n, -1, np.int64) if dash is None else dash)
        self.location.append(location)
        positions = self.count + np.arange(n, dtype=np.int64)
        self.count += n
        return positions

    def involve(
        self,
        incident: NDArray[np.int64],
        person: NDArray[np.int64],
        role: str,
        arrested: NDArray[np.bool_] | None = None,
    ) -> None:
        """Record people in incidents; rows whose person is -1 (nobody identified) are dropped."""
        keep = person >= 0
        self.incident.append(incident[keep])
        self.person.append(person[keep])
        self.role.append(np.full(int(keep.sum()), _ROLE[role], np.int64))
        self.arrested.append(np.zeros(int(keep.sum()), bool) if arrested is None else arrested[keep])


def _draw(rng: np.random.Generator, weights: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    """n rows drawn with replacement in proportion to weights; -1 when nobody is eligible."""
    total = float(weights.sum())
    if n == 0 or total <= 0:
        return np.full(n, -1, np.int64)
    result: NDArray[np.int64] = rng.choice(len(weights), size=n, p=weights / total).astype(np.int64)
    return result


def _domestic_abuse(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    book: _Incidents,
    end: np.datetime64,
) -> None:
    """Domestic incidents, calibrated so the period's domestic-abuse crimes come to DA_CRIMES_PER_1000.

    The expected number of incidents is fixed by the target (crimes / crime share); the shard's total is Poisson
    about it and is spread over abusive households by a gamma-mixed multinomial, a few going elsewhere.
    """
    p = pop.people
    start, size, partner = pop.household_head, pop.household_size, pop.household_partner
    n_hh = len(start)
    residents = int(p.resident.sum())
    expected = DA_CRIMES_PER_1000 * residents / 1000 * plan.years / (1 - DA_NON_CRIME_SHARE)
    total = int(rng.poisson(expected))
    abusive = np.flatnonzero(sim.domestic_abuse)
    adult_under_65 = np.bincount(p.household, weights=((p.age >= 18) & (p.age < 65)).astype(float), minlength=n_hh)
    others = np.flatnonzero(pop.household_in_area & (adult_under_65 > 0) & ~sim.domestic_abuse)
    elsewhere = int(rng.binomial(total, DA_ELSEWHERE_SHARE)) if len(abusive) else total
    elsewhere = elsewhere if len(others) else 0
    # design: the more adverse households call the police a little more often (x1.35 per standard deviation)
    weight = rng.gamma(DA_HOUSEHOLD_SHAPE, 1.0, len(abusive)) * np.exp(0.3 * sim.household_adversity[abusive])
    counts = rng.multinomial(total - elsewhere, weight / weight.sum()) if len(abusive) else np.zeros(0, np.int64)
    hh = np.r_[np.repeat(abusive, counts), others[rng.integers(0, max(len(others), 1), elsewhere)]].astype(np.int64)
    n = len(hh)
    time = moments(rng, np.array([np.datetime64(plan.period_start, "D")]), end, n, HOUR_WEIGHTS)

    # who: the head and the head's partner; in a man-and-woman couple the woman is usually the victim; with no
    # partner at home the suspect is an ex-partner living elsewhere, of whom the force holds no nominal here
    head_female = p.female[start]
    has_partner = partner >= 0
    partner_female = p.female[np.maximum(partner, 0)]
    mixed = has_partner & (head_female != partner_female)
    u = rng.random(n_hh)
    victim_is_head = np.where(mixed, (u < DA_FEMALE_VICTIM) == head_female, ~has_partner | (u < 0.5))
    victim_hh = np.where(victim_is_head, start, partner)
    suspect_hh = np.where(has_partner, np.where(victim_is_head, partner, start), -1)

    # DASH: the household's severity, rising with each repeat; shares exact by rank within the shard
    severity = 0.5 * sim.household_adversity + rng.normal(0.0, 1.0, n_hh)  # design: adversity weighs in by half
    repeat = rank_within(hh, time)
    latent = severity[hh] + DASH_REPEAT_STEP * repeat + rng.normal(0.0, 0.8, n)
    latent[n - elsewhere :] -= 1.0  # one-off incidents are rarely the gravest
    rank = np.empty(n, np.int64)
    rank[np.argsort(latent, kind="stable")] = np.arange(n)
    dash = (rank >= round(DASH_SHARES[0] * n)).astype(np.int64) + (rank >= round(sum(DASH_SHARES[:2]) * n))
    crime = top(latent + rng.normal(0.0, 1.0, n), round((1 - DA_NON_CRIME_SHARE) * n))
    incident = book.add("domestic_abuse", time, crime, pop.household_postcode[hh], dash)
    book.involve(incident, victim_hh[hh], "victim")
    book.involve(incident, suspect_hh[hh], "suspect", crime & (rng.random(n) < DA_ARREST))

    # everyone else at home: children (under 18) present, other adults now and then witnesses
    sizes = size[hh]
    which = np.repeat(np.arange(n), sizes)
    member = np.repeat(start[hh], sizes) + np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    child = (p.role[member] == ROLE["child"]) & (p.age[member] < 18)
    present = child & (rng.random(len(member)) < CHILD_PRESENT)
    book.involve(incident[which[present]], member[present], "child_present")
    bystander = ~child & (p.age[member] >= 18) & (member != victim_hh[hh][which]) & (member != suspect_hh[hh][which])
    witness = bystander & (rng.random(len(member)) < DA_WITNESS)
    book.involve(incident[which[witness]], member[witness], "witness")


def _missing(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    book: _Incidents,
    end: np.datetime64,
    scripted: int = 0,
) -> None:
    """Missing children, at England's count per child and episodes per missing child, exactly by rank.

    Children who go missing come first, then sexually or criminally exploited children, then (only if the
    scenario's needs fall short) the children at highest risk. Extra episodes beyond the first are spread over
    them by a gamma-mixed multinomial, so the mean is exact and a few children go missing many times. `scripted`
    episodes (planted storylines, added apart) come out of the extra ones, so the shard keeps England's mean.
    """
    p = pop.people
    children = p.resident & (p.age < 18)
    where = np.flatnonzero(children)
    wanted = min(round(MISSING_CHILDREN_PER_10000 / 10_000 * len(where) * plan.years), len(where))
    exploited = sim.needs["child_sexual_exploitation"] | sim.needs["child_criminal_exploitation"]
    score = 10.0 * sim.needs["going_missing"] + 5.0 * exploited + sim.risk + rng.normal(0.0, 0.5, len(p.age))
    missing = where[top(score[where], wanted)]
    extra = max(round((MISSING_EPISODES_PER_CHILD - 1) * wanted) - scripted, 0)
    weight = rng.gamma(MISSING_EPISODE_SHAPE, 1.0, wanted)
    episodes = 1 + (rng.multinomial(extra, weight / weight.sum()) if wanted else np.zeros(0, np.int64))
    child = np.repeat(missing, episodes)
    period_start = np.datetime64(plan.period_start, "D")
    onset = sim.onset[child]
    first = np.where(np.isnat(onset) | (onset < period_start), period_start, onset)
    time = moments(rng, first, end, len(child), HOUR_WEIGHTS)
    incident = book.add("missing_person", time, np.zeros(len(child), bool), pop.household_postcode[p.household[child]])
    book.involve(incident, child, "missing_person")


def _background(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation, book: _Incidents, end: np.datetime64
) -> None:
    """Assaults, sexual offences, drug offences and anti-social behaviour among the residents (KINDS)."""
    p = pop.people
    resident = p.resident
    period_start = np.array([np.datetime64(plan.period_start, "D")])
    n_postcodes = len(plan.postcodes.postcode)
    home = pop.household_postcode[p.household]
    for kind in KINDS:
        n = int(rng.poisson(kind.per_1000 * int(resident.sum()) / 1000 * plan.years))
        time = moments(rng, period_start, end, n, HOUR_WEIGHTS)
        victim = (
            _draw(rng, resident * kind.victim.weights(p.age, p.female, sim.risk), n)
            if kind.victim
            else np.full(n, -1, np.int64)
        )
        suspect = _draw(rng, resident * kind.suspect.weights(p.age, p.female, sim.risk), n)
        suspect[(rng.random(n) >= kind.suspect_known) | (suspect == victim)] = -1
        witness = _draw(rng, resident * CALLER.weights(p.age, p.female, sim.risk), n)
        witness[(rng.random(n) >= kind.witness) | (witness == victim) | (witness == suspect)] = -1
        anchor = np.where(victim >= 0, victim, np.where(suspect >= 0, suspect, witness))
        at_home = (rng.random(n) < kind.at_home) & (anchor >= 0)
        location = np.where(at_home, home[np.maximum(anchor, 0)], rng.integers(0, n_postcodes, n))
        incident = book.add(kind.name, time, np.full(n, kind.crime), location)
        book.involve(incident, victim, "victim")
        book.involve(incident, suspect, "suspect", kind.crime & (rng.random(n) < kind.arrest))
        book.involve(incident, witness, "witness")


def _needs(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    book: _Incidents,
    end: np.datetime64,
) -> None:
    """Incidents children's needs bring to the police, after the need began."""
    p = pop.people
    start, partner = pop.household_head, pop.household_partner
    period_start = np.datetime64(plan.period_start, "D")
    home = pop.household_postcode[p.household]
    n_postcodes = len(plan.postcodes.postcode)

    def episodes(need: str, per_year: float) -> NDArray[np.int64]:
        """Children with the need, repeated once per incident (Poisson over the period)."""
        rows = np.flatnonzero(sim.needs[need])
        return np.repeat(rows, rng.poisson(per_year * plan.years, len(rows)))

    def when(rows: NDArray[np.int64]) -> NDArray[np.datetime64]:
        onset = sim.onset[rows]
        first = np.where(np.isnat(onset) | (onset < period_start), period_start, onset)
        return moments(rng, first, end, len(rows), HOUR_WEIGHTS)

    # physical abuse: an assault by the head of the household (or the head's partner when the head is the child's
    # other parent at home and a man), at home
    child = episodes("physical_abuse", PHYSICAL_ABUSE_REPORTED)
    hh = p.household[child]
    head, other = start[hh], partner[hh]
    by_partner = (other >= 0) & ~p.female[np.maximum(other, 0)] & (rng.random(len(child)) < 0.5)
    suspect = np.where(by_partner, other, head)
    suspect[suspect == child] = -1
    incident = book.add("assault", when(child), np.ones(len(child), bool), home[child])
    book.involve(incident, child, "victim")
    book.involve(incident, suspect, "suspect", rng.random(len(child)) < 0.5)

    # sexual abuse: a man at home is the suspect when there is one, else nobody identified
    child = episodes("sexual_abuse", SEXUAL_ABUSE_REPORTED)
    hh = p.household[child]
    head, other = start[hh], partner[hh]
    suspect = np.where(~p.female[head], head, np.where((other >= 0) & ~p.female[np.maximum(other, 0)], other, -1))
    suspect[suspect == child] = -1
    incident = book.add("sexual_offence", when(child), np.ones(len(child), bool), home[child])
    book.involve(incident, child, "victim")
    book.involve(incident, suspect, "suspect", rng.random(len(child)) < 0.4)

    # sexual exploitation: offences away from home; the abuser identified now and then, a young man
    child = episodes("child_sexual_exploitation", CSE_OFFENCES)
    weights = p.resident * SEXUAL_OFFENDER.weights(p.age, p.female, sim.risk) * (p.age >= 18) * (p.age < 40)
    suspect = _draw(rng, weights, len(child))
    suspect[rng.random(len(child)) >= 0.3] = -1
    incident = book.add(
        "sexual_offence", when(child), np.ones(len(child), bool), rng.integers(0, n_postcodes, len(child))
    )
    book.involve(incident, child, "victim")
    book.involve(incident, suspect, "suspect", rng.random(len(child)) < 0.5)

    # criminal exploitation: found with drugs anywhere in the area (county lines), usually arrested
    child = episodes("child_criminal_exploitation", CCE_DRUG_INCIDENTS)
    incident = book.add("drugs", when(child), np.ones(len(child), bool), rng.integers(0, n_postcodes, len(child)))
    book.involve(incident, child, "suspect", rng.random(len(child)) < CCE_ARREST)


def _pnc_years(
    rng: np.random.Generator, arrest_day: NDArray[np.datetime64], dob: NDArray[np.datetime64]
) -> NDArray[np.int64]:
    """Year of first arrest: the arrest's year or a few years before (exponential, mean 3), never before 10."""
    year = arrest_day.astype("datetime64[Y]").astype(np.int64) + 1970
    earliest = dob.astype("datetime64[Y]").astype(np.int64) + 1970 + 10
    back = np.floor(rng.exponential(3.0, len(year))).astype(np.int64)
    result: NDArray[np.int64] = year - np.minimum(back, np.maximum(year - earliest, 0))
    return result


def police_tables(
    plan: Plan, pop: Population, sim: Simulation, scripted: Sequence[ScriptedIncident] = ()
) -> PoliceTables:
    """The shard's incidents, who was in them, and the force's nominal records; deterministic in (plan, pop, sim).

    persons.table's `record_id` is the police person id: incident_persons refers to it as `police_person_id`.
    `scripted` incidents (planted storylines) are added after the simulated ones.
    """
    rng = shard_stream(plan.seed, pop.shard, "police")
    p = pop.people
    end = np.datetime64(plan.period_end + dt.timedelta(days=1), "D")
    book = _Incidents()
    _domestic_abuse(rng, plan, pop, sim, book, end)
    scripted_missing = sum(part == "missing_person" for item in scripted for part in item.role)
    _missing(rng, plan, pop, sim, book, end, scripted_missing)
    _background(rng, plan, pop, sim, book, end)
    _needs(rng, plan, pop, sim, book, end)
    scripted_at = np.zeros(len(scripted), np.int64)
    for index, item in enumerate(scripted):  # a handful, one block each
        dash = None if item.dash < 0 else np.array([item.dash], np.int64)
        time = np.array([item.occurred_at], "datetime64[s]")
        at = book.add(item.incident_type, time, np.array([item.crime]), np.array([item.location], np.int64), dash)
        scripted_at[index] = at[0]
        for who, part, held in zip(item.person, item.role, item.arrested, strict=True):
            book.involve(at, np.array([who], np.int64), part, np.array([held]))

    # incidents, in incident-id order (a shuffle)
    n_inc = book.count
    inc_key = record_ids(plan.record_key, TABLE_CODES["police/incidents"], pop.shard, n_inc)
    inc_ids = format_record_ids(inc_key)
    order = np.argsort(inc_key)
    time = np.concatenate(book.time)
    dash = np.concatenate(book.dash)
    incidents = pa.table(
        {
            "incident_id": inc_ids.take(pa.array(order)),
            "occurred_at": pa.array(time[order], pa.timestamp("s")),
            "incident_type": pa.array(INCIDENT_TYPES, pa.string()).take(pa.array(np.concatenate(book.kind)[order])),
            "crime": pa.array(np.concatenate(book.crime)[order]),
            "dash_risk": pa.array(DASH_LEVELS, pa.string()).take(pa.array(dash[order], mask=dash[order] < 0)),
            "location_postcode": pa.array(plan.postcodes.postcode[np.concatenate(book.location)[order]], pa.string()),
        }
    )

    # involvements, grouped by incident in incident-id order
    incident = np.concatenate(book.incident)
    person = np.concatenate(book.person)
    role = np.concatenate(book.role)
    arrested = np.concatenate(book.arrested)
    order = np.lexsort((role, inc_key[incident]))
    incident, person, role, arrested = incident[order], person[order], role[order], arrested[order]

    # one nominal per person
    rows, nominal = np.unique(person, return_inverse=True)
    key = record_ids(plan.record_key, TABLE_CODES["police/persons"], pop.shard, len(rows))
    ids = format_record_ids(key)
    seconds = time[incident].astype(np.int64)
    first_seen = np.full(len(rows), np.iinfo(np.int64).max)
    np.minimum.at(first_seen, nominal, seconds)
    arrest_at = np.full(len(rows), np.iinfo(np.int64).max)
    np.minimum.at(arrest_at, nominal[arrested], seconds[arrested])
    was_arrested = arrest_at < np.iinfo(np.int64).max
    dob = p.date_of_birth[rows]
    age = age_on(dob, first_seen.astype("datetime64[s]"))
    arrested_rows = np.flatnonzero(was_arrested)
    years = _pnc_years(rng, arrest_at[arrested_rows].astype("datetime64[s]"), dob[arrested_rows])
    pnc = np.full(len(rows), None, dtype=object)
    pnc[arrested_rows] = identifiers.allocate_pnc_ids(rng, years, pop.shard, plan.shards)

    # names as the person gives them; the data-quality model adds the name a person is known by, mishearings and
    # "age only" nominals (quality_rates.csv), and logs each
    table = pa.table(
        {
            "record_id": ids,
            **name_columns(pop, p, rows),
            "date_of_birth": pa.array(dob, pa.date32()),
            "age": pa.array(age, pa.int32()),
            "sex": pc.if_else(pa.array(p.female[rows]), "Female", "Male"),
            **address_columns(plan, pop, p.household[rows]),
            "pnc_id": pa.array(pnc, pa.string()),
        }
    )
    incident_persons = pa.table(
        {
            "incident_id": inc_ids.take(pa.array(incident)),
            "police_person_id": ids.take(pa.array(nominal)),
            "role": pa.array(PERSON_ROLES, pa.string()).take(pa.array(role)),
        }
    )
    return PoliceTables(
        incidents=incidents,
        incident_persons=incident_persons,
        persons=AgencyTable("police", "persons", table, key, p.person_id[rows]),
        incident_person_id=person,
        scripted_incident_ids=inc_ids.take(pa.array(scripted_at)),
    )


def produce(ctx: Context) -> Produced:
    """The force's incidents, who was in each, and its nominal records. A role is dated by its incident (the
    shard drops roles dated after their person's death) and carries the incident's type and time for the
    safeguarding-signal rules, which read a role by its incident."""
    script = ctx.script
    force = police_tables(ctx.plan, ctx.pop, ctx.sim, script.scripted_incidents() if script else ())
    if script:
        script.police_records(force.scripted_incident_ids)
    incident_ids = force.incidents.column("incident_id").combine_chunks()
    incident_key = parse_record_ids(incident_ids)
    incident = pa.array(pc.index_in(force.incident_persons.column("incident_id"), value_set=incident_ids))
    day = signals.days(force.incidents.column("occurred_at").combine_chunks().take(incident))
    kind = force.incidents.column("incident_type").combine_chunks().take(incident)
    roles = AgencyTable(
        "police",
        "incident_persons",
        force.incident_persons,
        incident_key[incident.to_numpy()],
        ctx.pop.people.person_id[force.incident_person_id],
        day=day,
        context=pa.table({"incident_type": kind, "occurred_at": pa.array(day, pa.date32())}),
    )
    return Produced(
        persons=(PersonRecords(force.persons),),
        events=(roles,),
        others=(Keyed("agencies/police/incidents", force.incidents, incident_key),),
    )


def first_met_days(ctx: Context) -> NDArray[np.int64] | None:
    """The day of the period the police first met each person of the shard (-1: never), from the roles they
    were alive for, for the notifications the police send children's services; None without police."""
    roles = ctx.made.get("agencies/police/incident_persons")
    if roles is None or roles.day is None:
        return None
    never = np.iinfo(np.int64).max
    met = np.full(len(ctx.pop.people.person_id), never)
    np.minimum.at(met, roles.person_id - ctx.pop.shard * ID_STRIDE, ctx.period_day(roles.day))
    met[met == never] = -1
    return met
