"""Giving freed memory back to the system between the steps of a feed, so its peak is one step's, not the sum of
every step's leftovers.

The command line keeps freed memory for reuse (synthgen.console: glibc keeps its heap, pyarrow's jemalloc keeps
its pages), which suits whole-column work that allocates the same large columns again and again. A feed is a long
series of different steps (a table's truth, a chunk of its records, a day's file), and what one step frees is
fragmented for the next: kept, it added up to hundreds of megabytes at a million people, more the larger the run.
So after each step the feed asks both allocators to hand back what is free (a few milliseconds each time).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from typing import Any

import pyarrow as pa


def _libc() -> Any:
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        if hasattr(libc, "malloc_trim"):
            return libc
    return None


_LIBC = _libc()


def release() -> None:
    """Hand memory freed so far back to the system: pyarrow's pool's unused pages, and the C library's free heap
    (glibc only; elsewhere nothing)."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
