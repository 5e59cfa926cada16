"""The plausibility guard: it fires on crafted implausible read-outs, holds the verdicts back, and
stays silent on the real experts' lesions."""

import numpy as np
import pytest

from strokeseg.clinical.eligibility import verdicts
from strokeseg.clinical.plausibility import guard_labels, plausibility_warnings
from strokeseg.clinical.readout import compute_readout, with_implausible
from strokeseg.io.geometry import Geometry
from strokeseg.io.layouts import open_dataset
from strokeseg.masks.brain import diffusion_brain_mask
from tests.helpers import SHARED, shared_or_skip

G = Geometry((20, 80, 80), (2.0, 2.0, 2.0))  # 0.008 ml voxels


def _brain():
    z, y, x = np.mgrid[0:20, 0:80, 0:80]
    return ((y - 40) / 30.0) ** 2 + ((x - 40) / 25.0) ** 2 + ((z - 10) / 9.0) ** 2 <= 1.0


def _codes(ws):
    return sorted(w.code for w in ws)


def test_a_one_sided_bright_core_passes():
    brain = _brain()
    core = brain & (np.indices(G.shape)[2] < 30) & (np.indices(G.shape)[1] < 45)
    rdwi = np.where(core, 1.6, 1.0)
    assert plausibility_warnings(core, brain, G, rdwi=rdwi) == []


def test_whole_brain_core_is_larger_than_a_hemisphere_and_bilateral():
    brain = _brain()
    ws = plausibility_warnings(brain.copy(), brain, G)
    assert _codes(ws) == ["core-bilateral", "core-larger-than-hemisphere"]


def test_core_outside_the_brain_fires():
    brain = _brain()
    core = np.zeros(G.shape, bool)
    core[8:12, 0:6, 30:50] = True  # in front of the brain: scalp or air
    assert "core-outside-brain" in _codes(plausibility_warnings(core, brain, G))


def test_core_that_is_not_dwi_bright_or_not_hypoperfused_fires():
    brain = _brain()
    core = brain & (np.indices(G.shape)[2] < 30)
    ws = plausibility_warnings(core, brain, G, rdwi=np.full(G.shape, 0.9), tmax=np.full(G.shape, 2.0))
    assert {"core-not-dwi-bright", "core-not-hypoperfused"} <= set(_codes(ws))


def test_hypoperfusion_larger_than_a_hemisphere_fires():
    brain = _brain()
    core = np.zeros(G.shape, bool)
    assert _codes(plausibility_warnings(core, brain, G, hypoperfused=brain.copy())) == ["hypoperfusion-too-large"]


def test_a_core_only_label_map_is_not_checked_as_hypoperfusion():
    brain = _brain()
    labels = np.where(brain, 2, 0).astype(np.uint8)  # a core-only model marking the whole brain
    assert "hypoperfusion-too-large" in _codes(guard_labels(labels, brain, G, {}))
    codes = _codes(guard_labels(labels, brain, G, {}, hypoperfused=False))
    assert codes == ["core-bilateral", "core-larger-than-hemisphere"]  # the core's own checks still fire


def test_a_core_along_the_brains_outline_fires_and_a_wedge_reaching_the_cortex_does_not():
    """A rim of low-flow voxels under the skull (partial volume) is an artefact; a territorial wedge from the
    cortex inwards is an infarct."""
    from scipy import ndimage

    from strokeseg.clinical.plausibility import surface_fraction

    brain = _brain()
    _, y, x = np.indices(G.shape)
    left = x < 40
    rim = brain & ~ndimage.binary_erosion(brain, structure=np.ones((1, 3, 3), bool)) & left  # the outermost in-plane voxel
    assert surface_fraction(rim, brain, G) == 1.0
    (w,) = plausibility_warnings(rim, brain, G)
    assert w.code == "core-on-brain-surface" and "100% of the core" in w.message
    wedge = brain & left & (np.abs(y - 40) < 0.6 * (40 - x))  # apex deep at the midline, base on the cortex
    assert 0.0 < surface_fraction(wedge, brain, G) < 0.5
    assert plausibility_warnings(wedge, brain, G) == []
    # ventricles (holes in the mask) are not the outline: a periventricular core passes
    holed = brain & ~((np.abs(y - 40) < 6) & (np.abs(x - 40) < 3))
    around = holed & (np.abs(y - 40) < 10) & (x >= 36) & (x < 40)
    assert surface_fraction(around, holed, G) == 0.0


