"""Named, seeded random streams: the only source of randomness in synthgen.

Every stream is derived from the scenario seed, a stable name and (for shard work) the shard index, through
numpy's SeedSequence. Naming streams means adding a new stream never shifts the numbers an existing one draws,
and keying by shard means a shard's output does not depend on which worker runs it or in what order.
"""

from __future__ import annotations

import zlib

import numpy as np


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def run_stream(seed: int, name: str) -> np.random.Generator:
    """A stream for run-level choices made once (schools, practices, streets)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_key(name),))))


def shard_stream(seed: int, shard: int, name: str) -> np.random.Generator:
    """A stream for one shard's work; independent of every other shard's."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_key(name), shard + 1))))


def run_key(seed: int, name: str) -> int:
    """A 64-bit key for keyed permutations (record ids), derived like a stream."""
    state = np.random.SeedSequence(seed, spawn_key=(_key(name), 0)).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 32 | int(state[1])
