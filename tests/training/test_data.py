"""PatchData: the flat-index gather used on a GPU gives exactly the batches of the NumPy gather."""

import numpy as np
import torch

from strokeseg.preprocessing.normalization import Normalizer
from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.data import PatchData
from tests.helpers import synthetic_case


def _data(recipe, seed=3):
    cases = [synthetic_case(i, shape=(3 + i % 2, 40 + 2 * i, 38)) for i in range(4)]  # different shapes per case
    norm = Normalizer(cases[0].channels, "dataset")
    norm.fit((c.x, c.brain) for c in cases)
    return PatchData(cases, recipe.sampling_plan, norm, seed)


def test_flat_gather_matches_numpy_gather_with_every_augmentation():
    recipe = load_recipe(
        "clerigues-ct-2d-fast",
        {
            "sampling.patch_size": [1, 16, 16],
            "sampling.patches_per_case": 20,
            "symmetric": False,
            "augmentation.apply_to": "all",
            "augmentation.sagittal_flip": True,
            "augmentation.rot90": True,
            "augmentation.affine": {"rotate_deg": 10, "translate": 0.1, "scale": [0.9, 1.1], "flip": True},
        },
    )
    ref, flat = _data(recipe), _data(recipe).to("cpu")
    got_ref = list(ref.batches(2, 16, seed=5))
    got_flat = list(flat.batches(2, 16, seed=5))
    assert len(got_ref) == len(got_flat) == 5
    for (xa, ya, wa), (xb, yb, wb) in zip(got_ref, got_flat):
        assert xa.shape == xb.shape == (16, 2, 16, 16) and ya.dtype == yb.dtype == torch.int64
        torch.testing.assert_close(xa, xb)
        assert torch.equal(ya, yb) and torch.equal(wa, wb)


def test_flat_gather_of_3d_patches():
    recipe = load_recipe(
        "clerigues-mri-3d-fast",
        {
            "sampling.patch_size": [2, 8, 8],
            "inference.step": [2, 8, 8],
            "sampling.patches_per_case": 10,
            "symmetric": False,
            "modalities": ["m0", "m1"],
        },
    )
    ref, flat = _data(recipe), _data(recipe).to("cpu")
    sel = np.arange(len(ref))
    sel = sel[np.argsort(ref.patches.case_index[sel], kind="stable")]
    xa, ya = ref.gather(sel)
    xb, yb = flat.gather(sel)
    assert xa.shape == (40, 2, 2, 8, 8)
    torch.testing.assert_close(xa, xb)
    assert torch.equal(ya, yb)


def test_validation_focal_tversky_is_pooled_so_predicting_nothing_is_not_ranked_best():
    """The set's loss comes from sums pooled over every batch: predicting nothing scores about 1, the worst."""
    from torch import nn

    from strokeseg.losses import FocalTversky
    from strokeseg.training.trainer import evaluate_patches

    recipe = load_recipe(
        "clerigues-ct-2d-fast",
        {"sampling.patch_size": [1, 16, 16], "sampling.patches_per_case": 40, "sampling.lesion_fraction": 0.0, "symmetric": False},
    )
    data = _data(recipe)

    class Fixed(nn.Module):  # logits from a rule on the input: channel 0 is bright on the lesion
        def __init__(self, mode):
            super().__init__()
            self.mode, self.dummy = mode, nn.Parameter(torch.zeros(1))

        def forward(self, x):
            if self.mode == "nothing":
                lesion = torch.full_like(x[:, 0], -8.0)
            else:
                lesion = 8.0 * (x[:, 0] - 2.0)
            return torch.stack([torch.zeros_like(lesion), lesion], 1)

    ftl = FocalTversky(0.7, 0.3, 4.0 / 3.0, include_background=False)
    nothing = evaluate_patches(Fixed("nothing"), data, ftl, 2, torch.device("cpu"))
    good = evaluate_patches(Fixed("rule"), data, ftl, 2, torch.device("cpu"))
    assert good["val_dice"] > 0.5 and nothing["val_dice"] == 0.0
    assert nothing["val_loss"] > 0.9 > good["val_loss"]


