import math

import numpy as np
import pytest

from strokeseg.clinical import ThresholdConfig, compute_readout, threshold_diffusion, threshold_perfusion
from strokeseg.clinical.hemispheres import contralateral_mask, lateral_coordinate
from strokeseg.clinical.thresholds import TissueMasks
from strokeseg.clinical.units import adc_to_micro
from strokeseg.errors import InputError
from strokeseg.io.geometry import Geometry

G = Geometry((3, 40, 60), (1.0, 1.0, 5.0))  # 0.005 ml voxels


def hand_made():
    """A 40×60 'brain' (rows 5–35, cols 5–55). Left half (x < 30) holds the lesion."""
    brain = np.zeros(G.shape, bool)
    brain[:, 5:35, 5:55] = True
    cbf = np.where(brain, 40.0, 0.0)
    tmax = np.where(brain, 1.0, 0.0)
    cbv = np.where(brain, 3.0, 0.0)
    core = np.zeros(G.shape, bool)
    core[:, 12:20, 10:20] = True  # 3·8·10 = 240 voxels
    pen = np.zeros(G.shape, bool)
    pen[:, 10:28, 8:26] = True
    pen &= ~core  # 3·18·18 − 240 = 732
    cbf[core], tmax[core] = 6.0, 9.0  # rCBF 0.15
    cbf[pen], tmax[pen] = 24.0, 8.0  # rCBF 0.6
    sev = np.zeros(G.shape, bool)
    sev[:, 12:20, 10:16] = True
    tmax[sev] = 12.0  # 144 voxels with Tmax > 10 s
    return brain, cbf, tmax, cbv, core, pen


def test_core_and_penumbra_from_hand_made_maps():
    brain, cbf, tmax, cbv, core, pen = hand_made()
    r = threshold_perfusion(cbf, tmax, G, TissueMasks(brain, cbv=cbv), ThresholdConfig(opening_mm=0, min_component_ml=0))
    assert r.reference_cbf == pytest.approx(40.0)
    np.testing.assert_array_equal(r.core, core)
    np.testing.assert_array_equal(r.labels == 1, pen)
    ro = compute_readout(r.core, r.hypoperfused, r.severe, G)
    assert ro.core_ml == pytest.approx(240 * 0.005)
    assert ro.hypoperfused_ml == pytest.approx((240 + 732) * 0.005)
    assert ro.penumbra_ml == pytest.approx(732 * 0.005)
    assert ro.mismatch_ratio == pytest.approx(972 / 240)
    assert ro.tmax10_ml == pytest.approx(144 * 0.005)
    assert ro.hir == pytest.approx(144 / 972)


def test_csf_vessels_and_small_components_are_excluded():
    brain, cbf, tmax, cbv, _core, _ = hand_made()
    csf = np.zeros(G.shape, bool)
    csf[:, 12:14, 10:20] = True  # through the core
    cbv[:, 15, 12] = 40.0  # a vessel inside the core
    tmax[:, 30, 50] = 9.0  # a single hypoperfused voxel column on the other side: below 0.2 ml
    r = threshold_perfusion(cbf, tmax, G, TissueMasks(brain, cbv=cbv, csf=csf), ThresholdConfig(opening_mm=0))
    assert not r.core[csf].any() and not r.core[:, 15, 12].any()
    assert not r.hypoperfused[:, 30, 50].any()


def test_reference_by_tmax_and_contralateral_agree_on_symmetric_tissue():
    brain, cbf, tmax, cbv, _, _ = hand_made()
    a = threshold_perfusion(cbf, tmax, G, TissueMasks(brain, cbv=cbv), ThresholdConfig(reference="tmax"))
    b = threshold_perfusion(cbf, tmax, G, TissueMasks(brain, cbv=cbv), ThresholdConfig(reference="contralateral"))
    assert a.reference_cbf == b.reference_cbf == pytest.approx(40.0)


