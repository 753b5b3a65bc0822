"""Memory kept for reuse while a linkage is scored.

Scoring ten million records makes a few hundred arrays of tens of megabytes, one after another. glibc's malloc
maps each array of over 32 MiB afresh and unmaps it when freed, so every one costs its size in page faults, each
page zeroed by the kernel: on a virtual machine that was two thirds of the CPU time of a 10-million-record
scoring (35-53 system seconds against 26-31 user seconds). While `arrays_reused` holds, big blocks come from the
heap and freed ones stay there for the next array, so the same pages serve many arrays; on leaving, the settings
are put back and the unused heap is handed back to the system. Elsewhere than glibc (musl, macOS) it does nothing.

NumPy also asks the kernel for huge pages for every array of 4 MiB or more; where the kernel compacts memory to
find them on each fault (transparent_hugepage/defrag set to madvise, this machine's), that costs more system time
than the huge pages save. The advice is turned off for the block too, and put back after it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_DEFAULT_TRIM_THRESHOLD = 128 * 1024
_DEFAULT_MMAP_MAX = 65536
_NEVER = 2**31 - 1


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 (present only in glibc)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


@contextmanager
def arrays_reused() -> Iterator[None]:
    """Big arrays allocated from the heap and freed into it (not mapped and unmapped) until the block ends."""
    advice: Any = getattr(getattr(np, "_core", None), "multiarray", None)
    huge = advice._set_madvise_hugepage(False) if hasattr(advice, "_set_madvise_hugepage") else None
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, _NEVER)
    try:
        yield
    finally:
        if libc is not None:
            libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
            libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
            libc.malloc_trim(0)
        if huge is not None:
            advice._set_madvise_hugepage(huge)
