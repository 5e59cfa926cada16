"""Whole-slice sampling and the PSPNet paper's affine augmentation."""

import numpy as np
import torch

from strokeseg.sampling.augment import random_affine_2d
from strokeseg.sampling.slices import slice_centers


def test_slices_without_brain_are_skipped_and_centred_in_plane():
    brain = np.zeros((5, 40, 30), bool)
    brain[1:4, 10:30, 5:25] = True
    lesion = np.zeros_like(brain)
    lesion[2, 15:18, 8:12] = True
    pc = slice_centers(lesion, brain, (1, 64, 64))
    assert pc.centers.tolist() == [[1, 20, 15], [2, 20, 15], [3, 20, 15]]
    assert pc.lesion.tolist() == [False, True, False]


def test_two_slice_slabs_stay_inside_the_volume():
    brain = np.ones((4, 8, 8), bool)
    pc = slice_centers(np.zeros_like(brain), brain, (2, 8, 8))
    # a slab centred at z covers [z − 1, z + 1): z = 1, 2, 3 → slabs (0,1), (1,2), (2,3)
    assert pc.centers[:, 0].tolist() == [1, 2, 3]
    one = slice_centers(np.zeros((1, 8, 8), bool), np.ones((1, 8, 8), bool), (2, 8, 8))
    assert len(one.centers) == 1  # a single-slice volume still gives one (padded) slab


def test_affine_identity_and_flip():
    x = torch.randn(3, 2, 16, 16)
    y = (torch.rand(3, 16, 16) > 0.7).long() * 2
    g = torch.Generator().manual_seed(0)
    xo, yo = random_affine_2d(x, y, g, rotate_deg=0, translate=0, scale=(1.0, 1.0), flip=False)
    assert torch.allclose(xo, x, atol=1e-5) and torch.equal(yo, y)


def test_affine_is_seeded_keeps_label_values_and_moves_image_and_label_together():
    x = torch.zeros(4, 1, 32, 32)
    x[:, :, 10:20, 12:22] = 1.0
    y = (x[:, 0] > 0.5).long() * 2
    a = random_affine_2d(x, y, torch.Generator().manual_seed(3))
    b = random_affine_2d(x, y, torch.Generator().manual_seed(3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    xo, yo = a
    assert set(torch.unique(yo).tolist()) <= {0, 2}
    # where the label is lesion, the (interpolated) image is bright: the two moved together
    assert float(xo[:, 0][yo == 2].mean()) > 0.9
    assert not torch.equal(yo, y)  # something moved


def test_outside_slice_window_counts_the_voxels_a_centred_crop_drops():
    from strokeseg.sampling.slices import outside_slice_window

    mask = np.zeros((2, 10, 12), bool)
    mask[:, 4:6, 5:7] = True  # central block: inside any window of 4x4 and more
    assert outside_slice_window(mask, (1, 4, 4)) == 0
    mask[1, 0, 0] = True  # a corner voxel: outside a 4x4 window (rows 3-6, columns 4-7), inside a 10x12 one
    assert outside_slice_window(mask, (1, 4, 4)) == 1
    assert outside_slice_window(mask, (1, 10, 12)) == 0
    assert outside_slice_window(mask, (1, 16, 16)) == 0  # a larger window pads