def test_guard_is_silent_on_the_isles18_expert_core_and_names_the_rim_of_the_rcbf_core():
    """The real CT case: the expert's core (drawn on DWI) lies deep; the rCBF < 30 % core of its maps
    lies along the brain's outline."""
    from strokeseg.clinical.pipeline import threshold_case

    ds = open_dataset(shared_or_skip(SHARED / "data" / "real" / "isles2018"))
    c = ds.load(ds.cases[0])
    r = threshold_case(c)
    brain = np.isfinite(c.images["CBF"]) & (c.images["CBF"] > 0)
    assert plausibility_warnings(c.label > 0, brain, c.geometry) == []
    assert "core-on-brain-surface" in {w.code for w in r.notes if hasattr(w, "code")}


def test_implausible_readout_makes_every_verdict_not_assessable():
    brain = _brain()
    core = brain & (np.indices(G.shape)[2] < 35)
    hyp = brain.copy()
    r = compute_readout(core, hyp, np.zeros_like(core), G)
    ws = plausibility_warnings(core, brain, G, hypoperfused=hyp)
    r = with_implausible(r, [w.message for w in ws])
    assert r.defuse3 is None and r.extend is None and r.core_ml > 0
    d = r.to_dict()
    assert d["implausible"]
    vs = verdicts(d, age=70, nihss=15)
    assert [v.eligible for v in vs] == [None, None, None]
    assert all(v.reason.startswith("not assessable: implausible read-out") for v in vs)


@pytest.mark.parametrize("folder,k", [("isles22", 0), ("real/isles2022-bids", 0), ("real/isles2022-bids", 1)])
def test_guard_is_silent_on_the_real_expert_masks(folder, k):
    case = open_dataset(shared_or_skip(SHARED / "data" / folder))
    c = case.load(case.cases[k])
    brain = diffusion_brain_mask(c.images["DWI"], c.images["ADC"], c.geometry.spacing)
    labels = np.where(c.label > 0, 2, 0).astype(np.uint8)
    assert guard_labels(labels, brain, c.geometry, c.images) == []


def test_input_range_fires_on_another_scale_and_not_on_the_training_kind():
    from strokeseg.clinical.plausibility import input_range_warnings

    rng = np.random.default_rng(0)
    brain = _brain()
    x = np.stack([np.where(brain, rng.normal(40, 10, G.shape), 0.0), np.where(brain, rng.normal(3, 1, G.shape), 0.0)]).astype(np.float32)
    stats = (np.array([15.0, 0.5]), np.array([70.0, 6.0]), np.array([40.0, 3.0]), np.array([10.0, 1.0]))
    masked = np.ones(2)
    assert input_range_warnings(x, brain, ["CBF", "CBV"], stats, masked) == []
    far = x.copy()
    far[0] *= 20  # a vendor's scale
    (w,) = input_range_warnings(far, brain, ["CBF", "CBV"], stats, masked)
    assert w.code == "input-outside-training" and "CBF median" in w.message and "CBV" not in w.message
    flat = x.copy()
    flat[1] = np.where(brain, 3.0 + 0.01 * rng.standard_normal(G.shape), 0.0)  # the right level, no contrast at all
    (w,) = input_range_warnings(flat, brain, ["CBF", "CBV"], stats, masked)
    assert "CBV spread" in w.message
    # a heavy-tailed map (CBF with vessels: the training 99.5th percentile far above its mean) on a vendor's scale:
    # its median stays inside the training range, its level does not
    tailed = (np.array([0.2, 0.5]), np.array([420.0, 6.0]), np.array([15.0, 3.0]), np.array([32.0, 1.0]))
    x2 = x.copy()
    x2[0] = np.where(brain, rng.gamma(2.0, 7.0, G.shape), 0.0)  # mean about 14
    assert input_range_warnings(x2, brain, ["CBF", "CBV"], tailed, masked) == []
    x2[0] *= 20
    (w,) = input_range_warnings(x2, brain, ["CBF", "CBV"], tailed, masked)
    assert "CBF mean" in w.message and "median" not in w.message
