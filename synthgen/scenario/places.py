"""The area's places, fixed once for the run: post towns, streets, neighbourhood deprivation, and the GP
practices and schools people register at, sized as England's are.

Streets run along consecutive postcodes of a postcode sector (a postcode is a stretch of one street, about 15
addresses), so a long road spans several postcodes and its house numbers run on from one to the next; every
street lies in one shard, so the shard that houses its people can number the whole street. Practices and schools
have sizes drawn from the published spread around the published mean, and their number follows the area's people
(and, for schools, its children of each phase).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.kernel.arrays import first_of_runs
from synthgen.reference import AgePyramid, Parameters, Postcodes, local

SCHOOLS_PER_PHASE = 1999
"""Establishment numbers an LA has per phase; a larger population than that many schools serve gets larger schools."""
PRACTICE_CODES = 90_000
"""GP practice codes an area has (a letter and five digits); a population larger than that many practices serve
gets longer lists."""
PHASE_AGES = {"primary": (4, 10), "secondary": (11, 15)}
"""Ages at the start of the school year of the register's year groups: reception to Year 6, Years 7 to 11."""


@dataclass(frozen=True)
class Services:
    """Places people are registered at (GP practices, schools): one row per place, in columns."""

    code: NDArray[np.str_]  # ODS code for practices, URN for schools
    name: NDArray[np.str_]
    kind: NDArray[np.str_]  # 'practice', 'primary', 'secondary'
    establishment: NDArray[np.int64]  # DfE establishment number (schools); 0 for practices
    postcode_index: NDArray[np.int64]  # into Plan.postcodes
    size: NDArray[np.float64]  # relative size (mean 1 within a kind): how many register there, other things equal


@dataclass(frozen=True)
class Streets:
    """Each postcode's street (a name and an id: streets are runs of consecutive postcodes of one sector), how many
    house numbers the postcode covers, and the national IMD decile of its neighbourhood."""

    name: NDArray[np.str_]
    street: NDArray[np.int64]
    span: NDArray[np.int64]
    decile: NDArray[np.int64]


def post_towns(postcodes: Postcodes, la_name: str) -> NDArray[np.str_]:
    """The post town of each postcode: its postcode district's (Wikipedia's list), else its area's, else the
    authority's name."""
    outwards, outward_of = np.unique(postcodes.outward, return_inverse=True)
    towns = [local.post_town(str(code)) or la_name for code in outwards]
    result: NDArray[np.str_] = np.array(towns, dtype=str)[outward_of] if len(towns) else np.array([], dtype=str)
    return result


def _sample(rng: np.random.Generator, pool: reference.NamePool, n: int) -> NDArray[np.str_]:
    return np.array(pool.names)[rng.choice(len(pool.names), size=n, p=pool.weights)]


