import numpy as np
import torch

from strokeseg.sampling.augment import elastic_2d, flip_rot
from strokeseg.sampling.balanced import sample_centers
from strokeseg.sampling.config import SamplingConfig
from strokeseg.sampling.extract import extract_patches, pad_for_patches


def masks():
    brain = np.zeros((5, 60, 60), bool)
    brain[:, 5:55, 5:55] = True
    lesion = np.zeros_like(brain)
    lesion[1:4, 20:30, 10:18] = True  # 240 voxels
    return lesion, brain


def _cfg(n, patch, **kw):
    return SamplingConfig(patch_size=list(patch), patches_per_case=n, **kw)


def test_half_lesion_half_healthy_with_bounded_offsets():
    lesion, brain = masks()
    pc = sample_centers(lesion, brain, _cfg(200, (1, 16, 16), offset_axes=[1, 2]), np.random.default_rng(0))
    assert pc.lesion.sum() == 100 and (~pc.lesion).sum() == 100
    assert not pc.repeat.any()  # 240 lesion voxels ≥ 100 needed
    les = pc.centers[pc.lesion]
    # offsets < half a patch in y and x, none in z: the sampled lesion voxel stays in the patch
    near = np.zeros_like(lesion)
    near[1:4, 20 - 7 : 30 + 7, 10 - 7 : 18 + 7] = True
    assert near[tuple(les.T)].all()
    assert np.all(lesion[:, :, :].any(axis=(1, 2))[les[:, 0]])
    hea = pc.centers[~pc.lesion]
    assert brain[tuple(hea.T)].all() and not lesion[tuple(hea.T)].any()
    # regular steps: healthy centres cover every slice of the brain
    assert set(hea[:, 0]) == set(range(5))


def test_offsets_never_leave_the_volume():
    lesion = np.zeros((4, 20, 20), bool)
    lesion[0, 0, 0] = lesion[3, 19, 19] = True
    pc = sample_centers(lesion, np.ones_like(lesion), _cfg(200, (16, 24, 24), offset_axes=[0, 1, 2]), np.random.default_rng(0))
    assert pc.centers.min() >= 0 and np.all(pc.centers < np.array(lesion.shape))


def test_repeats_are_flagged_and_seeded():
    lesion, brain = masks()
    small = np.zeros_like(lesion)
    small[2, 30, 30:33] = True  # 3 lesion voxels
    a = sample_centers(small, brain, _cfg(40, (1, 16, 16)), np.random.default_rng(1))
    b = sample_centers(small, brain, _cfg(40, (1, 16, 16)), np.random.default_rng(1))
    assert np.array_equal(a.centers, b.centers)
    assert a.lesion.sum() == 20 and a.repeat.sum() == 17


def test_no_lesion_means_all_healthy():
    _, brain = masks()
    pc = sample_centers(np.zeros_like(brain), brain, _cfg(30, (1, 16, 16)), np.random.default_rng(0))
    assert pc.lesion.sum() == 0 and len(pc.centers) == 30


def test_extraction_equals_direct_slicing():
    rng = np.random.default_rng(0)
    vol = rng.normal(size=(2, 7, 30, 31)).astype(np.float32)
    size = (3, 8, 9)
    centers = np.array([[0, 0, 0], [3, 15, 15], [6, 29, 30]])
    p = extract_patches(pad_for_patches(vol, size), centers, size)
    padded = np.pad(vol, [(0, 0), (1, 2), (4, 4), (4, 5)])
    for i, (z, y, x) in enumerate(centers):
        np.testing.assert_array_equal(p[i], padded[:, z : z + 3, y : y + 8, x : x + 9])
        np.testing.assert_array_equal(p[i][:, 1, 4, 4], vol[:, z, y, x])  # the centre voxel sits in the middle


def test_augmentations_move_image_and_label_together():
    x = torch.zeros(5, 1, 32, 32)
    y = torch.zeros(5, 32, 32, dtype=torch.long)
    x[:, 0, 5:12, 20:27] = 1.0
    y[:, 5:12, 20:27] = 1
    xo, yo = flip_rot(x, y, torch.tensor([0, 1, 2, 3, 4]))
    assert torch.equal((xo[:, 0] > 0.5).long(), yo)
    assert torch.equal(yo[1], torch.flip(y[1], dims=(-1,)))
    g = torch.Generator().manual_seed(0)
    xe, ye = elastic_2d(x, y, 2.5, 0.12, g)
    assert not torch.equal(xe, x)
    agree = ((xe[:, 0] > 0.5).long() == ye).float().mean()
    assert agree > 0.97  # bilinear image and nearest-neighbour label stay aligned
    g2 = torch.Generator().manual_seed(0)
    xe2, _ = elastic_2d(x, y, 2.5, 0.12, g2)
    assert torch.equal(xe, xe2)  # seeded
