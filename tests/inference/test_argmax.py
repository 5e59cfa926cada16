"""``postprocess.mode: argmax``: each voxel's most probable class, inside the brain, no threshold and no size filter."""

import numpy as np

from strokeseg.inference.predict import labels_argmax, labels_from_probs
from strokeseg.io.labels import CORE, PENUMBRA


def test_argmax_differs_from_a_threshold_where_background_is_the_most_probable_class():
    probs = np.zeros((3, 1, 2, 3), np.float32)
    probs[:, 0, 0, 0] = (0.45, 0.30, 0.25)  # background most probable, yet p(lesion) = 0.55 ≥ 0.5
    probs[:, 0, 0, 1] = (0.20, 0.50, 0.30)  # penumbra
    probs[:, 0, 0, 2] = (0.10, 0.20, 0.70)  # core
    probs[:, 0, 1, :] = np.array([0.1, 0.1, 0.8])[:, None]  # core, but outside the brain
    brain = np.zeros((1, 2, 3), bool)
    brain[0, 0] = True
    got = labels_argmax(probs, brain, "three-class", CORE)
    assert got[0, 0].tolist() == [0, PENUMBRA, CORE] and not got[0, 1].any()
    thr = labels_from_probs(probs, brain, 0.5, 0, "three-class", CORE, 3)
    assert thr[0, 0, 0] == PENUMBRA  # the threshold rule calls the first voxel lesion


def test_two_class_argmax_writes_the_output_label_and_keeps_single_voxels():
    probs = np.zeros((2, 1, 1, 4), np.float32)
    probs[1] = np.array([0.2, 0.6, 0.51, 0.9])
    probs[0] = 1 - probs[1]
    got = labels_argmax(probs, np.ones((1, 1, 4), bool), "core", CORE)
    assert got.ravel().tolist() == [0, CORE, CORE, CORE]  # no minimum component size
