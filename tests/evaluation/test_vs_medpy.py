"""Our metrics equal MedPy's (medpy.metric.binary) to 1e-6 on random and real masks."""

import numpy as np
import pytest
from scipy import ndimage

medpy_binary = pytest.importorskip("medpy.metric.binary", reason="MedPy is a test dependency")

from strokeseg.evaluation import (  # noqa: E402
    assd,
    assd_pooled,
    binary_metrics,
    dice,
    hausdorff,
    hd95,
    precision,
    sensitivity,
)
from strokeseg.io.read import read_image  # noqa: E402


def random_mask_pair(seed: int, shape=(9, 40, 37)):
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=(1, 3, 3))
    base /= base.std()
    truth = base > 0.3
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=(1, 2, 2))
    noise /= noise.std()
    pred = (base + 0.5 * noise) > 0.25
    return pred, truth


def check_all(pred, truth, spacing):
    assert dice(pred, truth) == pytest.approx(medpy_binary.dc(pred, truth), abs=1e-6)
    assert precision(pred, truth) == pytest.approx(medpy_binary.precision(pred, truth), abs=1e-6)
    assert sensitivity(pred, truth) == pytest.approx(medpy_binary.recall(pred, truth), abs=1e-6)
    assert hausdorff(pred, truth, spacing) == pytest.approx(medpy_binary.hd(pred, truth, voxelspacing=spacing), abs=1e-6)
    assert hd95(pred, truth, spacing) == pytest.approx(medpy_binary.hd95(pred, truth, voxelspacing=spacing), abs=1e-6)
    # ISLES's ASSD: the mean of MedPy's directed ASDs (MedPy <= 0.4 assd); MedPy 0.5 assd is the pooled mean
    asd_pt = medpy_binary.asd(pred, truth, voxelspacing=spacing)
    asd_tp = medpy_binary.asd(truth, pred, voxelspacing=spacing)
    assert assd(pred, truth, spacing) == pytest.approx((asd_pt + asd_tp) / 2, abs=1e-6)
    assert assd_pooled(pred, truth, spacing) == pytest.approx(medpy_binary.assd(pred, truth, voxelspacing=spacing), abs=1e-6)
    m = binary_metrics(pred, truth, spacing)
    assert m.hd == pytest.approx(medpy_binary.hd(pred, truth, voxelspacing=spacing), abs=1e-6)
    assert m.hd95 == pytest.approx(medpy_binary.hd95(pred, truth, voxelspacing=spacing), abs=1e-6)
    assert m.assd == pytest.approx((asd_pt + asd_tp) / 2, abs=1e-6)
    assert m.assd_pooled == pytest.approx(medpy_binary.assd(pred, truth, voxelspacing=spacing), abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("spacing", [(5.0, 0.8, 0.9), (1.0, 1.0, 1.0), (2.0, 2.0, 2.0)])
def test_random_masks(seed, spacing):
    pred, truth = random_mask_pair(seed)
    assert pred.any() and truth.any()
    check_all(pred, truth, spacing)


def test_masks_touching_the_volume_border():
    pred, truth = random_mask_pair(11)
    pred[0] = True
    truth[:, :, -1] = True
    check_all(pred, truth, (5.0, 0.9, 0.9))


def test_single_voxel_and_2d():
    a = np.zeros((1, 20, 20), bool)
    b = np.zeros((1, 20, 20), bool)
    a[0, 3, 4] = True
    b[0, 15, 17] = True
    check_all(a, b, (5.0, 1.0, 1.0))


def test_real_masks_from_isles22(isles22_case):
    dwi = read_image(next(isles22_case.rglob("*_dwi.nii.gz")))
    adc = read_image(next(isles22_case.rglob("*_adc.nii.gz")))
    brain = dwi.array > np.percentile(dwi.array, 60)
    pred = brain & (dwi.array > np.percentile(dwi.array[brain], 90))
    truth = brain & (adc.array < np.percentile(adc.array[brain], 12))
    check_all(pred, truth, dwi.geometry.spacing_zyx)


@pytest.mark.parametrize("seed", [3, 4])
def test_kd_tree_and_distance_transforms_give_medpys_distances(seed, monkeypatch):
    """Both nearest-surface routes (forced by the box-size switch) equal MedPy to 1e-9 mm, masks at the image edge included."""
    from strokeseg.evaluation import surface

    pred, truth = random_mask_pair(seed, shape=(12, 48, 44))
    pred[:, 0, :] |= truth[:, 1, :]  # touch the array border: its voxels are surface, as in MedPy
    spacing = (4.8, 0.9, 1.1)
    by_edt = surface.surface_distances(pred, truth, spacing)
    monkeypatch.setattr(surface, "KD_TREE_MIN_VOXELS", 0)
    by_tree = surface.surface_distances(pred, truth, spacing)
    for a, b in zip(by_edt, by_tree):
        assert a.shape == b.shape and np.allclose(np.sort(a), np.sort(b), atol=1e-9)
    assert hausdorff(pred, truth, spacing) == pytest.approx(medpy_binary.hd(pred, truth, voxelspacing=spacing), abs=1e-9)
    assert hd95(pred, truth, spacing) == pytest.approx(medpy_binary.hd95(pred, truth, voxelspacing=spacing), abs=1e-9)
    assert assd_pooled(pred, truth, spacing) == pytest.approx(medpy_binary.assd(pred, truth, voxelspacing=spacing), abs=1e-9)


def test_metrics_inside_the_union_box_equal_the_full_volume():
    """Cropping to the box of both masks changes no count: a small pair in a large volume scores as MedPy does."""
    pred, truth = random_mask_pair(7, shape=(6, 20, 18))
    big_p = np.zeros((20, 90, 80), bool)
    big_t = np.zeros((20, 90, 80), bool)
    big_p[7:13, 30:50, 40:58] = pred
    big_t[7:13, 30:50, 40:58] = truth
    m = binary_metrics(big_p, big_t, (2.0, 1.0, 1.0))
    assert m.dice == pytest.approx(medpy_binary.dc(big_p, big_t), abs=1e-12)
    assert m.hd95 == pytest.approx(medpy_binary.hd95(big_p, big_t, voxelspacing=(2.0, 1.0, 1.0)), abs=1e-9)
    assert m.n_lesions_true == binary_metrics(pred, truth, (2.0, 1.0, 1.0)).n_lesions_true
