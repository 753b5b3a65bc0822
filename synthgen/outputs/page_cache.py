"""A run's output files written through to the disk, not left in the kernel's page cache.

Nothing in a run reads its outputs again, yet every page the cache takes for them is memory the run had not
touched: a ten-million-person run's 3 GB of Parquet. On a virtual machine whose balloon driver reports free memory
to the host (this one: `virtio_balloon` with free page reporting), memory left free for a couple of seconds goes
back to the host, and touching it again costs a fault in the host as well as in the guest. Measured here: writing
2 GiB to a file through the page cache took 15 to 19 s, nearly all of it in the kernel, against 1.8 s when every
64 MiB was pushed to the disk and dropped from the cache; 1 GiB written straight after another file was deleted,
0.17 s, and after a five-second pause 6.8 s. In a ten-million-person run's merges, `perf record -a` put 18% of all
samples in the kernel copying the outputs into the cache (`copy_folio_from_iter_atomic`, under ext4's buffered
write) and 2.7% once they were written through; the merge phase's kernel time fell from 18.7 to 9.7 s.

So a file larger than THROUGH_BYTES is pushed to its disk and dropped from the cache THROUGH_BYTES at a time: the
same few pages serve every file, and a national run does not push the rest of the machine's files out of the
cache. Elsewhere it costs little: the bytes go to the disk, as the kernel would send them within half a minute
anyway. A smaller file (the demo's, the tests') is left to the cache as before. Where the system lacks the calls
(not Linux), or the file refuses them (a pipe, some network filesystems), it is simply written.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
from typing import Any

THROUGH_BYTES = 16 << 20
"""How much of an output file is written before it is pushed to the disk and dropped from the page cache."""
_WAIT_BEFORE, _WRITE, _WAIT_AFTER = 1, 2, 4
"""sync_file_range's flags: write the range back and wait until it is on the disk (its data only: unlike fdatasync
it does not wait for the filesystem's journal, a few milliseconds a file)."""


def _sync_file_range() -> Any:
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        call = libc.sync_file_range
        call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
        call.restype = ctypes.c_int
        return call
    return None


_SYNC_FILE_RANGE = _sync_file_range()
DROPS = _SYNC_FILE_RANGE is not None and hasattr(os, "posix_fadvise")
"""Whether this system can push a file's pages to the disk and drop them from the cache."""


def drop(fd: int, start: int, length: int) -> bool:
    """Write bytes [start, start + length) of an open file to the disk and drop their pages from the page cache;
    False where they cannot be (the file is then as it was)."""
    if not DROPS or _SYNC_FILE_RANGE(fd, start, length, _WAIT_BEFORE | _WRITE | _WAIT_AFTER) != 0:
        return False
    try:
        os.posix_fadvise(fd, start, length, os.POSIX_FADV_DONTNEED)
    except OSError:
        return False
    return True


class WrittenThrough:
    """A file-like sink for an output file that writes every byte to the file at once and, every THROUGH_BYTES,
    pushes what it wrote to the disk and drops it from the cache (the tail too, at `finish`, once a first step was
    taken). pyarrow's writers take it wrapped in `pyarrow.PythonFile`."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.written = 0
        self.dropped = 0
        self.dropping = DROPS
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        at = 0
        while at < len(view):
            at += self.handle.write(view[at:])
        self.written += at
        if self.dropping and self.written - self.dropped >= THROUGH_BYTES:
            self._drop()
        return at

    def finish(self) -> None:
        if self.dropping and self.dropped:
            self._drop()

    def _drop(self) -> None:
        self.dropping = drop(self.handle.fileno(), self.dropped, self.written - self.dropped)
        self.dropped = self.written

    def flush(self) -> None:
        """Nothing is held here: every write went to the file."""

    def tell(self) -> int:
        return self.written

    def close(self) -> None:
        """The file itself is closed by whoever opened it, after `finish`."""
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False
