import math

import numpy as np
import pytest

from strokeseg.evaluation import binary_metrics, evaluate_labels, isles15_score, lesion_counts
from strokeseg.evaluation.surface import surface_distances


def test_hand_computed_two_boxes():
    t = np.zeros((1, 10, 10), bool)
    p = np.zeros((1, 10, 10), bool)
    t[0, 2:6, 2:6] = True  # 16 voxels
    p[0, 2:6, 4:8] = True  # 16 voxels, 8 overlap
    m = binary_metrics(p, t, (5.0, 1.0, 2.0))
    assert m.dice == pytest.approx(0.5)
    assert m.precision == pytest.approx(0.5) and m.sensitivity == pytest.approx(0.5)
    # surfaces shifted by 2 columns of 2 mm: the farthest surface voxel is 4 mm away
    assert m.hd == pytest.approx(4.0)
    assert m.vol_true_ml == pytest.approx(16 * 10 / 1000) and m.vol_diff_ml == 0.0
    assert m.lesion_f1 == 1.0 and m.n_lesions_true == 1 and m.n_lesions_pred == 1


def test_both_empty_rule():
    z = np.zeros((3, 4, 5), bool)
    m = binary_metrics(z, z, (1, 1, 1))
    assert (m.dice, m.hd, m.hd95, m.assd, m.vol_diff_ml, m.abs_vol_diff_ml) == (1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert m.lesion_f1 == 1.0 and not m.failure
    assert m.isles15_score == pytest.approx(0.5)


@pytest.mark.parametrize("which", ["pred", "truth"])
def test_exactly_one_empty_is_a_failure(which):
    z = np.zeros((3, 4, 5), bool)
    a = z.copy()
    a[1, 1:3, 1:3] = True
    p, t = (z, a) if which == "pred" else (a, z)
    m = binary_metrics(p, t, (2, 1, 1))
    assert m.dice == 0.0 and m.failure
    assert math.isnan(m.hd) and math.isnan(m.hd95) and math.isnan(m.assd)
    assert m.abs_vol_diff_ml == pytest.approx(4 * 2 / 1000)
    assert m.lesion_f1 == 0.0 and m.isles15_score == 0.0


def test_lesionwise_hand_counts():
    t = np.zeros((1, 12, 12), bool)
    p = np.zeros((1, 12, 12), bool)
    t[0, 1:3, 1:3] = True  # lesion A: hit
    t[0, 8:10, 8:10] = True  # lesion B: missed
    p[0, 2:4, 2:4] = True  # overlaps A
    p[0, 5, 10] = True  # false positive
    p[0, 10, 0] = True  # false positive
    c = lesion_counts(p, t)
    assert (c.n_truth, c.n_pred, c.tp, c.fp, c.fn) == (2, 3, 1, 2, 1)
    assert c.f1 == pytest.approx(1 / (1 + 3 / 2))
    assert c.count_difference == 1


def test_26_connectivity_joins_diagonal_voxels():
    m = np.zeros((3, 3, 3), bool)
    m[0, 0, 0] = m[1, 1, 1] = m[2, 2, 2] = True
    assert lesion_counts(m, m).n_truth == 1


def test_surface_distances_crop_is_exact():
    rng = np.random.default_rng(3)
    a = rng.random((6, 30, 30)) > 0.995
    b = rng.random((6, 30, 30)) > 0.995
    d1, d2 = surface_distances(a, b, (3.0, 1.0, 1.0))
    # brute force over point sets
    pa = np.argwhere(a) * [3.0, 1.0, 1.0]
    pb = np.argwhere(b) * [3.0, 1.0, 1.0]
    dist = np.sqrt(((pa[:, None] - pb[None]) ** 2).sum(-1))
    np.testing.assert_allclose(np.sort(d1), np.sort(dist.min(1)))
    np.testing.assert_allclose(np.sort(d2), np.sort(dist.min(0)))


def test_isles15_score_formula():
    assert isles15_score(0.8, 20.0) == pytest.approx(0.8 * 0.9 / (0.8 + 0.9))
    assert isles15_score(0.8, 250.0) == 0.0
    assert isles15_score(0.8, float("nan")) == 0.0


def test_evaluate_labels_regions():
    t = np.zeros((2, 6, 6), np.uint8)
    t[:, 1:5, 1:5] = 1
    t[:, 2:4, 2:4] = 2
    p = t.copy()
    p[p == 1] = 0  # core right, penumbra missed
    out = evaluate_labels(p, t, (1, 1, 1))
    assert out["core"].dice == 1.0
    assert out["penumbra"].failure and out["penumbra"].dice == 0.0
    assert out["hypoperfused"].dice == pytest.approx(2 * 8 / (8 + 32))
