"""Where households live: a house number in one of the shard's postcodes, the address before, moves in the year.

Addresses matter to linkage because agencies hold them at different moments: an agency that was not told of a
move still holds the old address (the data-quality model's stale addresses). Streets and house numbers are
fictional; the postcodes are real ones of the scenario's area (ONS Postcode Directory). A street runs along
consecutive postcodes (synthgen.scenario.places) and its numbers run on from one postcode to the next, each
postcode covering its stretch of about 15 numbers; the households of a postcode (and those moving into it) take
distinct numbers spread along that stretch, so numbers reach the hundreds on a long road, as they do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.arrays import first_of_runs, rank_within
from synthgen.kernel.rng import shard_stream
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan


@dataclass(frozen=True)
class Addresses:
    """Where each household lives: at the start, at the end (after any move during the period), and before.

    Address ids: a household's start address has the household's id; an address moved into during the period
    gets an id of its own (shard * ID_STRIDE + 9,000,000 + n)."""

    start_postcode: NDArray[np.int64]
    start_number: NDArray[np.int64]
    postcode: NDArray[np.int64]  # at the end of the period
    number: NDArray[np.int64]
    address_id: NDArray[np.int64]  # at the end of the period
    moved_on: NDArray[np.datetime64]  # the day of a move within the area during the period, NaT for none
    previous_postcode: NDArray[np.int64]  # the address before (a move before or during the period), -1 for none
    previous_number: NDArray[np.int64]
    previous_address_id: NDArray[np.int64]  # -1 for none


def place_households(
    rng: np.random.Generator,
    params: Parameters,
    plan: Plan,
    shard: int,
    in_area: NDArray[np.bool_],
    household_id: NDArray[np.int64],
    first_new_address_id: int,
) -> tuple[Addresses, NDArray[np.datetime64]]:
    """Each household's addresses, and the day each former resident's household left the area (NaT for
    residents).

    Households that moved in recently left an old address behind, which some agencies still hold; the old address
    is another household's current one, as it is in life. Addresses moved into during the period are numbered
    from `first_new_address_id`."""
    n_hh = len(household_id)
    shard_postcodes = np.flatnonzero(plan.shard_of_postcode == shard)
    postcode = shard_postcodes[rng.integers(0, len(shard_postcodes), n_hh)]
    recent = in_area & (rng.random(n_hh) < params["recent_mover_share"])
    previous = np.full(n_hh, -1)
    previous[recent] = (np.flatnonzero(recent) + rng.integers(1, max(n_hh, 2), int(recent.sum()))) % n_hh
    moved_out = _moved_out(rng, params, plan.period_start, in_area)
    addresses = _moves(plan, shard, in_area, postcode, previous, household_id, first_new_address_id)
    return addresses, moved_out


def _moved_out(
    rng: np.random.Generator, params: Parameters, period_start: dt.date, in_area: NDArray[np.bool_]
) -> NDArray[np.datetime64]:
    """The day each former resident's household left the area, some months or years before the period."""
    start = np.datetime64(period_start, "D")
    fewest, most = int(params["former_resident_left_days_min"]), int(params["former_resident_left_days_max"])
    moved = np.full(len(in_area), np.datetime64("NaT"), dtype="datetime64[D]")
    moved[~in_area] = start - rng.integers(fewest, most, int((~in_area).sum())).astype("timedelta64[D]")
    return moved


def house_numbers(rng: np.random.Generator, plan: Plan, occupied: NDArray[np.int64], shard: int) -> NDArray[np.int64]:
    """A distinct house number on its street for each occupied address (`occupied`: the postcode of each).

    Each postcode covers a stretch of its street's numbers (its planned span, widened to hold its occupants);
    the stretches follow one another along the street from 1. Occupants of a postcode are spread evenly over its
    stretch, each at a random place within its share, so numbers leave gaps where the homes of people outside
    the run would be. Every street lies in one shard (synthgen.scenario.places), so a shard numbers whole streets.
    """
    places = plan.places
    in_shard = plan.shard_of_postcode == shard
    occupants = np.bincount(occupied, minlength=len(places.span))
    covers = np.where(in_shard, np.maximum(places.span, occupants), 0)
    ends = np.cumsum(covers)
    street_start = first_of_runs(places.street)
    before = ends - covers
    first = 1 + before - np.maximum.accumulate(np.where(street_start, before, 0))
    place = rank_within(occupied, rng.random(len(occupied)))
    step = covers[occupied] // np.maximum(occupants[occupied], 1)
    result: NDArray[np.int64] = first[occupied] + place * step + (rng.random(len(occupied)) * step).astype(np.int64)
    return result


def _moves(
    plan: Plan,
    shard: int,
    in_area: NDArray[np.bool_],
    postcode: NDArray[np.int64],
    previous: NDArray[np.int64],
    household_id: NDArray[np.int64],
    first_new_address_id: int,
) -> Addresses:
    """Moves within the area during the period (own stream, so the rest of the population is unchanged by them),
    and the house numbers of every address, those moved into too (a stream of their own).

    A household that moves leaves its start address behind as its previous address, which agencies that were not
    told still hold (the data-quality model's stale addresses); households that moved in before the period left
    another household's current address behind."""
    rng = shard_stream(plan.seed, shard, "moves")
    params = plan.params
    n = len(postcode)
    movers = np.flatnonzero(in_area & (rng.random(n) < params["in_period_move_share"] * plan.days / 365.25))
    shard_postcodes = np.flatnonzero(plan.shard_of_postcode == shard)
    destination = shard_postcodes[rng.integers(0, len(shard_postcodes), len(movers))]
    # every address is numbered at once, so no two households share one (new homes beside the old)
    numbers = house_numbers(shard_stream(plan.seed, shard, "house-numbers"), plan, np.r_[postcode, destination], shard)
    number, new_number = numbers[:n], numbers[n:]
    end_postcode, end_number = postcode.copy(), number.copy()
    end_postcode[movers], end_number[movers] = destination, new_number
    address_id = household_id.copy()
    address_id[movers] = first_new_address_id + np.arange(len(movers))
    moved_on = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    moved_on[movers] = np.datetime64(plan.period_start, "D") + rng.integers(1, plan.days, len(movers)).astype(
        "timedelta64[D]"
    )
    had = previous >= 0
    previous_postcode = np.where(had, postcode[np.maximum(previous, 0)], -1)
    previous_number = np.where(had, number[np.maximum(previous, 0)], -1)
    previous_id = np.where(had, household_id[np.maximum(previous, 0)], -1)
    previous_postcode[movers], previous_number[movers], previous_id[movers] = (
        postcode[movers],
        number[movers],
        household_id[movers],
    )
    return Addresses(
        start_postcode=postcode,
        start_number=number,
        postcode=end_postcode,
        number=end_number,
        address_id=address_id,
        moved_on=moved_on,
        previous_postcode=previous_postcode,
        previous_number=previous_number,
        previous_address_id=previous_id,
    )
