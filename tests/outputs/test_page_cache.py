"""A large output is written to its disk and leaves the page cache: a national run does not fill the machine's
memory with files nothing reads again. Residency is what the kernel reports (mincore)."""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthgen.outputs import page_cache
from synthgen.outputs.storage import Store

pytestmark = pytest.mark.skipif(not page_cache.DROPS, reason="the system cannot drop files from its page cache")


def _filesystem(path: Path) -> str:
    """The type of the filesystem holding `path` (the longest mount point above it)."""
    best, kind = "", ""
    for line in Path("/proc/mounts").read_text().splitlines():
        _, point, fstype, *_ = line.split()
        if str(path).startswith(point) and len(point) > len(best):
            best, kind = point, fstype
    return kind


def _resident(path: Path) -> int:
    """Pages of the file the page cache holds."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    size = path.stat().st_size
    pages = -(-size // mmap.PAGESIZE)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_COPY) as mapped:
        vector = ctypes.create_string_buffer(pages)
        anchor = ctypes.c_char.from_buffer(mapped)
        try:
            assert libc.mincore(ctypes.addressof(anchor), size, vector) == 0, os.strerror(ctypes.get_errno())
        finally:
            del anchor
        return sum(byte & 1 for byte in vector.raw)


@pytest.fixture
def on_disk(tmp_path: Path) -> Path:
    if _filesystem(tmp_path) in {"tmpfs", "ramfs", "overlay"}:
        pytest.skip(f"{tmp_path} is not on a disk (its pages are the file)")
    return tmp_path


def test_an_output_larger_than_the_step_is_whole_on_disk_and_not_left_in_the_cache(
    on_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_cache, "THROUGH_BYTES", 1 << 20)
    data = os.urandom(5 * (1 << 20) + 12345)
    store = Store(str(on_disk))
    store.write_atomically("big.bin", lambda sink: sink.write(data))
    assert (on_disk / "big.bin").read_bytes() == data
    with (on_disk / "big.bin").open("rb") as handle:  # what reading it back just cached
        page_cache.drop(handle.fileno(), 0, 0)
    store.write_atomically(
        "again.bin", lambda sink: [sink.write(data[at : at + 4096]) for at in range(0, len(data), 4096)]
    )
    assert _resident(on_disk / "again.bin") == 0
    assert (on_disk / "again.bin").read_bytes() == data


def test_a_small_output_is_written_as_before_and_a_parquet_file_reads_back(on_disk: Path) -> None:
    table = pa.table({"n": list(range(1000)), "s": [str(n) for n in range(1000)]})
    store = Store(str(on_disk))
    store.write_atomically("t.parquet", lambda sink: pq.write_table(table, sink))
    assert pq.read_table(on_disk / "t.parquet").equals(table)
    assert _resident(on_disk / "t.parquet") > 0
