"""Recipes: each published method's whole configuration as YAML data, and its typed per-stage views.

Shipped recipes (one per published method and a ``-fast`` variant of each) are the ``*.yaml``
files of this package; any YAML file with the same fields works. The names below are loaded on
first use, so that listing the shipped recipes imports no stage.
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "Recipe": "recipe",
    "check_patch_fits": "recipe",
    "load_recipe": "recipe",
    "parse_override": "recipe",
    "recipe_from_dict": "recipe",
    "shipped_recipes": "catalog",
    "TrainConfig": "specs",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(f"strokeseg.recipes.{_API[name]}"), name)
    raise AttributeError(f"module 'strokeseg.recipes' has no attribute {name!r}")
