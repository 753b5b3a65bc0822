"""How synthgen's processes ask for memory and give it back: one place for the C library's and pyarrow's settings.

Four policies, each for a kind of work (and `freed_at_once`, for a feed's steps):
- `for_whole_columns` (the command line's process): pyarrow's default allocator in its Linux wheels (mimalloc)
  hands memory back to the system so eagerly that scoring a 1.5-million-person MASH spent as long in the kernel
  as in synthgen (7 to 14 s of system time in 21 to 29 s); jemalloc keeps freed memory for the next column.
  numpy's arrays come from the C library's malloc, which maps each large array afresh and unmaps it when freed, so
  every temporary column is faulted in page by page; with glibc, large blocks are kept on the heap for reuse
  instead. Together: 11.1 s to 8.5 s (median of three), peak 1.35 to 1.55 GB.
- `arrays_reused` (while a linkage is scored): ten million records make a few hundred arrays of tens of
  megabytes, one after another; even arrays of over a GiB come from the heap then, and freed ones stay there for
  the next, so the same pages serve many arrays (without it two thirds of a 10-million-record scoring's CPU was
  the kernel faulting in pages: 35-53 system seconds against 26-31 user seconds). NumPy also asks the kernel for
  huge pages for every array of 4 MiB or more; where the kernel compacts memory to find them on each fault
  (transparent_hugepage/defrag set to madvise), that costs more system time than the huge pages save, so the
  advice is turned off for the block too.
- `for_tasks` (a local pool's worker, which runs a run's shards and merges one after another): the command
  line's settings, and pyarrow's freed memory never handed back either. A shard makes and frees some gigabytes of
  columns; each page handed back and asked for again is zeroed by the kernel, which on this VM costs about 1.5 CPU
  seconds a GiB (a third to a half of a shard's CPU was system time, most of it zeroing pages). A worker's
  resident memory is then its largest task's, as before (some 450 MiB).
- `release` (between the steps of a feed): a feed is a long series of different steps (a table's truth, a chunk
  of its records, a day's file), and what one step frees is fragmented for the next; kept, it added up to hundreds
  of megabytes at a million people, more the larger the run. So after each step both allocators hand back what
  is free (a few milliseconds each time).
The command line also names jemalloc as Arrow's own C++ default pool (synthgen.console): its Parquet reader
allocates there, not through pyarrow's pool, and mimalloc kept what it freed on the reader's threads.
Where pyarrow has no jemalloc, or the C library is not glibc, nothing changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pyarrow as pa

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
_DEFAULT_TRIM_THRESHOLD = 128 * 1024
_DEFAULT_MMAP_MAX = 65536
_NEVER = 2**31 - 1
_heap_kept = False
"""Whether this process keeps its freed heap (`for_whole_columns`): what `arrays_reused` puts back afterwards."""


def _glibc() -> Any:
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 (present only in glibc)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    return None


_LIBC = _glibc()


def for_whole_columns() -> None:
    """The command line's settings: blocks below 1 GiB from the heap, freed heap kept, pyarrow on jemalloc."""
    global _heap_kept
    if _LIBC is not None:
        _LIBC.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
        _LIBC.mallopt(_M_TRIM_THRESHOLD, _NEVER)
        _heap_kept = True
    with contextlib.suppress(NotImplementedError):
        pa.set_memory_pool(pa.jemalloc_memory_pool())


def for_tasks() -> None:
    """A run's worker: the command line's settings, and pyarrow's freed pages kept for the next task too."""
    for_whole_columns()
    with contextlib.suppress(NotImplementedError):
        pa.jemalloc_set_decay_ms(-1)


@contextmanager
def arrays_reused() -> Iterator[None]:
    """Big arrays allocated from the heap and freed into it (not mapped and unmapped) until the block ends; then the
    process's own settings back, and the unused heap handed back unless the process keeps it."""
    advice: Any = getattr(getattr(np, "_core", None), "multiarray", None)
    huge = advice._set_madvise_hugepage(False) if hasattr(advice, "_set_madvise_hugepage") else None
    if _LIBC is not None:
        _LIBC.mallopt(_M_MMAP_MAX, 0)
        _LIBC.mallopt(_M_TRIM_THRESHOLD, _NEVER)
    try:
        yield
    finally:
        if _LIBC is not None:
            _LIBC.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
            if not _heap_kept:
                _LIBC.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
                _LIBC.malloc_trim(0)
        if huge is not None:
            advice._set_madvise_hugepage(huge)


ARROW_JEMALLOC_DECAY_MS = 1000
"""How long Arrow's jemalloc keeps freed pages before handing them back (libarrow's own `malloc_conf`)."""


@contextmanager
def freed_at_once() -> Iterator[None]:
    """pyarrow's jemalloc hands freed pages back at once until the block ends, then keeps them a second again.

    For a feed: its steps free their columns on Arrow's threads as well as this one, and `release` left what
    jemalloc had not yet decayed resident (after putting a two-million-person run's truth aside, 87 MiB resident
    of nothing allocated; 20 MiB with this), growing with the run; the feed's CPU time did not change measurably."""
    with contextlib.suppress(NotImplementedError):
        pa.jemalloc_set_decay_ms(0)
    try:
        yield
    finally:
        with contextlib.suppress(NotImplementedError):
            pa.jemalloc_set_decay_ms(ARROW_JEMALLOC_DECAY_MS)


def release() -> None:
    """Hand memory freed so far back to the system: pyarrow's pool's unused pages, and the C library's free heap
    (glibc only; elsewhere nothing)."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
