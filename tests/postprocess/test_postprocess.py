import numpy as np

from strokeseg.postprocess import binarize, grid_table
from strokeseg.postprocess.config import PostprocessConfig as G


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
    t = grid_table([prob], [truth], [None], [(5.0, 1.0, 1.0)], ["a"], G([0.1, 0.3, 0.5, 0.8], [1, 10]))
    thr, smin, score = t.best()
    assert thr == 0.5 and smin == 10 and score == 0.5  # perfect: the published formula peaks at 0.5
    assert t.dice.shape == (1, 4, 2)


def test_grid_search_measures_hd_in_voxels_where_the_paper_does():
    """Clèrigues 2020 normalises HD by 200 *voxels*: on 2 × 3 × 3 mm voxels the same miss is 3 voxels, 9 mm."""
    import pytest

    from strokeseg.evaluation.metrics import isles15_score

    truth = np.zeros((1, 30, 30), bool)
    truth[0, 5:15, 5:15] = True
    prob = np.where(truth, 0.7, 0.2).astype(np.float32)
    prob[0, 5:15, 15:18] = 0.7  # three columns too wide: HD 3 voxels along x
    mm = grid_table([prob], [truth], [None], [(2.0, 3.0, 3.0)], ["a"], G([0.5], [1]))
    vox = grid_table([prob], [truth], [None], [(2.0, 3.0, 3.0)], ["a"], G([0.5], [1], hd_units="voxels", hd_max=200))
    assert mm.hd[0, 0, 0] == pytest.approx(9.0) and vox.hd[0, 0, 0] == pytest.approx(3.0)
    assert vox.score()[0, 0] == pytest.approx(isles15_score(vox.dice[0, 0, 0], 3.0, 200.0))
    assert vox.hd_units == "voxels" and vox.hd_max == 200
    empty = grid_table([np.zeros_like(prob)], [truth], [None], [(2.0, 3.0, 3.0)], ["a"], G([0.5], [1], hd_units="voxels", hd_max=50))
    assert empty.hd[0, 0, 0] == 50  # a failed case enters with HDmax, in the table's units
    with pytest.raises(ValueError, match="hd_units"):
        grid_table([prob], [truth], [None], [(1, 1, 1)], ["a"], G([0.5], [1], hd_units="furlongs"))
