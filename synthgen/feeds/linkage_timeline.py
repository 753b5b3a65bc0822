"""The linkage view's life over the year, as truth: when each record was held, whose it is, and when it changed.

A series of cluster files (one per day a linker ran) is scored against the records held on each of its days, not
the year-end ones: a record made in June cannot be missed in May, and a duplicate made and merged within the year
is a record of its person for the weeks it was held. This is the feed's own history of the linkage view
(`synthgen.feeds.tables`), rebuilt from the run (the feed is made from the run alone, so the ids
are those of the run's feed, whatever its cadence), with each record's person from `truth/records` and, for a
merged duplicate, its original's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.feeds.history import NEVER, Days
from synthgen.feeds.known import RunFacts
from synthgen.feeds.tables import (
    LinkageNumbers,
    chunk_history,
    feed_tables,
    id_numbers,
    linkage_ids,
    table_life,
    view_part,
)
from synthgen.run_folder import Run


@dataclass(frozen=True)
class Timeline:
    """Every record the linkage view held on some day of the run's period: its id, person, the day it was made
    and the day it was purged (`NEVER` when held to the end), and every later change of what the view holds of it
    (`changed_record`, `changed_on`: a traced NHS number, a corrected birth date, a new address)."""

    record_id: pa.Array
    person: NDArray[np.int64]
    made: Days
    purged: Days
    changed_record: NDArray[np.int64]
    changed_on: Days
    first: int  # the period's first and last days (day numbers)
    last: int

    def held_on(self, day: int) -> NDArray[np.bool_]:
        """Which records were held at the end of `day`."""
        result: NDArray[np.bool_] = (self.made <= day) & (day < self.purged)
        return result

    def person_events(self) -> tuple[NDArray[np.int64], Days]:
        """(person, day) of every day a person's records changed (one made, changed or purged), sorted: the truth
        reasons a linker may rightly move a record between clusters."""
        purged = self.purged < NEVER
        person = np.r_[self.person, self.person[self.changed_record], self.person[purged]]
        day = np.r_[self.made, self.changed_on, self.purged[purged]]
        order = np.lexsort((day, person))
        return person[order], day[order]


def linkage_timeline(run: Run) -> Timeline:
    """The linkage view's timeline, as the run's feed carries it (numbered as the feed's linkage history numbers
    its records: the year-end linkage/records order, then merged duplicates)."""
    facts = RunFacts(run)
    numbers = LinkageNumbers.of_run(run)
    ids_of, numbers_of, changed_record, changed_on, duplicate_ids, originals = [], [], [], [], [], []
    for path in feed_tables(facts):
        if tables.table(path).person is None:
            continue
        life = table_life(facts, path)
        history = chunk_history(life, 0, life.rows, run.read(path)).history
        ids = linkage_ids(life)
        number = numbers.number(id_numbers(ids), history.made, history.purged)
        part = view_part(history, ids)
        later = np.r_[False, part.record[1:] == part.record[:-1]] if len(part.record) else np.zeros(0, bool)
        changed_record.append(number[part.record[later]])
        changed_on.append(part.valid_from[later])
        ids_of.append(ids)
        numbers_of.append(number)
        if life.merged is not None:
            duplicate_ids.append(life.merged.linkage_ids)
            originals.append(ids.take(pa.array(life.merged.transients.copy_of)))
    made, purged = numbers.days()
    everyone = np.concatenate(numbers_of) if numbers_of else np.zeros(0, np.int64)
    record_id = (
        pa.concat_arrays(ids_of).take(pa.array(np.argsort(everyone, kind="stable")))
        if ids_of
        else pa.array([], pa.string())
    )
    truth = facts.records
    at = pc.index_in(record_id, value_set=truth["record_id"].combine_chunks())
    if duplicate_ids:
        # a merged duplicate is its original's person
        duplicates = pa.concat_arrays(duplicate_ids)
        original = pa.concat_arrays(originals)
        of = pc.index_in(record_id, value_set=duplicates)
        via = pc.index_in(original.take(pc.fill_null(of, 0)), value_set=truth["record_id"].combine_chunks())
        at = pc.if_else(at.is_valid(), at, pc.if_else(of.is_valid(), via, pa.scalar(None, at.type)))
    if at.null_count:
        raise ValueError("a linkage record of the feed has no person in the truth")
    person = truth["person_id"].combine_chunks().take(at).to_numpy(zero_copy_only=False).astype(np.int64)
    changed = np.concatenate(changed_record) if changed_record else np.zeros(0, np.int64)
    on = np.concatenate(changed_on) if changed_on else np.zeros(0, np.int64)
    order = np.lexsort((on, changed))
    return Timeline(
        record_id=record_id,
        person=person,
        made=made.astype(np.int64),
        purged=purged.astype(np.int64),
        changed_record=changed[order].astype(np.int64),
        changed_on=on[order].astype(np.int64),
        first=facts.first,
        last=facts.last,
    )


__all__ = ["Timeline", "linkage_timeline"]