def test_patches_are_whitened_as_inference_whitens_the_whole_case():
    """In both normalisation modes a training patch equals the same window of ``normalizer(case)``
    (the whole-volume whitening that prediction uses): clipping, statistics and masking agree."""
    from strokeseg.sampling.extract import extract_patches, pad_for_patches

    recipe = load_recipe("clerigues-ct-2d-fast", {"sampling.patch_size": [1, 16, 16], "sampling.patches_per_case": 12, "symmetric": False})
    cases = [synthetic_case(i, shape=(3, 40, 38)) for i in range(3)]
    for c in cases:
        c.x[1][c.brain & (np.arange(38) % 9 == 0)] = 500.0  # vessel-like outliers the clip must bound
    for mode in ("dataset", "case"):
        norm = Normalizer(cases[0].channels, mode, clip=(1.0, 99.0))
        if mode == "dataset":
            norm.fit((c.x, c.brain) for c in cases)
        data = PatchData(cases, recipe.sampling_plan, norm, seed=0, augment=False)
        sel = np.arange(len(data))
        x, _ = data.gather(sel)
        for k in (0, len(data) // 2, len(data) - 1):
            ci = int(data.patches.case_index[k])
            whole = pad_for_patches(norm(cases[ci].x, cases[ci].brain), (1, 16, 16))
            want = extract_patches(whole, data.patches.centers[k : k + 1], (1, 16, 16))[0, :, 0]
            np.testing.assert_allclose(x[k].numpy(), want, atol=1e-5, err_msg=mode)
        assert float(x[:, 1].max()) < 10.0  # the outliers were clipped, not 30+ σ


def test_whole_slice_samples_smaller_than_the_slices_are_refused_with_the_case_and_the_fix():
    import pytest

    from strokeseg.errors import ConfigError

    recipe = load_recipe("adversarial-segnet-fast", {"modalities": ["m0", "m1"], "reference": "m0"})
    case = synthetic_case(0, shape=(3, 40, 40))  # brain rows/columns 4-35, lesion at rows 12-17
    norm = Normalizer(case.channels, "dataset")
    norm.fit([(case.x, case.brain)])
    from dataclasses import replace

    recipe = replace(
        recipe, sampling=replace(recipe.sampling, patch_size=[1, 16, 16]), inference=replace(recipe.inference, step=[1, 16, 16])
    )  # keeps rows/columns 12-27: most of the brain and part of the lesion cropped
    with pytest.raises(
        ConfigError,
        match=r"case c0: its 40x40 slices do not fit the recipe's 16x16 whole-slice samples.*"
        r"sampling.patch_size to at least \[1, 40, 40\]",
    ):
        PatchData([case], recipe.sampling_plan, norm, 0)
    recipe = replace(
        recipe, sampling=replace(recipe.sampling, patch_size=[1, 40, 40]), inference=replace(recipe.inference, step=[1, 40, 40])
    )
    assert len(PatchData([case], recipe.sampling_plan, norm, 0)) == 3  # one sample per brain slice


def test_a_batch_of_one_trains_every_sample_and_only_a_lone_leftover_is_skipped():
    # the PSPNet paper's 3D U-Net and V-Net train on one full image per batch: every sample must be a batch
    recipe = load_recipe("clerigues-ct-2d-fast", {"sampling.patch_size": [1, 16, 16], "sampling.patches_per_case": 5, "symmetric": False})
    data = _data(recipe)
    n = len(data)
    assert n == 20
    assert sum(x.shape[0] for x, _, _ in data.batches(0, 1, seed=1)) == n
    sizes = [x.shape[0] for x, _, _ in data.batches(0, 3, seed=1)]  # 20 = 6 × 3 + 2: no lone leftover
    assert sizes == [3] * 6 + [2]
    sizes = [x.shape[0] for x, _, _ in data.batches(0, 19, seed=1)]  # 20 = 19 + 1: the lone one waits for the next epoch
    assert sizes == [19]
