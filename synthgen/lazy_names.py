"""Public names imported from their modules the first time they are asked for (PEP 562), for the packages whose
import must cost nothing: `synthgen` (so the command line starts at once, and a Ctrl-C in its first moment is one
line, not a traceback from inside numpy's import) and `synthgen.testing` (so the pytest plugin costs nothing where
it is not used, and hypothesis is needed only for the strategies)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, tuple[str, ...]], namespace: dict[str, Any], modules: tuple[str, ...] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's `__getattr__` and `__dir__`: each name in `homes` (module -> names) is imported from its module
    when first asked for and kept in `namespace` (the package's globals), and each of `modules` is a submodule."""
    home_of = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        module = home_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *namespace.get("__all__", ())})

    return __getattr__, __dir__