def _street_names(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct street names (reused once every combination of stem and type has been used)."""
    stems, types = reference.street_parts()
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        batch = np.char.add(np.char.add(_sample(rng, stems, 4 * count), " "), _sample(rng, types, 4 * count))
        fresh = [name for name in dict.fromkeys(batch.tolist()) if name not in seen]
        if not fresh:  # every combination used: reuse names, as long districts do
            fresh = batch.tolist()
        names.extend(fresh[: count - len(names)])
        seen.update(fresh)
    return names


def streets(
    rng: np.random.Generator, params: Parameters, postcodes: Postcodes, deciles: NDArray[np.float64]
) -> Streets:
    """Streets over the sorted postcodes: a new street at each postcode sector and otherwise with chance
    1 / street_postcodes_mean, each postcode covering a lognormal number of addresses (about 15); distinct names
    within an outward code. Each neighbourhood (a run of about neighbourhood_postcodes postcodes, the size of a
    small area of the indices) takes a national deprivation decile in the authority's proportions."""
    n = len(postcodes.postcode)
    inward = np.char.partition(postcodes.postcode, " ")[:, 2] if n else postcodes.postcode
    sector = np.char.add(postcodes.outward, inward.astype("U1"))  # 'S60 1AA' -> 'S601'
    breaks = first_of_runs(sector) | (rng.random(n) < 1.0 / params["street_postcodes_mean"])
    street = np.cumsum(breaks) - 1
    median, sigma = params["addresses_per_postcode_median"], params["addresses_per_postcode_sigma"]
    span = np.clip(np.round(np.exp(rng.normal(math.log(median), sigma, n))), 1, 200).astype(np.int64)
    names = np.empty(n, dtype=object)
    first = np.flatnonzero(breaks)
    for outward in np.unique(postcodes.outward):
        starts = first[postcodes.outward[first] == outward]
        for start, name in zip(starts, _street_names(rng, len(starts)), strict=True):
            names[start] = name
    names = names[first[street]] if n else names
    # neighbourhoods: runs of postcodes in one outward code, each with its decile
    hood = np.cumsum(first_of_runs(postcodes.outward) | (np.arange(n) % int(params["neighbourhood_postcodes"]) == 0))
    hood_decile = 1 + rng.choice(10, size=int(hood[-1]) + 1 if n else 0, p=deciles / deciles.sum())
    return Streets(names.astype(str), street.astype(np.int64), span, hood_decile[hood].astype(np.int64))


def shard_of_postcode(rng: np.random.Generator, street: NDArray[np.int64], shards: int) -> NDArray[np.int64]:
    """Each postcode's shard: whole streets, in a random order, filling the shards with about equal numbers of
    postcodes (postcode by postcode, should whole streets leave a shard with none)."""
    n = len(street)
    count = np.bincount(street) if n else np.zeros(0, np.int64)
    order = rng.permutation(len(count))
    before = np.cumsum(count[order]) - count[order]
    by_street = np.empty(len(count), np.int64)
    by_street[order] = before * shards // max(n, 1)
    result: NDArray[np.int64] = by_street[street] if n else np.zeros(0, np.int64)
    if n >= shards and len(np.unique(result)) < shards:
        result = np.empty(n, np.int64)
        result[rng.permutation(n)] = np.arange(n) % shards
    return result


def _sizes(rng: np.random.Generator, sigma: float, count: int) -> NDArray[np.float64]:
    """Relative sizes with mean 1: lognormal with the given sigma."""
    sizes = np.exp(rng.normal(0.0, sigma, count))
    result: NDArray[np.float64] = sizes / sizes.mean()
    return result


def services(
    rng: np.random.Generator,
    kind: str,
    count: int,
    postcodes: Postcodes,
    names: NDArray[np.str_],
    region: str,
    sigma: float,
) -> Services:
    """`count` places of one kind at random postcodes of the area, named for their street, with lognormal sizes."""
    where = rng.choice(len(postcodes.postcode), size=count, replace=count > len(postcodes.postcode))
    stems = np.array([street.rsplit(" ", 1)[0] for street in names[where]])
    if kind == "practice":
        letter = "BCDEFGHJKLMNPY"[sum(map(ord, region)) % 14]
        numbers = rng.choice(PRACTICE_CODES, size=count, replace=False) + 10_000
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
    return Services(
        code=codes.astype(str),
        name=np.char.add(np.char.add(stems, " "), suffix).astype(str),
        kind=np.full(count, kind),
        establishment=establishment.astype(np.int64),
        postcode_index=where.astype(np.int64),
        size=_sizes(rng, sigma, count),
    )


def concatenated(parts: Iterable[Services]) -> Services:
    """One table of places from several (each kind's), in order."""
    parts = list(parts)
    return Services(*(np.concatenate([getattr(part, f) for part in parts]) for f in Services.__dataclass_fields__))


def practice_count(params: Parameters, people: int) -> int:
    """GP practices for the area: its registered patients (residents less the unregistered, plus former residents
    still listed and the year's babies) over England's mean list size, and no more than there are codes."""
    registered = people * (
        1 - params["not_gp_registered_share"] + params["former_resident_share"] + params["birth_rate"]
    )
    return min(PRACTICE_CODES, max(1, round(registered / params["gp_list_size_mean"])))


def school_count(params: Parameters, people: int, ages: AgePyramid, phase: str) -> int:
    """Schools of a phase for the area: its state-school pupils of the phase's ages over England's mean school
    size (of the register's year groups)."""
    lo, hi = PHASE_AGES[phase]
    state = 1 - params["independent_school_share"] - params["home_educated_share"]
    pupils = people * float(ages.shares[lo : hi + 1].sum()) * state
    return min(SCHOOLS_PER_PHASE, max(1, round(pupils / params[f"{phase}_school_pupils_mean"])))
