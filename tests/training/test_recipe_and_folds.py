import functools
import operator

import pytest

from strokeseg.errors import ConfigError
from strokeseg.recipes.recipe import load_recipe, shipped_recipes
from strokeseg.training.folds import grouped_folds, validation_split


def test_shipped_recipes_load_with_paper_values():
    assert {"clerigues-ct-2d", "clerigues-ct-2d-fast", "clerigues-mri-3d", "clerigues-mri-3d-fast"} <= set(shipped_recipes())
    ct = load_recipe("clerigues-ct-2d")
    assert ct.sampling.patch_size == [1, 64, 64] and ct.train.batch_size == 64 and ct.train.patience == 10
    assert ct.train.loss.name == "gdl+ce" and ct.train.optimizer.name == "adadelta" and ct.prepare.target == "core"
    assert ct.inference.mc_passes == 3 and ct.inference.mc_dropout == 0.1 and ct.train.network.kwargs["base_filters"] == 8
    mri = load_recipe("clerigues-mri-3d")
    assert mri.sampling.patch_size == [16, 24, 24] and mri.train.batch_size == 16 and mri.train.patience == 8
    assert mri.to_dict()["loss"] == {"name": "focal", "kwargs": {"gamma": 2.0, "alpha": [0.25, 0.75]}} and mri.inference.step == [1, 4, 4]
    assert mri.dims == 3 and ct.dims == 2
    # regularised with dropout (§1), at the rate of the authors' code, in the three deeper levels; one pass at prediction
    assert mri.train.network.kwargs["dropout"] == 0.2 and mri.train.network.kwargs["mc_levels"] == 3 and mri.inference.mc_passes == 1


def test_fast_variant_extends_and_overrides():
    r = load_recipe("clerigues-ct-2d-fast", ["epochs=2", "sampling.patches_per_case=7", "optimizer.name=adam"])
    assert r.train.epochs == 2 and r.sampling.patches_per_case == 7 and r.train.optimizer.name == "adam"
    assert r.train.loss.name == "gdl+ce"  # inherited


def test_recipe_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown recipe"):
        load_recipe("nope")
    with pytest.raises(ConfigError, match="unknown field"):
        load_recipe("clerigues-ct-2d", ["colour=blue"])
    f = tmp_path / "r.yaml"
    f.write_text("name: x\ntarget: spleen\nnetwork: {name: asym-resunet}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="target must be one of"):
        load_recipe(f)


def test_folds_never_split_a_patient():
    cases = [f"c{i}" for i in range(11)]
    patients = ["a", "a", "b", "c", "c", "c", "d", "e", "f", "g", "g"]
    folds = grouped_folds(cases, patients, 3, seed=1)
    assert sorted(functools.reduce(operator.iadd, folds, [])) == sorted(cases)
    owner = {c: p for c, p in zip(cases, patients)}
    for p in set(patients):
        assert sum(any(owner[c] == p for c in f) for f in folds) == 1
    assert max(map(len, folds)) - min(map(len, folds)) <= 2
    tr, va = validation_split(cases, patients, 0.2, seed=0)
    assert set(tr).isdisjoint(va) and va and {owner[c] for c in tr}.isdisjoint({owner[c] for c in va})


def test_intensity_clip_and_precise_bn_are_validated_and_overridable():
    r = load_recipe("clerigues-ct-2d-fast")
    assert r.prepare.intensity_clip == (0.5, 99.5) and r.train.precise_bn == 1024
    r = load_recipe("clerigues-ct-2d-fast", ["intensity_clip=null", "precise_bn=0"])
    assert r.prepare.intensity_clip is None and r.train.precise_bn == 0
    with pytest.raises(ConfigError, match="intensity_clip must be two percentiles"):
        load_recipe("clerigues-ct-2d-fast", ["intensity_clip=[99, 1]"])
    with pytest.raises(ConfigError, match="precise_bn must be"):
        load_recipe("clerigues-ct-2d-fast", ["precise_bn=-1"])
    with pytest.raises(ConfigError, match="normalization must be"):
        load_recipe("clerigues-ct-2d-fast", ["normalization=global"])
