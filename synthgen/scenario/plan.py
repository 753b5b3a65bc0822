"""From what the user wrote (a Scenario) to what the program runs (a Plan).

The plan fixes everything that must be the same for every shard and every number of workers: the shard sizes,
the area's postcodes and streets, the GP practices and schools, and which part of each identifier space each
shard draws from. Shards then work independently from the plan alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.kernel import identifiers
from synthgen.kernel.rng import run_key, run_stream
from synthgen.reference import LocalAuthority, Parameters, Postcodes
from synthgen.scenario.schema import Scenario

SHARD_PEOPLE = 50_000
"""Residents per shard: small enough to bound a worker's memory, large enough to amortise the fixed costs."""

MAX_PEOPLE_PER_POSTCODE = 250
SCHOOLS_PER_PHASE = 1999
"""Establishment numbers an LA has per phase; a larger population than that many schools serve gets larger schools."""
NHS_RANGES = {"test": identifiers.NHS_TEST_BASES, "unallocated": identifiers.NHS_UNALLOCATED_BASES}


@dataclass(frozen=True)
class Services:
    """Places people are registered at (GP practices, schools): one row per place, in columns."""

    code: NDArray[np.str_]  # ODS code for practices, URN for schools
    name: NDArray[np.str_]
    kind: NDArray[np.str_]  # 'practice', 'primary', 'secondary'
    establishment: NDArray[np.int64]  # DfE establishment number (schools); 0 for practices
    postcode_index: NDArray[np.int64]  # into Plan.postcodes


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    scenario_sha256: str
    seed: int
    la: LocalAuthority
    period_start: dt.date
    period_end: dt.date
    shard_people: tuple[int, ...]
    postcodes: Postcodes
    streets: NDArray[np.str_]  # the street of each postcode
    towns: NDArray[np.str_]  # the post town of each postcode
    shard_of_postcode: NDArray[np.int64]
    practices: Services
    schools: Services
    nhs_bases: tuple[int, int]
    record_key: int
    params: Parameters
    """The model's numbers for this run: the defaults with the scenario's `rates` on top."""

    @property
    def shards(self) -> int:
        return len(self.shard_people)

    @property
    def people(self) -> int:
        return sum(self.shard_people)

    @property
    def days(self) -> int:
        """Days in the period, both ends included."""
        return (self.period_end - self.period_start).days + 1

    @property
    def years(self) -> float:
        return self.days / 365.25


