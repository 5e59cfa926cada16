"""Public names of a package, imported from their modules on first use (PEP 562), so that importing a
package stays light (``strokeseg --help`` never loads torch) while ``from strokeseg.<pkg> import name`` works."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose public ``names`` live in the given modules
    (``{"compute_maps": "strokeseg.perfusion.maps", …}``)."""

    def getattr_(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(names[name]), name)

    def dir_() -> list[str]:
        return sorted(names)

    return getattr_, dir_
