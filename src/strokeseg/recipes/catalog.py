"""The names of the shipped recipes (the ``*.yaml`` files of this package), without importing any stage."""

from __future__ import annotations

from importlib import resources


def shipped_recipes() -> list[str]:
    """The names of the recipes shipped with strokeseg, sorted."""
    return sorted(p.name[:-5] for p in resources.files("strokeseg.recipes").iterdir() if p.name.endswith(".yaml"))
