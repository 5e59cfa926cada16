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
    assert isinstance(again, Recipe) and again.to_dict() == r.to_dict() and again == r
    kw = dict(r.train.network.kwargs)
    kw.pop("pretrained", None)  # weights files are not downloaded in tests
    p = r.prepare
    channels = (len(p.modalities) or 2) * (2 if p.symmetric else 1) + len(p.clinical_inputs)  # as the recipe feeds it
    with torch.device("meta"):  # the shapes without the memory or the initialisation time
        net = build_network(r.train.network.name, in_channels=channels, num_classes=r.num_classes, **kw)
    assert sum(p.numel() for p in net.parameters()) > 0


@pytest.mark.parametrize("name", [n for n in NAMES if n.endswith("-fast")])
def test_a_fast_recipe_keeps_the_method_of_its_full_twin(name):
    full = name.removesuffix("-fast")
    if full not in NAMES:
        pytest.fail(f"{name} has no full recipe {full}")
    a, b = load_recipe(name), load_recipe(full)
    # the loss's settings may differ, as a fast recipe's header says and measures (slow-fusion's CE term)
    assert (a.train.network.name, a.prepare.target, a.train.loss.name) == (b.train.network.name, b.prepare.target, b.train.loss.name)


def test_the_recipe_is_made_of_its_stage_configs_and_each_default_lives_there_once():
    from dataclasses import fields

    from strokeseg.preprocessing.config import PrepareConfig
    from strokeseg.recipes.recipe import PREPARE_KEYS, TRAIN_KEYS, field_defaults
    from strokeseg.recipes.specs import TrainConfig

    own = {f.name for f in fields(Recipe)}
    assert {"prepare", "train"} <= own and not own & (set(PREPARE_KEYS) | set(TRAIN_KEYS))  # no flat copy of a stage field
    assert set(PREPARE_KEYS) <= {f.name for f in fields(PrepareConfig)} and set(TRAIN_KEYS) <= {f.name for f in fields(TrainConfig)}
    defaults, prep, train = field_defaults(), PrepareConfig(), TrainConfig()
    assert defaults["epochs"] == train.epochs and defaults["batch_size"] == train.batch_size and defaults["amp"] == train.amp.value
    assert defaults["intensity_clip"] == list(prep.intensity_clip or ()) and defaults["normalization"] == prep.normalization.value
    assert defaults["loss"] == {"name": train.loss.name, "kwargs": {}} and "network" not in defaults  # a recipe must name one
    for name in shipped_recipes():
        r = load_recipe(name)
        assert (r.prepare.name, r.train.name) == (name, name) and r.train.num_classes == r.num_classes
        flat = r.to_dict()
        for key in PREPARE_KEYS:
            assert flat[key] == _plain(getattr(r.prepare, key)), (name, key)
        assert flat["epochs"] == r.train.epochs and flat["network"]["name"] == r.train.network.name, name


def _plain(v):
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    return v.value if hasattr(v, "value") else v


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
    assert load_recipe(bad).train.epochs == 4 and load_recipe(bad, ["train.epochs=5"]).train.epochs == 5


def test_a_recipe_mapping_with_stage_blocks_loads_as_its_flat_form():
    """What a bundle's recipe.yaml may hold: the blocks are read as the flat keys they alias."""
    from strokeseg.recipes.recipe import recipe_from_dict

    flat = load_recipe("clerigues-ct-2d-fast").to_dict()
    blocked = {k: v for k, v in flat.items() if k not in ("epochs", "target")}
    blocked["train"], blocked["prepare"] = {"epochs": flat["epochs"]}, {"target": flat["target"]}
    assert recipe_from_dict(blocked, "x") == recipe_from_dict(flat, "x")