def test_contralateral_hemisphere_of_a_rotated_head():
    yy, xx = np.mgrid[0:80, 0:80]
    a = np.deg2rad(10)
    u = (xx - 40) * np.cos(a) + (yy - 40) * np.sin(a)
    v = -(xx - 40) * np.sin(a) + (yy - 40) * np.cos(a)
    brain = np.broadcast_to((u / 25) ** 2 + (v / 35) ** 2 < 1, (2, 80, 80))
    geom = Geometry((2, 80, 80), (1.0, 1.0, 5.0))
    lat = lateral_coordinate(brain, geom)
    assert np.sign(lat[0, 40, 55]) != np.sign(lat[0, 40, 25])
    lesion = brain & (u > 10)
    contra = contralateral_mask(brain, lesion, geom)
    assert not (contra & lesion).any() and contra.sum() > 0.4 * brain.sum()


@pytest.mark.parametrize(
    ("core", "hyp", "defuse3", "extend", "ratio"),
    [
        (10.0, 50.0, True, True, 5.0),  # good mismatch
        (0.0, 20.0, True, True, math.inf),  # no core: ratio ∞
        (20.0, 30.0, False, False, 1.5),  # mismatch only 10 ml: not > 10, ratio < 1.8
        (69.0, 130.0, True, True, 130 / 69),  # ratio 1.88 ≥ 1.8, mismatch 61 ml
        (70.0, 200.0, False, False, 200 / 70),  # core not < 70 ml
        (20.0, 33.0, False, True, 1.65),  # EXTEND only: ratio > 1.2, mismatch 13 > 10
        (0.0, 0.0, False, False, None),
    ],
)
def test_eligibility_flags(core, hyp, defuse3, extend, ratio):
    v = 0.005
    n_core, n_hyp = round(core / v), round(hyp / v)
    flat = np.zeros(100000, bool)
    c, h = flat.copy(), flat.copy()
    c[:n_core] = True
    h[:n_hyp] = True
    geom = Geometry((1, 1, 100000), (1.0, 1.0, 5.0))
    ro = compute_readout(c.reshape(geom.shape), h.reshape(geom.shape), np.zeros(geom.shape, bool), geom)
    assert (ro.defuse3, ro.extend) == (defuse3, extend)
    if ratio is None:
        assert ro.mismatch_ratio is None and ro.hir is None
    else:
        assert ro.mismatch_ratio == pytest.approx(ratio)


def test_adc_units_are_detected():
    brain = np.ones((2, 5, 5), bool)
    for scale, unit in ((1.0, "1e-6 mm2/s"), (1e-3, "1e-3 mm2/s"), (1e-6, "mm2/s")):
        adc = np.full((2, 5, 5), 800.0) * scale
        micro, u = adc_to_micro(adc, brain)
        assert u == unit and np.allclose(micro, 800.0)
    with pytest.raises(InputError, match="ADC of unknown units"):
        adc_to_micro(np.full((2, 5, 5), 55.0), brain)


def test_diffusion_core_on_the_real_isles22_case(isles22_case):
    from strokeseg.io.layouts import open_dataset

    ds = open_dataset(isles22_case)
    case = ds.load(ds.cases[0])
    micro, unit = adc_to_micro(case.images["ADC"], case.images["ADC"] > 0.1)
    assert unit == "1e-3 mm2/s"
    r = threshold_diffusion(micro, case.geometry, case.images["ADC"] > 0.1, dwi=case.images["DWI"], cfg=ThresholdConfig(dwi_ratio=1.3))
    vol = r.core.sum() * case.geometry.voxel_volume_ml
    assert 0.5 < vol < 150  # an acute infarct of plausible size, bright on DWI and dark on ADC
    assert np.median(case.images["DWI"][r.core]) > 1.3 * np.median(case.images["DWI"][case.images["ADC"] > 0.1])


def test_cbf_only_core_is_rcbf_below_30_percent_of_the_better_hemisphere():
    from strokeseg.clinical.thresholds import threshold_cbf_only

    brain, cbf, _, cbv, core, pen = hand_made()
    cbf = np.where(brain, 40.0, 0.0)
    cbf[core] = 6.0  # rCBF 0.15: core
    cbf[pen] = 24.0  # rCBF 0.6: not core without Tmax either
    r = threshold_cbf_only(cbf, G, TissueMasks(brain, cbv=cbv), ThresholdConfig(opening_mm=0, min_component_ml=0))
    assert r.reference_cbf == pytest.approx(40.0)  # the healthy right side, not the lesioned left
    np.testing.assert_array_equal(r.core, core)
    assert not r.severe.any()
