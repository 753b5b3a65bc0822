"""Running a plan: its shards, then its merges and run-level passes, then the manifest; on any engine.

The run's tasks (synthgen/run_tasks.py) go in rounds to an engine (synthgen/engines.py): this process, a local
pool of workers, or a Dask cluster. The parent only plans the rounds and collects what each task wrote; it never
reads a table, so its memory does not grow with the run. A run is written to a hidden temporary folder beside the
destination and renamed into place only when complete (manifest last); a run written to a URL (s3://...) goes
straight to its place, manifest last. Either way an interrupted or failed run never leaves anything that looks
like a finished one.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs
from numpy.typing import NDArray

from synthgen import __version__, namesake_pass, run_tasks, tables
from synthgen.agencies import health, school
from synthgen.engines import Engine, Task, engine_for
from synthgen.errors import SynthgenError
from synthgen.namesake_pass import HARD_NEGATIVES
from synthgen.outputs import folders, parquet
from synthgen.outputs.scratch import parts_folder, scratch_base
from synthgen.outputs.storage import PARTS, Store, is_url
from synthgen.run_tasks import ShardsWritten, metadata, partition_file, shard_tasks
from synthgen.scenario.plan import Plan, make_plan
from synthgen.scenario.schema import Scenario

Progress = Callable[[str, int, int], None]
PHASES = ("shards", "merge", "passes", "manifest")
"""The phases a run reports progress in, in order."""
PLACES: dict[str, tuple[str, Callable[[Plan], pa.Table]]] = {
    "agencies/health/practices": ("health", health.practices),
    "agencies/school/schools": ("school", school.schools_table),
}
"""Tables an agency holds about places, not people: written once for the run, not per shard."""
PARTITION_PEOPLE = 2_000_000
"""Runs above this many people write each table as a folder of part files (a dataset); the largest local authority
(Birmingham, 1.2 million) stays one file per table."""
PART_ROWS = 2_000_000
"""About how many rows a part file of a partitioned table holds."""
PARTS_BYTES_PER_PERSON = 1_500
"""About how many bytes of uncompressed parts (removed by the merges) the shards write a person (measured on
benchmarks/scale.yaml: 1,478 MB at a million people; 1,290 MB for a million in Birmingham)."""
PARTITIONED_PARTS_BYTES_PER_PERSON = 750
"""The same for a partitioned run, whose shard tasks write the truth tables' part files themselves (measured: 737
bytes a person on benchmarks/scale.yaml, 685 in Birmingham)."""
COMPRESSED_SHARE = 0.75
"""About what share of those bytes lz4 leaves, at most (measured: 62% of a single-file run's parts, 9,271 MB at ten
million people; 74% of a partitioned run's, whose truth tables, the most compressible, are not among them)."""


@dataclass(frozen=True)
class _Run:
    """What every round of a run shares."""

    plan: Plan
    store: Store
    pairs: bool
    partitioned: bool
    report: Progress


def generate(
    scenario: Scenario,
    out: str | Path,
    *,
    workers: int = 1,
    overwrite: bool = False,
    pairs: bool = False,
    progress: Progress | None = None,
    partitioned: bool | None = None,
    scheduler: str | None = None,
    client: Any = None,
    scratch: str | Path | None = None,
) -> dict[str, Any]:
    """Generate a run from a validated scenario into `out` (a folder, or a URL such as s3://bucket/run that every
    worker can reach); return its manifest.

    `partitioned` writes each table as a folder of Parquet parts (default: above PARTITION_PEOPLE people). The
    tasks run in this process, in `workers` local processes, or on a Dask cluster (`scheduler`, an address, or a
    `client`). The data written depends only on the scenario (and synthgen's version), never on the engine or
    the number of workers.

    The shards' parts, kept until the merges have read them, go in a folder of their own in `scratch` (a
    local folder every worker can reach); by default, for a local folder run on this machine, in memory when they
    fit (synthgen.outputs.scratch), else in the run's own temporary folder.
    """
    if workers < 1:
        raise SynthgenError(f"workers must be at least 1, not {workers}")
    if scratch is not None and is_url(out):
        raise SynthgenError(f"scratch: {scratch} is for a run written to this machine, not to {out}")
    plan = make_plan(scenario)
    split = plan.people > PARTITION_PEOPLE if partitioned is None else partitioned
    report = progress or (lambda stage, done, total: None)
    compressed = parts_outgrow_memory(plan.people, split)
    local = not is_url(out) and scheduler is None and client is None
    parts_bytes = int(_parts_bytes(plan.people, split) * (COMPRESSED_SHARE if compressed else 1.0))
    base = scratch_base(scratch, parts_bytes) if scratch is not None or local else None
    with _destination(out, overwrite) as written_to, _parts_kept(written_to, base) as kept:
        store = replace(kept, compressed_parts=compressed)
        engine = engine_for(workers, shard_tasks(plan.shards), scheduler, client)
        try:
            return _write(_Run(plan, store, pairs, split, report), engine)
        finally:
            engine.close()
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def _parts_kept(store: Store, base: Path | None) -> Iterator[Store]:
    """The store with its parts in a folder of their own under `base` (removed when the block ends), or as it is."""
    if base is None:
        yield store
        return
    with parts_folder(base) as folder:
        yield replace(store, scratch=str(folder))


def _parts_bytes(people: int, partitioned: bool) -> int:
    """About how many bytes of uncompressed parts a run of `people` writes."""
    return people * (PARTITIONED_PARTS_BYTES_PER_PERSON if partitioned else PARTS_BYTES_PER_PERSON)


def parts_outgrow_memory(people: int, partitioned: bool = False) -> bool:
    """Whether a run's uncompressed parts would fill more than half this machine's memory, and so the page cache:
    then they are written compressed (lz4, about COMPRESSED_SHARE of the bytes) rather than read back from the disk
    by the merges. Smaller runs keep them as they are (compressing costs a little more CPU than it saves while they
    fit). Only the parts depend on it, never a byte of the run."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return True
    return _parts_bytes(people, partitioned) > memory // 2


@contextmanager
def _destination(out: str | Path, overwrite: bool) -> Iterator[Store]:
    """The store the run is written into, put in place when the run completes; nothing complete-looking if not."""
    if is_url(out):
        store = Store(str(out))
        _check_url(store, overwrite)
        store.remove()
        yield store
        return
    target = Path(out)
    temp = folders.prepare(target, overwrite, folders.RUN)
    try:
        yield Store(str(temp))
        folders.put_in_place(temp, target)
    finally:
        folders.cleanup(temp)


def _check_url(store: Store, overwrite: bool) -> None:
    """A run at a URL is replaced only with `overwrite`, and only when it is a run (or empty)."""
    if not store.exists():
        return
    if not overwrite:
        raise SynthgenError(f"{store.root} already exists; pass overwrite to replace it")
    listed = store.fs.get_file_info(pafs.FileSelector(store.path(""), recursive=False))
    if listed and not store.exists("manifest.json"):
        raise SynthgenError(f"{store.root} is a folder that is not a synthgen run; refusing to replace it")


def _write(run: _Run, engine: Engine) -> dict[str, Any]:
    plan = run.plan
    store = run.store
    written = _shards(run, engine)
    entries = _merge(run, engine, written)
    run.report("manifest", 0, 1)
    store.remove(PARTS)
    manifest = parquet.write_manifest(store, _header(plan, run.pairs, run.partitioned), entries)
    run.report("manifest", 1, 1)
    return manifest


def _round(
    engine: Engine,
    tasks: Sequence[Task],
    stage: str,
    report: Progress,
    finished: Callable[[int], None] | None = None,
    sizes: Sequence[int] | None = None,
) -> list[Any]:
    """Run a round of tasks; their results in task order. `finished` is told each task's index as it ends; progress
    counts `sizes` (what each task makes, such as its shards) or else tasks."""
    counts = list(sizes) if sizes is not None else [1] * len(tasks)
    total = sum(counts)
    results: list[Any] = [None] * len(tasks)
    done = 0
    report(stage, 0, total)
    for index, result in engine.run(tasks):
        results[index] = result
        if finished is not None:
            finished(index)
        done += counts[index]
        report(stage, done, total)
    return results


def _shards(run: _Run, engine: Engine) -> list[ShardsWritten]:
    plan = run.plan
    shared = engine.share(plan)
    made = [run_tasks.task_shards(plan.shards, task) for task in range(shard_tasks(plan.shards))]
    tasks = [(run_tasks.run_shards, (shared, task, run.store, run.pairs, run.partitioned)) for task in range(len(made))]
    return _round(engine, tasks, "shards", run.report, sizes=[len(shards) for shards in made])


def _merge(run: _Run, engine: Engine, written: list[ShardsWritten]) -> list[parquet.Written]:
    """Every table's file(s), from every shard's parts, with the namesake pass beside them; then the hard
    negatives, which need the namesakes. Returns each table as the manifest lists it."""
    plan, store = run.plan, run.store
    rows = _rows(written)
    keyed = sorted(name for name in rows if not name.startswith("truth/") and name != "namesakes")
    truth_names = [
        t.path
        for t in tables.all_tables()
        if t.path.startswith("truth/") and t.path != HARD_NEGATIVES and (run.pairs or not t.optional)
    ]
    per_table = _written_by_shards(run, truth_names, written)
    tasks: list[Task] = []
    owners: list[str] = []
    for table in [*keyed, *(name for name in truth_names if name not in per_table)]:
        shuffled = table in keyed
        merge = run_tasks.merge_keyed if shuffled else run_tasks.merge_truth
        for out, span in _files(table, rows[table], run.partitioned):
            args = (store, table, shard_tasks(plan.shards), span) if shuffled else (store, table, span)
            tasks.append((merge, (*args, out, metadata(plan, table))))
            owners.append(table)
    spans = namesake_pass.finding_spans(rows["namesakes"])
    finding = [(namesake_pass.find_namesakes, (store, plan.shards, span, task)) for task, span in enumerate(spans)]
    # the largest merges first, so the workers are not left waiting on one big merge at the end
    order = sorted(range(len(tasks)), key=lambda i: -_task_rows(tasks[i], rows))
    reads = [_parts_folder(owners[i]) for i in order] + [namesake_pass.CANDIDATES] * len(finding)
    released = _PartsReleased(store, reads)
    results = _round(engine, [*(tasks[i] for i in order), *finding], "merge", run.report, released)
    for at, i in enumerate(order):
        per_table.setdefault(owners[i], []).append(results[at])
    namesakes = np.sum(results[len(tasks) :], axis=0)
    per_table[HARD_NEGATIVES] = _round(
        engine, _hard_negatives(run, rows[HARD_NEGATIVES], namesakes, len(spans)), "passes", run.report
    )
    for table, file in _reference_tables(plan):
        relative = f"{table}.parquet" if not run.partitioned else partition_file(table, 0)
        schema = tables.table(table).schema
        per_table[table] = [parquet.write_table(store, file, relative, metadata(plan, table), schema)]
    return [parquet.table_entry(table, files) for table, files in per_table.items()]


def _written_by_shards(
    run: _Run, truth_names: list[str], written: list[ShardsWritten]
) -> dict[str, list[parquet.Written]]:
    """The part files the shard tasks (`written`, in task order as `_round` returns them) wrote themselves
    (run_tasks.written_by_shards), in row order; a table none of
    them had rows of is one empty part file, as a merge of no rows writes it."""
    files: dict[str, list[parquet.Written]] = {}
    for table in truth_names:
        if not run_tasks.written_by_shards(table, run.partitioned):
            continue
        files[table] = [task.files[table] for task in written if table in task.files]
        if not files[table]:
            meta, schema = metadata(run.plan, table), tables.table(table).schema
            files[table] = [parquet.write_row_groups(run.store, partition_file(table, 0), [], meta, schema)]
    return files


def _parts_folder(table: str) -> str:
    """The folder of the parts a table is merged from."""
    return namesake_pass.truth_folder(table) if table.startswith("truth/") else run_tasks.keyed_folder(table)


class _PartsReleased:
    """Removes each folder of parts once the last task reading it has ended, while the other merges go on.

    At ten million people the parts hold some 9 GB (in /dev/shm, where they fit): removed only once the run had
    ended, they held all of that memory through the merges, and the parent then spent 1.6 to 1.9 s removing them
    while nothing else ran. Released a table at a time (the largest merges run first), the memory goes back to the
    machine as the merges go, and the removal happens while the workers are busy."""

    def __init__(self, store: Store, reads: list[str]) -> None:
        self.store = store
        self.reads = reads
        self.left = Counter(reads)

    def __call__(self, index: int) -> None:
        folder = self.reads[index]
        self.left[folder] -= 1
        if not self.left[folder]:
            self.store.remove(folder)


def _hard_negatives(run: _Run, own: NDArray[np.int64], namesakes: NDArray[np.int64], finders: int) -> list[Task]:
    """The tasks writing truth/hard_negatives: one streaming the whole file, or one per part file (the shards' own
    pairs in groups of shards, then the namesakes in groups of their left persons' shards), from the parts of the
    `finders` namesake-finding tasks."""
    plan, store = run.plan, run.store
    meta = metadata(plan, HARD_NEGATIVES)
    if not run.partitioned:
        return [(namesake_pass.write_hard_negatives, (store, plan.shards, finders, meta))]
    tasks: list[Task] = []
    for span in parquet.groups(own, PART_ROWS):
        tasks.append(
            (run_tasks.merge_truth, (store, HARD_NEGATIVES, span, partition_file(HARD_NEGATIVES, len(tasks)), meta))
        )
    for span in parquet.groups(namesakes, PART_ROWS):
        out = partition_file(HARD_NEGATIVES, len(tasks))
        tasks.append((namesake_pass.write_namesakes_part, (store, finders, span, out, meta)))
    return tasks


def _rows(written: list[ShardsWritten]) -> dict[str, NDArray[np.int64]]:
    """Each table's rows per bucket (keyed tables, summed over shards) or per shard (truth tables), from the shard
    tasks' results in task order."""
    rows: dict[str, NDArray[np.int64]] = {}
    for task in written:
        for table, counts in task.rows.items():
            if table.startswith("truth/"):
                rows[table] = np.r_[rows.get(table, np.zeros(0, np.int64)), counts]
            else:
                rows[table] = rows.get(table, np.zeros(len(counts), np.int64)) + counts
    return rows


def _files(table: str, rows: NDArray[np.int64], partitioned: bool) -> list[tuple[str, tuple[int, int]]]:
    """The files a table is written as, each with the buckets (or shards) it holds."""
    if not partitioned:
        return [(f"{table}.parquet", (0, len(rows)))]
    spans = parquet.groups(rows, PART_ROWS)
    return [(partition_file(table, at), span) for at, span in enumerate(spans)]


def _task_rows(task: Task, rows: dict[str, NDArray[np.int64]]) -> int:
    args = task[1]
    table, span = str(args[1]), args[-3]
    first, last = span
    return int(rows[table][first:last].sum())


def _reference_tables(plan: Plan) -> list[tuple[str, pa.Table]]:
    """The agencies' tables about places, for the agencies the scenario enables."""
    enabled = plan.scenario.agencies
    return [(path, build(plan)) for path, (agency, build) in PLACES.items() if getattr(enabled, agency).enabled]


def _header(plan: Plan, pairs: bool, partitioned: bool) -> dict[str, Any]:
    scenario = plan.scenario
    header = {
        "synthgen_version": __version__,
        "synthetic": True,
        "scenario": scenario.model_dump(mode="json"),
        "scenario_sha256": plan.scenario_sha256,
        "seed": plan.seed,
        "period": {"start": plan.period_start.isoformat(), "end": plan.period_end.isoformat()},
        "area": {"la_number": plan.la.number, "la_name": plan.la.name, "gss_code": plan.la.gss_code},
        "people": plan.people,
        "shards": plan.shards,
        "pairs": pairs,
    }
    if partitioned:
        header["partitioned"] = True
    return header
