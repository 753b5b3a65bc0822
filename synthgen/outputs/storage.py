"""Where a run is written: a local (or shared) folder, or an fsspec URL such as s3://bucket/run.

Every task of a run (a shard, a merge, a run-level pass), in this process, a local pool or on a Dask cluster,
opens its files through a `Store`, so the same code writes to a laptop's disk and to object storage. A store is a
plain value (its root as text) that pickles to any worker; the filesystem behind it is made where it is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from synthgen.errors import SynthgenError


def is_url(target: str | Path) -> bool:
    """Whether `target` names a location by URL (s3://, gs://, memory:// ...) rather than a local path."""
    return isinstance(target, str) and "://" in target and not target.startswith("file://")


@cache
def _filesystem(root: str) -> tuple[pafs.FileSystem, str]:
    if not is_url(root):
        return pafs.LocalFileSystem(), str(Path(root.removeprefix("file://")).absolute())
    try:
        import fsspec
    except ImportError:
        raise SynthgenError(f"{root}: writing to a URL needs fsspec (pip install fsspec)") from None
    try:
        fs, path = fsspec.core.url_to_fs(root)
    except (ImportError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SynthgenError(f"{root}: cannot open this URL ({first})") from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), str(path).rstrip("/")


PARTS = "_parts"
"""The folder of a run's intermediate parts (every shard's tables, until the merges have read them)."""


@dataclass(frozen=True)
class Store:
    """A run's root (a folder path or a URL) and the files under it, named by paths relative to it; whether the
    run's intermediate parts are written compressed; and the local folder they are kept in instead of the root's
    PARTS folder, if any (synthgen.outputs.scratch)."""

    root: str
    compressed_parts: bool = False
    scratch: str | None = None

    @property
    def fs(self) -> pafs.FileSystem:
        return _filesystem(self.root)[0]

    @property
    def local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def path(self, relative: str) -> str:
        """The filesystem's own path of a file under the root (or of a part, under the scratch folder)."""
        if self.scratch is not None and (relative == PARTS or relative.startswith(f"{PARTS}/")):
            return f"{self.scratch}/{relative}"
        base = _filesystem(self.root)[1]
        return f"{base}/{relative}" if relative else base

    def child(self, relative: str) -> Store:
        return Store(f"{self.root.rstrip('/')}/{relative}", self.compressed_parts, self.scratch)

    def exists(self, relative: str = "") -> bool:
        return bool(self.fs.get_file_info(self.path(relative)).type != pafs.FileType.NotFound)

    def makedirs(self, relative: str) -> None:
        self.fs.create_dir(self.path(relative), recursive=True)

    def remove(self, relative: str = "") -> None:
        """Remove a folder under the root (or the root) and everything in it, if it is there."""
        with contextlib.suppress(FileNotFoundError, OSError):
            self.fs.delete_dir(self.path(relative))

    def open_input(self, relative: str) -> Any:
        """A random-access file. Not memory-mapped: a merge reads a bucket of every shard's part at a time, and
        mapped pages it has read would stay in the process (its resident memory growing with the table) until the
        file is closed."""
        if self.local:
            return pa.OSFile(self.path(relative), "rb")
        return self.fs.open_input_file(self.path(relative))

    def write_atomically(self, relative: str, write: Any) -> None:
        """Call `write(sink)` with a sink for the file, which appears whole or not at all (see `writing`)."""
        with self.writing(relative) as sink:
            write(sink)

    @contextlib.contextmanager
    def writing(self, relative: str) -> Iterator[Any]:
        """A sink for the file, which appears whole when the block ends, or not at all if it raises: a task re-run
        after a lost worker, or run twice, never leaves half a file where a whole one is expected. Object stores
        publish a file only when it is closed (one whose block raised is then deleted); on a disk it is written
        under another name and renamed."""
        parent = relative.rpartition("/")[0]
        if parent:
            self.makedirs(parent)
        if not self.local:
            try:
                with self.fs.open_output_stream(self.path(relative), compression=None) as sink:
                    yield sink
            except BaseException:
                # closing the stream published what the block had written: take it back
                with contextlib.suppress(FileNotFoundError, OSError):
                    self.fs.delete_file(self.path(relative))
                raise
            return
        temp = f"{relative}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with self.fs.open_output_stream(self.path(temp), compression=None) as sink:
                yield sink
            self.fs.move(self.path(temp), self.path(relative))
        finally:
            with contextlib.suppress(FileNotFoundError, OSError):
                self.fs.delete_file(self.path(temp))


class HashingSink:
    """A file-like sink that passes every byte on to another and keeps their sha256 and count: a table's checksum
    for the manifest, taken as it is written rather than by reading the file back."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self.sink.write(view)
        self.size += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.sink.flush()

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False
