"""The package's public face: every name other modules import from synthgen.kernel.identifiers is there."""

from __future__ import annotations

from synthgen.kernel import identifiers


def test_every_public_name_resolves() -> None:
    missing = [name for name in identifiers.__all__ if not hasattr(identifiers, name)]
    assert not missing
