"""Every shipped recipe, found from the catalogue (a new recipe file is covered with no list to edit): it
loads, projects onto its stage configs, survives a YAML round trip, builds its network, and a recipe that has
a ``-fast`` twin keeps the twin's method (network, loss function, target)."""

from __future__ import annotations

import pytest
import torch

from strokeseg.models.registry import build_network
from strokeseg.recipes.recipe import Recipe, load_recipe, shipped_recipes

NAMES = shipped_recipes()


def test_the_catalogue_is_not_empty():
    assert len(NAMES) >= 20


@pytest.mark.parametrize("name", NAMES)
def test_a_shipped_recipe_loads_projects_round_trips_and_builds(name, tmp_path):
    torch.manual_seed(0)
    r = load_recipe(name)
    assert r.name == name and r.description
    assert r.prepare is not None and r.train is not None and r.sampling_plan is not None
    win = r.window()
    assert len(win.window) == 3 and all(w > 0 for w in win.window)
    path = tmp_path / f"{name}.yaml"
    path.write_text(r.to_yaml(), encoding="utf-8")
    again = load_recipe(str(path))
    assert isinstance(again, Recipe) and again.to_dict() == r.to_dict()
    kw = dict(r.network.get("kwargs", {}))
    kw.pop("pretrained", None)  # weights files are not downloaded in tests
    channels = (len(r.modalities) or 2) * (2 if r.symmetric else 1) + len(r.clinical_inputs)  # as the recipe feeds it
    with torch.device("meta"):  # the shapes without the memory or the initialisation time
        net = build_network(r.network["name"], in_channels=channels, num_classes=r.num_classes, **kw)
    assert sum(p.numel() for p in net.parameters()) > 0


@pytest.mark.parametrize("name", [n for n in NAMES if n.endswith("-fast")])
def test_a_fast_recipe_keeps_the_method_of_its_full_twin(name):
    full = name.removesuffix("-fast")
    if full not in NAMES:
        pytest.fail(f"{name} has no full recipe {full}")
    a, b = load_recipe(name), load_recipe(full)
    # the loss's settings may differ, as a fast recipe's header says and measures (slow-fusion's CE term)
    assert (a.network["name"], a.target, a.loss["name"]) == (b.network["name"], b.target, b.loss["name"])


def test_the_recipe_s_defaults_are_the_stage_configs_and_every_shipped_recipe_projects_its_fields():
    from dataclasses import MISSING, fields

    from strokeseg.recipes.recipe import STAGE_FIELDS, Recipe

    def default(cls, name):
        f = next(f for f in fields(cls) if f.name == name)
        return f.default if f.default is not MISSING else f.default_factory()

    def plain(v):
        return list(v) if isinstance(v, (list, tuple)) else v

    for cls, names in STAGE_FIELDS.items():
        for name in names:
            assert plain(default(Recipe, name)) == plain(default(cls, name)), (cls.__name__, name)
    for name in shipped_recipes():
        r = load_recipe(name)
        prep, train = r.prepare, r.train
        for cls, names in STAGE_FIELDS.items():
            stage = prep if cls is type(prep) else train
            for key in names:
                assert plain(getattr(stage, key)) == plain(getattr(r, key)), (name, key)


@pytest.mark.parametrize("name", shipped_recipes())
def test_a_recipe_in_stage_blocks_loads_to_the_same_stage_configs_as_its_flat_keys(name, tmp_path):
    import yaml

    from strokeseg.recipes.recipe import STAGE_BLOCKS

    flat = load_recipe(name)
    d = flat.to_dict()
    blocks = {b: {k: d.pop(k) for k in sorted(keys) if k in d} for b, keys in STAGE_BLOCKS.items()}
    path = tmp_path / "blocks.yaml"
    path.write_text(yaml.safe_dump({**d, **blocks}, sort_keys=False), encoding="utf-8")
    r = load_recipe(path)
    assert r.prepare == flat.prepare and r.train == flat.train
    assert r.sampling_plan == flat.sampling_plan and r.window() == flat.window()


def test_a_stage_block_refuses_a_foreign_key_and_a_key_given_twice(tmp_path):
    from strokeseg.errors import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: clerigues-ct-2d-fast\nname: x\ntrain: {normalization: case}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"train\.normalization is not a field of the train stage"):
        load_recipe(bad)
    bad.write_text("extends: clerigues-ct-2d-fast\nname: x\nepochs: 3\ntrain: {epochs: 4}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="epochs is given twice"):
        load_recipe(bad)
    bad.write_text("extends: clerigues-ct-2d-fast\nname: x\ntrain: {epochs: 4}\n", encoding="utf-8")
    assert load_recipe(bad).train.epochs == 4 and load_recipe(bad, ["train.epochs=5"]).epochs == 5
