"""PatchData: the flat-index gather used on a GPU gives exactly the batches of the NumPy gather."""

import numpy as np
import torch

from strokeseg.preprocessing.normalization import Normalizer
from strokeseg.training.data import PatchData
from strokeseg.training.recipe import load_recipe
from tests.training.conftest import synthetic_case


def _data(recipe, seed=3):
    cases = [synthetic_case(i, shape=(3 + i % 2, 40 + 2 * i, 38)) for i in range(4)]  # different shapes per case
    norm = Normalizer(cases[0].channels, "dataset")
    norm.fit((c.x, c.brain) for c in cases)
    return PatchData(cases, recipe, norm, seed)


def test_flat_gather_matches_numpy_gather_with_every_augmentation():
    recipe = load_recipe("clerigues-ct-2d-fast", {
        "sampling.patch_size": [1, 16, 16], "sampling.patches_per_case": 20, "symmetric": False,
        "augmentation.apply_to": "all", "augmentation.sagittal_flip": True, "augmentation.rot90": True,
        "augmentation.affine": {"rotate_deg": 10, "translate": 0.1, "scale": [0.9, 1.1], "flip": True}})
    ref, flat = _data(recipe), _data(recipe).to("cpu")
    got_ref = list(ref.batches(2, 16, seed=5))
    got_flat = list(flat.batches(2, 16, seed=5))
    assert len(got_ref) == len(got_flat) == 5
    for (xa, ya, wa), (xb, yb, wb) in zip(got_ref, got_flat):
        assert xa.shape == xb.shape == (16, 2, 16, 16) and ya.dtype == yb.dtype == torch.int64
        torch.testing.assert_close(xa, xb)
        assert torch.equal(ya, yb) and torch.equal(wa, wb)


def test_flat_gather_of_3d_patches():
    recipe = load_recipe("clerigues-mri-3d-fast", {"sampling.patch_size": [2, 8, 8], "sampling.patches_per_case": 10,
                                                    "symmetric": False, "modalities": ["m0", "m1"]})
    ref, flat = _data(recipe), _data(recipe).to("cpu")
    sel = np.arange(len(ref))
    sel = sel[np.argsort(ref.patches.case_index[sel], kind="stable")]
    xa, ya = ref.gather(sel)
    xb, yb = flat.gather(sel)
    assert xa.shape == (40, 2, 2, 8, 8)
    torch.testing.assert_close(xa, xb)
    assert torch.equal(ya, yb)
