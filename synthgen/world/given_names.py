"""Given and middle names: drawn from the pool of a person's naming tradition, sex and birth decade; children's
from their parents' traditions, full siblings never sharing one, twins often named alike.

An adult's tradition is their birth surname's (synthgen.world.names). Parents choose their children's names, so a
child's tradition is its mother's or its father's (the absent father's where he is not at home): a family's names
follow one tradition or two, never a third (no Polish, Italian and Spanish children under a Hungarian surname).
Parents do not give a child the name of a child already living with them: a sibling at home (full or half) who
drew an elder's name draws again, so siblings share a name only where they grew up apart, which a run does not
hold. Twins are named as a
pair: often alike (the same initial: Ella and Emma), never the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.kernel import arrays
from synthgen.reference import NamePool, Parameters

DECADE_KEY = 3000
"""Keys of forename pools: (tradition * 2 + female) * DECADE_KEY + birth decade."""
ROUNDS = 12
"""Draws at most a sibling makes before its name is taken from the whole group's pool (a tradition's pool of one
sex can be small: a few names)."""
TWIN_CANDIDATES = 40
"""Names drawn for a twin to be named alike, of which the first that shares its twin's initial is taken."""


@cache
def forename_vocabulary() -> tuple[str, ...]:
    """Every forename of every pool, sorted: the shard's given and middle names are indices into it."""
    return tuple(sorted({name for pool in reference.forename_pools().values() for name in pool.names}))


@cache
def _index() -> dict[str, int]:
    return {name: i for i, name in enumerate(forename_vocabulary())}


