"""Names from frequency tables: surnames by naming tradition, and each person's tradition.

A person's name group (english, south_asian_muslim, eastern_european ...) is drawn from their ethnicity
(reference/data/name_groups.csv; the Arab share of "any other ethnic group" is the area's), so that names fit
their heritage without being fixed by it. Within a group, a surname belongs to one tradition or a few (Kowalski is
Polish, Popescu Romanian: reference/data/name_traditions.csv), and the person's tradition is their surname's:
their forenames are then drawn from it (synthgen.world.given_names), so that nobody is Jakub Popescu. Names are
held as indices into a vocabulary (one tuple of strings per shard), so the draws are whole columns; the only loops
run over name pools, never over people.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.kernel import arrays
from synthgen.kernel.arrays import categorical

ARAB = "arab"
OTHER_ETHNIC_GROUP = "OOTH"


def name_groups(rng: np.random.Generator, ethnicity: NDArray[np.int64], arab_share: float) -> NDArray[np.int64]:
    """A name group (index into reference.name_group_ids()) for each person, drawn with the chances of their
    ethnicity; a person of "any other ethnic group" is Arab at the area's Census share (`arab_share`)."""
    matrix = reference.name_group_matrix().copy()
    row = reference.ethnicities().codes.index(OTHER_ETHNIC_GROUP)
    arab = reference.name_group_ids().index(ARAB)
    rest = matrix[row].copy()
    rest[arab] = 0.0
    if rest.sum() > 0:
        matrix[row] = rest / rest.sum() * (1 - arab_share)
        matrix[row, arab] = arab_share
    result: NDArray[np.int64] = categorical(rng, matrix[ethnicity])
    return result


def _feminine(name: str) -> str:
    """The female form of a surname whose ending agrees with sex (Kowalski -> Kowalska), else the name."""
    for form in reference.surname_forms():
        if form.rule == "female_suffix" and name.endswith(form.match):
            return name[: -len(form.match)] + form.replacement
    return name


@dataclass(frozen=True)
class SurnamePools:
    """The shard's surname vocabulary (every pool's names and their feminine forms), each group's pool as codes
    into it with its cumulative shares, and for each name of a pool the running sums of the chances of each tradition
    (index into reference.name_traditions().traditions) that a person carrying it is of: both summed once a process,
    not on every draw of a shard (several thousand names a pool)."""

    vocab: tuple[str, ...]
    codes: dict[str, NDArray[np.int64]]
    cumulative: dict[str, NDArray[np.float64]]
    tradition_cumulative: dict[str, NDArray[np.float64]]


def _tradition_chances(group: str, pool: reference.NamePool) -> NDArray[np.float64]:
    """(pool name, tradition) chances: a name's own traditions, in proportion to each tradition's share of the
    group's surnames (a surname shared by two traditions goes to the larger more often)."""
    known = reference.name_traditions()
    allowed = np.array(
        [[g == group and known.belongs(group, "family", name, t) for g, t in known.traditions] for name in pool.names],
        dtype=np.float64,
    )
    size = (allowed / allowed.sum(axis=1, keepdims=True) * pool.weights[:, None]).sum(axis=0)
    chances = allowed * size[None, :]
    result: NDArray[np.float64] = chances / chances.sum(axis=1, keepdims=True)
    return result


@cache
def surname_pools() -> SurnamePools:
    """The pools laid out over one vocabulary, which holds every form a surname can take (feminine forms and the
    women-only surnames too), so that changing a form is changing an index."""
    pools = reference.surname_pools()
    base = {name for pool in pools.values() for name in pool.names}
    extra = {f.replacement for f in reference.surname_forms()} | {_feminine(name) for name in base}
    vocab = tuple(sorted(base | extra))
    index = {name: i for i, name in enumerate(vocab)}
    codes = {g: np.array([index[name] for name in pool.names]) for g, pool in pools.items()}
    cumulative = {g: arrays.cumulative_shares(pool.weights) for g, pool in pools.items()}
    by_tradition = {g: np.cumsum(_tradition_chances(g, pool), axis=1) for g, pool in pools.items()}
    return SurnamePools(vocab, codes, cumulative, by_tradition)


def surnames_of(
    rng: np.random.Generator, group: NDArray[np.int64], pools: SurnamePools
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """A surname for each person from their name group's pool, and the tradition it makes them of."""
    group_ids = reference.name_group_ids()
    surname = np.empty(len(group), np.int64)
    tradition = np.empty(len(group), np.int64)
    for g in np.unique(group):
        where = np.flatnonzero(group == g)
        name = group_ids[int(g)]
        drawn = arrays.choice_by_cumulative(rng, pools.cumulative[name], len(where))
        surname[where] = pools.codes[name][drawn]
        tradition[where] = arrays.categorical_by_cumulative(rng, pools.tradition_cumulative[name][drawn])
    return surname, tradition


def surnames_like(
    rng: np.random.Generator, ethnicity: NDArray[np.int64], pools: SurnamePools, arab_share: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """A surname (and its tradition) for each person from the pool of a name group drawn for their ethnicity."""
    return surnames_of(rng, name_groups(rng, ethnicity, arab_share), pools)


def sexed_surnames(
    rng: np.random.Generator,
    vocab: tuple[str, ...],
    female: NDArray[np.bool_],
    ethnicity: NDArray[np.int64],
    age: NDArray[np.int64],
    *names: NDArray[np.int64],
) -> tuple[NDArray[np.int64], ...]:
    """Apply the surname forms that depend on sex (reference/data/surname_forms.csv) to women and girls.

    These make a mother's surname differ from her husband's and children's for reasons a linker must know:
    Kowalska beside Kowalski, Kaur beside Singh, Begum beside Miah.
    """
    index = {name: i for i, name in enumerate(vocab)}
    feminine = np.array([index[_feminine(name)] for name in vocab])
    codes = reference.ethnicities().codes
    result = [column.copy() for column in names]
    u = rng.random(len(female))
    for column in result:
        valid = female & (column >= 0)
        column[valid] = feminine[column[valid]]
    for form in reference.surname_forms():
        chosen = female & (u < form.share) & (age >= form.min_age)
        if form.rule == "title":
            chosen &= ethnicity == codes.index(form.ethnicity)
            for first, second in ((result[0], result[1]), (result[2], result[3])):
                first[chosen] = index[form.replacement]
                second[chosen] = -1
        elif form.rule == "female_form":
            for column in result:
                column[chosen & (column == index[form.match])] = index[form.replacement]
    return tuple(result)
