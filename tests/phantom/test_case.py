import numpy as np
from scipy import ndimage

from strokeseg.phantom.anatomy import Tissue
from strokeseg.phantom.case import PhantomConfig, generate_case
from tests.helpers import SMALL_CT


def test_deterministic_for_a_seed():
    a = generate_case(PhantomConfig(**SMALL_CT), seed=5)
    b = generate_case(PhantomConfig(**SMALL_CT), seed=5)
    np.testing.assert_array_equal(a.series.data, b.series.data)
    np.testing.assert_array_equal(a.label, b.label)
    c = generate_case(PhantomConfig(**SMALL_CT), seed=6)
    assert not np.array_equal(a.series.data, c.series.data)


def test_truth_is_consistent(small_ct_case):
    c = small_ct_case
    brain = c.brain
    np.testing.assert_allclose(c.truth["MTT"][brain], 60 * c.truth["CBV"][brain] / c.truth["CBF"][brain], rtol=1e-4)
    assert np.all(c.truth["CBF"][~brain] == 0)
    core, pen = c.label == 2, c.label == 1
    assert core.any() and pen.any()
    assert np.all(brain[core | pen])  # lesions only in grey/white matter, never CSF
    assert np.all(c.truth["Tmax"][core | pen] > 6.0)  # hypoperfused: Tmax > 6 s
    ref = c.meta["reference_cbf"]
    assert np.all(c.truth["CBF"][core] < 0.3 * ref)  # core: rCBF < 30 %
    assert np.all(c.truth["CBF"][pen] >= 0.4 * ref)
    # core lies inside the hypoperfused region: dilating the core by one voxel stays mostly lesioned
    ring = ndimage.binary_dilation(core, np.ones((1, 3, 3))) & ~core & brain
    assert (c.label[ring] > 0).mean() > 0.5


def test_ct_noise_and_enhancement_are_clinical(small_ct_case):
    c = small_ct_case
    s = c.series.data
    air = c.tissue == Tissue.AIR
    assert s[air][:, :3].std() >= 2.9  # σ ≥ 3 HU
    gm = (c.tissue == Tissue.GM) & (c.label == 0) & (c.vessel_fraction == 0)
    enh = s[gm] - s[gm][:, :3].mean(1, keepdims=True)
    peak = np.median(enh.max(1) - 3.0 * 0)  # noisy maxima overshoot; use the mean curve instead
    mean_peak = enh.mean(0).max()
    assert 12.0 <= mean_peak <= 26.0, (peak, mean_peak)


def test_mr_snr_and_diffusion():
    c = generate_case(PhantomConfig(modality="mr", matrix=(55, 48), spacing_xy=4.0, slices=24, frames=40), seed=3)
    assert 20 <= c.meta["snr"] <= 50
    gm = (c.tissue == Tissue.GM) & (c.label == 0)
    base = c.series.data[..., 2:5].mean(-1)
    assert 15 < np.median(base[gm]) / (1000 / c.meta["snr"]) < 60  # S0/σ of grey matter
    if (c.label == 2).any():
        assert np.median(c.images["ADC"][c.label == 2]) < 620 < np.median(c.images["ADC"][gm])
        assert np.median(c.images["DWI"][c.label == 2]) > np.median(c.images["DWI"][gm])


def test_cohort_has_no_stroke_small_and_large_lesions():
    from strokeseg.phantom.lesion import LesionSpec

    kinds = [LesionSpec.random(np.random.default_rng(s)).kind for s in range(200)]
    assert 0.08 < kinds.count("none") / 200 < 0.25
    assert {"none", "small", "branch", "mca"} == set(kinds)
    vols = {}
    for seed in range(8):
        c = generate_case(PhantomConfig(**SMALL_CT), seed=seed)
        vols.setdefault(c.meta["lesion"]["kind"], []).append(c.meta["volumes_ml"]["hypoperfused"])
    assert max(vols.get("mca", [0])) > 20  # large (whole-brain M1 strokes exceed 100 ml, see meta of 16-slice cases)
    assert 0 < min(vols.get("small", [0.5])) < 10


def test_lesion_borders_are_irregular(small_ct_case):
    """A perturbed wedge, not a box: its boundary is much longer than a convex hull's."""
    lab = small_ct_case.label[0] > 0
    assert lab.sum() >= 50  # the fixture's MCA lesion covers this slice (405 voxels)
    perim = (lab ^ ndimage.binary_erosion(lab)).sum()
    area = lab.sum()
    assert perim / np.sqrt(area) > 4.0  # a square has 4·sqrt(A) − 4 boundary pixels
