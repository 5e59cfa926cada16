"""Loading a dataset for a recipe (cases prepared once, with a progress bar)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from strokeseg.errors import InputError
from strokeseg.io.case import load_case
from strokeseg.io.layouts import open_dataset
from strokeseg.preprocessing.prepare import PreparedCase, modalities_to_load, prepare_case, recipe_modalities
from strokeseg.recipes.recipe import Recipe, check_patch_fits
from strokeseg.util.progress import progress


def prepare_dataset(
    data: Path,
    recipe: Recipe,
    layout: str | None = None,
    label_map: Mapping[int, int] | None = None,
    nonfinite: str = "error",
    use_cache: bool = True,
) -> list[PreparedCase]:
    """Every labelled case of ``data`` loaded and prepared for ``recipe`` (channels the cases share)."""
    ds = open_dataset(data, layout, label_map)
    refs = [r for r in ds.cases if r.label is not None]
    if not refs:
        raise InputError("no case of this dataset has a ground-truth label to train on", data)
    mods = recipe_modalities(recipe.prepare, sorted(set.intersection(*(set(r.images) for r in refs))))
    out = []
    for ref in progress(refs, desc="preparing cases", unit="case"):
        case = load_case(ref, modalities=modalities_to_load(recipe.prepare, mods), nonfinite=nonfinite)
        check_patch_fits(recipe, case.geometry.shape, case.case_id)
        out.append(prepare_case(case, recipe.prepare, mods, use_cache=use_cache))
    return out
