"""Recipes: each published method's whole configuration as YAML data, and its typed per-stage views.

Shipped recipes (one per published method and a ``-fast`` variant of each) are the ``*.yaml``
files of this package; any YAML file with the same fields works.
"""

from strokeseg.recipes.recipe import Recipe, check_patch_fits, load_recipe, parse_override, recipe_from_dict, shipped_recipes
from strokeseg.recipes.specs import TrainConfig

__all__ = ["Recipe", "TrainConfig", "check_patch_fits", "load_recipe", "parse_override", "recipe_from_dict", "shipped_recipes"]
