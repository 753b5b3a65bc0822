"""One writer at a time for each output: a lock file beside the target, held while synthgen writes it.

Two commands writing the same run (or the same file) at once would otherwise both succeed and one's work would
silently vanish under the other's. The second now fails at once with one line. The lock is the operating system's
(`flock`), so a writer killed outright (SIGKILL, a power cut) holds nothing afterwards; the lock file it leaves is
taken over by the next writer and removed when that one finishes.

Each target's hidden companions (its lock, the temporary folder or file it is written in, the old one being
swapped out) share one prefix, `hidden_name`, so that the next writer can find and remove what a killed one left.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from synthgen.errors import SynthgenError

NAME_MAX = 255
"""Bytes in one file name on the file systems synthgen writes to (ext4, APFS, NTFS, tmpfs)."""
_LONG = 200
"""A target name longer than this is hashed in its hidden companions' names, which add a few bytes of their own."""


def hidden_name(target: Path) -> str:
    """The prefix of the hidden files beside `target` that belong to it: `.NAME`, or a hash of a long name."""
    name = os.fsencode(target.name)
    if len(name) <= _LONG:
        return f".{target.name}"
    return f".synthgen-{hashlib.sha256(name).hexdigest()[:24]}"


def check_name(target: Path, shown: Path) -> None:
    """Refuse a name the file system cannot hold, before any work is done."""
    if len(os.fsencode(target.name)) > NAME_MAX:
        raise SynthgenError(f"{shown}: the name is longer than a file system allows ({NAME_MAX} bytes)")


@dataclass
class Lock:
    """A held lock on one target; `release` removes the lock file and lets the next writer in."""

    path: Path
    fd: int

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)  # removed while still held, so nobody locks a file on its way out
        except OSError:
            pass
        finally:
            os.close(self.fd)
            self.fd = -1


def acquire(target: Path, shown: Path) -> Lock:
    """Lock `target` (an absolute path whose folder exists) for this process, or fail with one line if another
    synthgen command is writing it. `shown` is the path as the user gave it, for the message."""
    path = target.parent / f"{hidden_name(target)}.lock"
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise SynthgenError(f"{shown}: cannot be written in {target.parent} ({error.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise SynthgenError(
                f"{shown} is being written by another synthgen command; wait for it to finish or write elsewhere"
            ) from None
        # the writer before may have finished (and removed the file) between our open and our lock: try again
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return Lock(path, fd)
        os.close(fd)
