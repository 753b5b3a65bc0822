"""Where a run on this machine keeps its parts while it runs: a folder of their own, in memory when there is room.

A run's parts (every shard's tables, waiting for the merges) live from the first shard to the last merge and are
then deleted. Written beside the run on a disk, those of a large run outlive the kernel's 30 seconds before it
writes dirty pages back, so the disk was sent every byte of them only for them to be deleted a minute later. A
ten-million-person run wrote its 9 GB of parts to the disk: 146.7 and 150.7 s, the machine's CPUs busy 284 and 291
s, against 121.1 and 132.2 s and 239 and 261 CPU s with the parts in memory (same code and machine). So a local run
puts its parts in a folder of its own under /dev/shm (memory, as joblib puts its scratch files) when twice their
size fits in the memory available and in /dev/shm's free space (a margin for an estimate, and for everything else
running); else, or when the user names a folder (`--scratch`), there.

A run killed outright (SIGKILL, a power cut) cannot remove its folder, and in memory it would hold that memory
until the machine restarts. So each folder has a lock file beside it, held (`flock`) while the run lives; every
run first removes the folders whose lock nobody holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthgen.errors import SynthgenError
from synthgen.outputs.folders import remove_tree

MEMORY = Path("/dev/shm")
"""Linux's shared-memory filesystem (tmpfs): files held in memory, never written to a disk."""
PREFIX = "synthgen-parts-"
LOCK = ".lock"


def memory_available() -> int:
    """Bytes of memory the kernel says are available for new work (MemAvailable; 0 where it cannot be read)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def fits_in_memory(parts_bytes: int) -> bool:
    """Whether parts of about `parts_bytes` may be held in memory: on Linux, with /dev/shm writable, and twice the
    parts within both the memory available (the workers, the page cache of the run's own files and everything else
    running keep the rest) and /dev/shm's free space (a container's may be 64 MiB)."""
    if not sys.platform.startswith("linux") or not MEMORY.is_dir() or not os.access(MEMORY, os.W_OK | os.X_OK):
        return False
    try:
        stats = os.statvfs(MEMORY)
    except OSError:
        return False
    return 2 * parts_bytes <= min(memory_available(), stats.f_bavail * stats.f_frsize)


def sweep(base: Path) -> None:
    """Remove the parts folders under `base` left by runs that were killed (their lock held by nobody)."""
    with contextlib.suppress(OSError):
        for lock in base.glob(f"{PREFIX}*{LOCK}"):
            with contextlib.suppress(OSError), open(lock, "a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live run's
                remove_tree(lock.with_name(lock.name.removesuffix(LOCK)))
                lock.unlink(missing_ok=True)


@contextmanager
def parts_folder(base: Path) -> Iterator[Path]:
    """A new folder under `base` for one run's parts, locked while the block runs and removed when it ends."""
    sweep(base)
    folder = base / f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    lock = folder.with_name(folder.name + LOCK)
    try:
        handle = open(lock, "x")  # noqa: SIM115 (held open, so locked, until the run ends)
    except OSError as error:
        raise _unusable(base, error) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            folder.mkdir()
        except OSError as error:
            raise _unusable(base, error) from None
        yield folder
    finally:
        try:
            if folder.exists():
                remove_tree(folder)
            lock.unlink(missing_ok=True)
        finally:
            handle.close()


def _unusable(base: Path, error: OSError) -> SynthgenError:
    return SynthgenError(f"{base}: cannot hold the run's parts ({error.strerror})")


def scratch_base(requested: str | Path | None, parts_bytes: int) -> Path | None:
    """The folder to make a run's parts folder in: the one the user named (which must be a folder), else memory
    when the parts fit there; None for beside the run."""
    if requested is not None:
        base = Path(requested)
        if not base.is_dir():
            reason = "is not a folder" if base.exists() else "does not exist"
            raise SynthgenError(f"scratch: {requested} {reason}; name a folder on this machine for the run's parts")
        return base
    return MEMORY if fits_in_memory(parts_bytes) else None
