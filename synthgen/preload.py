"""What every worker of a local pool needs before its first shard, done once in the process the workers fork from.

A spawned worker spent about 0.6 CPU s importing synthgen's shard code (numpy, pyarrow, pydantic's models) and
about 0.5 CPU s more on its first shard reading the reference tables every shard reads (forename pools by naming
tradition, sex and decade; the name-variant spellings), all of it the same in every worker of every run. The
local pool (synthgen/engines.py) starts its workers from a fork server that imports this module first, so each
worker starts with all of it in memory (shared with the server until written to). Only what depends on no plan is
made here: a worker's results are the same with or without it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from synthgen import reference, run_tasks
from synthgen.kernel import dates
from synthgen.quality import text
from synthgen.world import given_names, names

__all__ = ["run_tasks", "warm"]

NAME_ERRORS = (
    ("phonetic", "given"),
    ("transliteration", "given"),
    ("nickname", "given"),
    ("phonetic", "family"),
    ("transliteration", "family"),
)
"""The name errors' alternatives a shard lays out (synthgen/quality/name_errors.py)."""
DECADES = range(1920, 2030, 10)
"""The birth decades a forename pool is keyed by (given_names.pool_keys)."""


def warm() -> None:
    """Fill the process's caches of plan-independent reference data that every shard reads."""
    names.surname_pools()
    dates.age_on(np.array([0], "datetime64[D]"), dt.date(2000, 1, 1))  # its calendar, made once a process
    for kind, part in NAME_ERRORS:
        text.name_alternatives(kind, part)
    for tradition in range(len(reference.name_traditions().traditions)):
        for female in (False, True):
            for decade in DECADES:
                given_names.tradition_pool(tradition, female, decade)


warm()
