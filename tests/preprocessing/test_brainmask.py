"""Brain masks for learned methods: from the perfusion maps, or from the CTP MIP (slow-fusion paper)."""

import numpy as np
import pytest

from strokeseg.errors import ConfigError, InputError
from strokeseg.io.layouts import open_dataset
from strokeseg.masks.brain import ct_brain_mask
from strokeseg.masks.case import case_brain_mask
from strokeseg.phantom.case import PhantomConfig
from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.run import prepare_dataset
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("mipmask")
    write_phantom_cohort(root, CohortSpec(2, PhantomConfig(slices=2, frames=30), "manifest", seed=3, second_slab_fraction=0.0))
    return root


def _dice(a, b):
    return 2 * (a & b).sum() / (a.sum() + b.sum())


def test_mip_mask_agrees_with_the_maps_mask_and_holds_every_lesion_voxel(cohort):
    ds = open_dataset(cohort)
    lesion_voxels = 0
    for ref in ds.cases:
        case = ds.load(ref)
        lesion_voxels += int((case.label > 0).sum())
        mip = case_brain_mask(case, source="mip")
        maps = case_brain_mask(case, source="maps")
        assert mip.shape == case.label.shape and mip.dtype == bool
        assert _dice(mip, maps) > 0.97
        assert not ((case.label > 0) & ~mip).any()
        assert case.images["MIP"][mip].mean() > 30  # brain tissue, not air (about −1000 HU) or bone
    assert lesion_voxels > 100


def test_a_given_mask_wins_and_a_missing_mip_is_named(cohort):
    ds = open_dataset(cohort)
    case = ds.load(ds.cases[0])
    given = np.zeros(case.label.shape, bool)
    given[1, 100:120, 100:120] = True
    case.brain_mask = given
    assert np.array_equal(case_brain_mask(case, source="mip"), given)
    case.brain_mask = None
    del case.images["MIP"]
    with pytest.raises(InputError, match="brain mask from the CTP MIP, which the case lacks"):
        case_brain_mask(case, source="mip")


def test_a_recipe_with_the_mip_mask_reads_the_mip_without_making_it_a_channel(cohort):
    recipe = load_recipe("slow-fusion-vgg16-fast")
    assert recipe.prepare.brain_mask == "mip" and "MIP" not in recipe.prepare.modalities
    cases = prepare_dataset(cohort, recipe)
    ds = open_dataset(cohort)
    for prep, ref in zip(cases, ds.cases):
        assert "MIP" not in prep.channels
        assert np.array_equal(prep.brain, ct_brain_mask(ds.load(ref).images["MIP"]))
    with pytest.raises(ConfigError, match="brain_mask must be one of 'maps', 'mip'"):
        load_recipe("slow-fusion-vgg16-fast", {"brain_mask": "skull"})