def scenario_sha256(scenario: Scenario) -> str:
    """A fingerprint of everything that shapes the output (the resolved scenario, not its comments)."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def spare_nhs_numbers(people: int, params: Parameters, days: int) -> int:
    """NHS numbers a shard of `people` holds beyond one a person: for duplicate registrations made afresh
    (`spare_nhs_number_share`) and for the babies born in the period.

    The share was sized for a year's births as well as the duplicates; a longer period (or a higher birth rate) gets
    the births beyond half of it on top, so that a three-year period has numbers for three years of babies (a
    year's period is allocated exactly as before)."""
    spare = int(people * params["spare_nhs_number_share"]) + 16
    births = math.ceil(params["birth_rate"] * people * max(days, 366) / 365.25)
    return spare + max(0, births - (int(people * params["spare_nhs_number_share"]) // 2 + 16))


def split_people(people: int) -> tuple[int, ...]:
    """Equal shards of about SHARD_PEOPLE residents (sizes differ by at most one)."""
    count = max(1, math.ceil(people / SHARD_PEOPLE))
    base, extra = divmod(people, count)
    return tuple(base + (1 if i < extra else 0) for i in range(count))


def cross_checks(scenario: Scenario) -> list[tuple[str, str]]:
    """Problems that only show when sections are read together: (dotted path, message)."""
    problems = []
    people = scenario.population.people
    shards = split_people(people)
    params = Parameters(scenario.rates)
    former = params["former_resident_share"]
    bases = NHS_RANGES[scenario.identifiers.nhs_numbers]
    per_shard = identifiers.nhs_capacity(identifiers.segment(*bases, 0, len(shards)))
    # the babies of a period longer than a year take numbers beyond the share (spare_nhs_numbers)
    days = (scenario.period.end - scenario.period.start).days + 1
    residents = math.ceil(max(shards) * (1 + former))
    births = spare_nhs_numbers(residents, params, days) - (int(residents * params["spare_nhs_number_share"]) + 16)
    share = params["spare_nhs_number_share"] + births / residents
    needed = math.ceil(max(shards) * (1 + former) * (1 + params["spare_nhs_number_share"])) + 80 + births
    if needed > per_shard:
        capacity = int(per_shard * len(shards) / (1 + former) / (1 + share))
        problems.append(
            (
                "identifiers.nhs_numbers",
                f"{scenario.identifiers.nhs_numbers!r} holds NHS numbers for about {capacity:,} people, "
                f"too few for {people:,}; use 'unallocated' for larger runs",
            )
        )
    # only the LA's own postcodes are used, so they are what must hold the people (an outward code can have but
    # one postcode inside the LA and thousands beyond it)
    la = reference.local_authorities()[scenario.area.la_number]
    postcodes = reference.postcodes_in(scenario.area.outward_codes, la)
    if len(postcodes.postcode) and people / len(postcodes.postcode) > MAX_PEOPLE_PER_POSTCODE:
        most = len(postcodes.postcode) * MAX_PEOPLE_PER_POSTCODE
        problems.append(
            (
                "area.outward_codes",
                f"{la.name} has {len(postcodes.postcode):,} postcode{'' if len(postcodes.postcode) == 1 else 's'} "
                f"in these outward codes, room for at most {most:,} people "
                f"({MAX_PEOPLE_PER_POSTCODE} a postcode), not {people:,}; add outward codes",
            )
        )
    if len(postcodes.postcode) < len(shards):
        problems.append(
            ("area.outward_codes", f"needs at least {len(shards)} postcodes of {la.name} for {people:,} people")
        )
    return problems


def _sample(rng: np.random.Generator, pool: reference.NamePool, n: int) -> NDArray[np.str_]:
    return np.array(pool.names)[rng.choice(len(pool.names), size=n, p=pool.weights)]


def _streets(rng: np.random.Generator, postcodes: Postcodes) -> NDArray[np.str_]:
    """A street for every postcode; neighbouring postcodes of a district often share one, as in life."""
    stems, types = reference.street_parts()
    streets = np.empty(len(postcodes.postcode), dtype=object)
    for outward in np.unique(postcodes.outward):
        where = np.flatnonzero(postcodes.outward == outward)
        wanted = max(1, math.ceil(len(where) * 0.6))
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < wanted:
            batch = np.char.add(np.char.add(_sample(rng, stems, 4 * wanted), " "), _sample(rng, types, 4 * wanted))
            fresh = [name for name in dict.fromkeys(batch.tolist()) if name not in seen]
            if not fresh:  # every combination used: reuse names, as long districts do
                fresh = batch.tolist()
            names.extend(fresh[: wanted - len(names)])
            seen.update(fresh)
        streets[where] = np.array(names)[np.arange(len(where)) * wanted // len(where)]
    return streets.astype(str)


def _services(
    rng: np.random.Generator,
    kind: str,
    count: int,
    postcodes: Postcodes,
    streets: NDArray[np.str_],
    region: str,
) -> Services:
    where = rng.choice(len(postcodes.postcode), size=count, replace=count > len(postcodes.postcode))
    stems = np.array([street.rsplit(" ", 1)[0] for street in streets[where]])
    if kind == "practice":
        letter = "BCDEFGHJKLMNPY"[sum(map(ord, region)) % 14]
        numbers = rng.choice(90_000, size=count, replace=False) + 10_000
        codes = np.char.add(letter, numbers.astype(str))
        suffix = np.array(["Surgery", "Medical Centre", "Health Centre", "Medical Practice"])[rng.integers(0, 4, count)]
        establishment = np.zeros(count, dtype=np.int64)
    else:
        codes = (rng.choice(50_000, size=count, replace=False) + 100_000).astype(str)
        # DfE establishment numbers: 2xxx-3xxx primary, 4xxx-5xxx secondary (1,999 each)
        base = 2000 if kind == "primary" else 4000
        establishment = base + 1 + rng.choice(SCHOOLS_PER_PHASE, size=count, replace=False)
        options = ["Primary School", "Primary Academy", "Junior and Infant School"]
        if kind == "secondary":
            options = ["Academy", "High School", "School"]
        suffix = np.array(options)[rng.integers(0, len(options), count)]
    names = np.char.add(np.char.add(stems, " "), suffix)
    return Services(
        code=codes.astype(str),
        name=names.astype(str),
        kind=np.full(count, kind),
        establishment=establishment.astype(np.int64),
        postcode_index=where.astype(np.int64),
    )


def make_plan(scenario: Scenario) -> Plan:
    """Resolve a validated scenario into the plan every shard works from."""
    params = Parameters(scenario.rates)
    la = reference.local_authorities()[scenario.area.la_number]
    postcodes = reference.postcodes_in(scenario.area.outward_codes, la)
    people = scenario.population.people
    shard_people = split_people(people)
    rng = run_stream(scenario.seed, "plan")
    streets = _streets(rng, postcodes)
    towns_by_area = reference.post_towns()
    outwards, outward_of = np.unique(postcodes.outward, return_inverse=True)
    towns = np.array([towns_by_area.get(reference.postcode_area(code), la.name) for code in outwards])[outward_of]
    shard_of_postcode = np.empty(len(postcodes.postcode), dtype=np.int64)
    shard_of_postcode[rng.permutation(len(postcodes.postcode))] = np.arange(len(postcodes.postcode)) % len(shard_people)
    practices = _services(
        rng,
        "practice",
        max(1, round(people / params["people_per_gp_practice"])),
        postcodes,
        streets,
        la.region,
    )
    primaries = _services(
        rng,
        "primary",
        min(SCHOOLS_PER_PHASE, max(1, round(people / params["people_per_primary_school"]))),
        postcodes,
        streets,
        la.region,
    )
    secondaries = _services(
        rng,
        "secondary",
        min(SCHOOLS_PER_PHASE, max(1, round(people / params["people_per_secondary_school"]))),
        postcodes,
        streets,
        la.region,
    )
    schools = Services(
        *(np.concatenate([getattr(primaries, f), getattr(secondaries, f)]) for f in Services.__dataclass_fields__)
    )
    # URNs are one national series: draw them for all schools at once so that none repeats.
    urns = (rng.choice(50_000, size=len(schools.code), replace=False) + 100_000).astype(str)
    schools = Services(urns, schools.name, schools.kind, schools.establishment, schools.postcode_index)
    return Plan(
        scenario=scenario,
        scenario_sha256=scenario_sha256(scenario),
        seed=scenario.seed,
        la=la,
        period_start=scenario.period.start,
        period_end=scenario.period.end,
        shard_people=shard_people,
        postcodes=postcodes,
        streets=streets,
        towns=towns,
        shard_of_postcode=shard_of_postcode,
        practices=practices,
        schools=schools,
        nhs_bases=NHS_RANGES[scenario.identifiers.nhs_numbers],
        record_key=run_key(scenario.seed, "record-ids"),
        params=params,
    )