@cache
def tradition_pool(
    tradition: int, female: bool, decade: int, whole_group: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The forenames (codes into forename_vocabulary) of one tradition, sex and birth decade, with their cumulative
    shares (arrays.cumulative_shares): the group's pool for the decade, keeping the tradition's names (the whole
    group's with `whole_group`)."""
    group, name = reference.name_traditions().traditions[tradition]
    pool: NamePool = reference.forename_pool(group, "F" if female else "M", decade)
    known = reference.name_traditions()
    keep = np.array([whole_group or known.belongs(group, "given", n, name) for n in pool.names])
    if not keep.any():  # a tradition with no names of this sex: the group's
        keep[:] = True
    index = _index()
    codes = np.array([index[n] for n in pool.names])[keep]
    weights = pool.weights[keep]
    return codes, arrays.cumulative_shares(weights / weights.sum())


def pool_keys(
    tradition: NDArray[np.int64], female: NDArray[np.bool_], dob: NDArray[np.datetime64]
) -> NDArray[np.int64]:
    """Each person's forename pool, as a key: tradition, sex and birth decade."""
    decade = np.clip((dob.astype("datetime64[Y]").astype(np.int64) + 1970) // 10 * 10, 1920, 2020)
    result: NDArray[np.int64] = (tradition * 2 + female) * DECADE_KEY + decade
    return result


def _draw(
    rng: np.random.Generator, keys: NDArray[np.int64], columns: int, whole_group: bool = False
) -> NDArray[np.int64]:
    """`columns` independent draws for each key's pool: a (len(keys), columns) matrix of forename codes."""
    result = np.empty((len(keys), columns), np.int64)
    if not len(keys):
        return result
    order = np.argsort(keys, kind="stable")
    found, starts = np.unique(keys[order], return_index=True)
    for k, where in zip(found.tolist(), np.split(order, starts[1:]), strict=True):
        tradition, female, decade = k // DECADE_KEY // 2, bool((k // DECADE_KEY) % 2), k % DECADE_KEY
        codes, cumulative = tradition_pool(tradition, female, decade, whole_group)
        result[where] = codes[arrays.choice_by_cumulative(rng, cumulative, (len(where), columns))]
    return result


def draw_one(rng: np.random.Generator, keys: NDArray[np.int64], whole_group: bool = False) -> NDArray[np.int64]:
    """A given name from each key's pool (from its whole group's, with `whole_group`)."""
    result: NDArray[np.int64] = _draw(rng, keys, 1, whole_group)[:, 0]
    return result


def draw_forenames(
    rng: np.random.Generator,
    params: Parameters,
    tradition: NDArray[np.int64],
    female: NDArray[np.bool_],
    dob: NDArray[np.datetime64],
) -> tuple[tuple[str, ...], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Given and middle names: draws from the pool of each person's tradition, sex and birth decade."""
    draws = _draw(rng, pool_keys(tradition, female, dob), 3)
    given = draws[:, 0].copy()
    u = rng.random(len(given))
    middle_1 = np.where(u < params["middle_name_share"], draws[:, 1], -1)
    middle_2 = np.where(u < params["two_middle_names_share"], draws[:, 2], -1)
    middle_1 = np.where(middle_1 == given, -1, middle_1)
    middle_2 = np.where((middle_2 == given) | (middle_2 == middle_1) | (middle_1 < 0), -1, middle_2)
    return forename_vocabulary(), given, middle_1, middle_2


@dataclass(frozen=True)
class Siblings:
    """Children as the naming sees them: their rows and their household (children of one household are brothers
    and sisters, full or half), in birth order within it."""

    rows: NDArray[np.int64]
    family: NDArray[np.int64]  # per child: its household
    fixed: NDArray[np.bool_]  # per child: a name not to be redrawn (a son named after his father)


def child_traditions(
    rng: np.random.Generator,
    parents: tuple[NDArray[np.int64], NDArray[np.int64]],
    tradition: NDArray[np.int64],
    otherwise: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Each child's tradition: its mother's or its father's at even chances (`parents`: the rows of each child's
    own mother and father at home, -1 where absent); where one is absent, `otherwise` stands for them (the
    tradition of the absent father's surname, or one drawn for the child's ethnicity)."""
    mother, father = parents
    mothers = np.where(mother >= 0, tradition[np.maximum(mother, 0)], otherwise)
    fathers = np.where(father >= 0, tradition[np.maximum(father, 0)], otherwise)
    result: NDArray[np.int64] = np.where(rng.random(len(mother)) < 0.5, mothers, fathers)
    return result


def _duplicates(family: NDArray[np.int64], given: NDArray[np.int64], fixed: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Positions (into the family arrays) of children whose given name an elder sibling (or one whose name is
    fixed) already has: the ones to draw again."""
    order = np.lexsort((np.arange(len(family)), ~fixed, given, family))
    pair = np.r_[False, (family[order][1:] == family[order][:-1]) & (given[order][1:] == given[order][:-1])]
    result: NDArray[np.int64] = order[pair & ~fixed[order]]
    return result


def distinct_siblings(
    rng: np.random.Generator,
    siblings: Siblings,
    given: NDArray[np.int64],
    keys: NDArray[np.int64],
) -> None:
    """Draw again, in place, the given name of every sibling who shares an elder's (or a fixed) one, from their own
    pool (`keys`, per person), then from their group's, until no two siblings at home share a name."""
    rows = siblings.rows
    for attempt in range(4 * ROUNDS):
        again = _duplicates(siblings.family, given[rows], siblings.fixed)
        if not len(again):
            return
        given[rows[again]] = draw_one(rng, keys[rows[again]], whole_group=attempt >= ROUNDS)


def twins_alike(
    rng: np.random.Generator,
    params: Parameters,
    first: NDArray[np.int64],
    second: NDArray[np.int64],
    given: NDArray[np.int64],
    keys: NDArray[np.int64],
) -> None:
    """Name some second-born twins (rows `second`, twin of `first`) alike their twin, in place: a name of their
    own pool with the same initial and not the same name (twin_names_alike_share of pairs, where the pool has
    one)."""
    chosen = rng.random(len(second)) < params["twin_names_alike_share"]
    first, second = first[chosen], second[chosen]
    if not len(second):
        return
    vocab = np.asarray(forename_vocabulary())
    initial = np.char.ljust(vocab, 1).astype("U1")
    candidates = _draw(rng, keys[second], TWIN_CANDIDATES)
    fits = (initial[candidates] == initial[given[first]][:, None]) & (candidates != given[first][:, None])
    found = fits.any(axis=1)
    pick = np.argmax(fits, axis=1)
    given[second[found]] = candidates[np.flatnonzero(found), pick[found]]
