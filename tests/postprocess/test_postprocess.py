import numpy as np

from strokeseg.postprocess import binarize, grid_table


def test_binarize_threshold_brain_and_components():
    p = np.zeros((3, 20, 20), np.float32)
    p[1, 2:8, 2:8] = 0.9  # 36 voxels
    p[1, 15, 15] = 0.95  # a single voxel
    p[1, 10:12, 10:12] = 0.4  # below threshold
    brain = np.ones_like(p, bool)
    brain[1, 2:4] = False
    m = binarize(p, 0.5, min_size=5, brain=brain)
    assert m.sum() == 24 and not m[1, 15, 15] and not m[1, 10, 10]
    assert binarize(p, 0.5, min_size_mm3=10.0, voxel_mm3=5.0).sum() == 36  # 2 voxels minimum


def test_grid_search_finds_the_right_threshold_and_size():
    truth = np.zeros((1, 30, 30), bool)
    truth[0, 5:15, 5:15] = True
    prob = np.where(truth, 0.7, 0.2).astype(np.float32)  # T = 0.1 keeps everything
    prob[0, 25, 25] = 0.9  # a speck that S_min must remove
    prob[0, 18:22, 20:24] = 0.45  # a 16-voxel blob that only T ≥ 0.5 removes (T = 0.8 loses the lesion)
    t = grid_table([prob], [truth], [None], [(5.0, 1.0, 1.0)], ["a"], [0.1, 0.3, 0.5, 0.8], [1, 10])
    thr, smin, score = t.best()
    assert thr == 0.5 and smin == 10 and score == 0.5  # perfect: the published formula peaks at 0.5
    assert t.dice.shape == (1, 4, 2)
