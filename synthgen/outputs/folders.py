"""Folders written whole or not at all: everything goes to a hidden temporary folder beside the destination,
renamed into place only when complete, so an interrupted or failed write never leaves anything that looks like a
finished run or pack."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from synthgen.arguments import PLACE, ArgumentError
from synthgen.errors import SynthgenError


def prepare(out: Path, overwrite: bool, marker: str, what: str) -> Path:
    """The temporary folder to write `out` into, after checking `out` may be replaced: only with `overwrite`, and
    never a folder that lacks `marker` (the file that says it is `what`, e.g. a synthgen run) and holds anything."""
    if out.exists() and not overwrite:
        raise ArgumentError(
            "overwrite", f"{out} already exists; pass {PLACE} to replace it", as_written="overwrite=True"
        )
    if out.exists() and not (out / marker).exists() and any(out.iterdir()):
        raise SynthgenError(f"{out} is a folder that is not {what}; refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"


def put_in_place(temp: Path, out: Path) -> None:
    """Rename the finished folder to `out`, moving an older `out` aside first and removing it after."""
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        out.rename(old)
        temp.rename(out)
        shutil.rmtree(old)
    else:
        temp.rename(out)
