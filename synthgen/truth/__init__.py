"""Truth tables: the population as it really is, and which person every agency record belongs to.

Truth is written apart from the agency files. It is what an evaluation scores against, so it is complete
(everyone, including former residents who are only on GP lists) and carries no data-quality errors.
"""

from __future__ import annotations

import pyarrow as pa

from synthgen import quality, signals, tables
from synthgen.agencies import AgencyTable
from synthgen.agencies.producer import Context
from synthgen.linkage import view as linkage_view
from synthgen.truth.population import (
    addresses_table,
    hard_negatives_table,
    households_table,
    moves_table,
    namesakes,
    newborn_relationships,
    newborns_table,
    people_table,
    relationships_table,
    risks_table,
)
from synthgen.truth.records import events_table

__all__ = ["namesakes", "shard_truth"]


def shard_truth(
    ctx: Context,
    records: list[pa.Table],
    summaries: list[pa.Table],
    events: list[AgencyTable],
    sources: list[signals.Source],
    produced: dict[str, pa.Table],
    pairs: bool,
) -> dict[str, pa.Table]:
    """The shard's truth tables: the population as it is, whose every record is, what changed in it, the risks,
    the planted storylines and the safeguarding signals."""
    pop, script = ctx.pop, ctx.script
    records_table = pa.concat_tables(records) if records else tables.table("truth/records").schema.empty_table()
    result = {
        "people": pa.concat_tables([people_table(pop, ctx.upn, ctx.died), newborns_table(pop, ctx.born)]),
        "households": households_table(pop),
        "addresses": addresses_table(ctx.plan, pop),
        "moves": moves_table(pop),
        "relationships": pa.concat_tables([relationships_table(pop), newborn_relationships(pop, ctx.born)]),
        "records": records_table,
        "hard_negatives": hard_negatives_table(pop),
        "quality": pa.concat_tables(summaries) if summaries else quality.empty_summary(),
        "risk": risks_table(pop, ctx.sim),
        "events": events_table(ctx, events),
        **({"storylines": script.storylines_table(), "storyline_events": script.events_table()} if script else {}),
    }
    result.update(produced)
    period = (ctx.plan.period_start, ctx.plan.period_end)
    result["signals"] = signals.signals(result["people"], sources, period, result.get("storyline_events"))
    # a truth table a shard has none of (no storylines; the front door switched off) is written empty
    for table in tables.all_tables():
        if table.path.startswith("truth/") and not table.optional and table.name not in result:
            result[table.name] = table.schema.empty_table()
    if pairs:
        result["pairs"] = linkage_view.true_pairs(records_table)
    return result
