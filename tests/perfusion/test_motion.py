"""Rigid motion correction of 4D series: known motion is recovered, a still series is left alone,
motion beyond the limit is not assessable, and the read-out of a moving head matches the still one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from strokeseg.clinical.thresholds import TissueMasks, threshold_perfusion
from strokeseg.io.volume import Series
from strokeseg.perfusion import motion as M
from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.maps import compute_maps
from strokeseg.phantom.case import PhantomConfig, generate_case
from strokeseg.phantom.lesion import LesionSpec
from strokeseg.phantom.quirks import HeadMotion, head_motion


def _true_points(params: list[float], centre: list[float], ref: M._Reference) -> np.ndarray:
    """Where the phantom's motion put the reference's registration points in the moved frame (mm)."""
    import SimpleITK as sitk

    tx = sitk.Euler3DTransform()
    tx.SetCenter(centre)
    tx.SetRotation(*params[:3])
    tx.SetTranslation(params[3:])
    rot = np.array(tx.GetMatrix()).reshape(3, 3)
    x = ref.points + ref.centre
    result: np.ndarray = (x - np.array(centre) - np.array(params[3:])) @ rot + np.array(centre)
    return result


@pytest.fixture(scope="module")
def ct_case():
    return generate_case(PhantomConfig(slices=8, frames=16, frame_interval=1.5, matrix=(256, 256), p_no_stroke=0.0), seed=8)


@pytest.fixture(scope="module")
def moved(ct_case):
    s = ct_case.series
    data, params = head_motion(s.data, s.geometry.spacing, np.random.default_rng(2))
    return data, params, M.correct_motion(data, s.geometry, data[..., 0] > -200, 0, ct=True)


def test_known_motion_is_recovered_to_a_millimetre(ct_case, moved):
    data, params, res = moved
    s = ct_case.series
    ref = M._reference(data[..., 0], s.geometry, data[..., 0] > -200, 2000, True, 0)
    centre = [sp * (n - 1) / 2 for sp, n in zip(s.geometry.spacing, s.data.shape[:3][::-1], strict=True)]
    assert sorted(int(f) for f in np.flatnonzero(res.corrected)) == sorted(params)
    for f, p in params.items():
        est = ref.points @ M.rotation_matrix(res.params[f, :3]).T + res.params[f, 3:] + ref.centre
        assert np.linalg.norm(est - _true_points(p, centre, ref), axis=1).max() < 1.0, f
        assert res.mismatch_after[f] < 0.7 * res.mismatch_before[f]
    still = [f for f in range(data.shape[3]) if f not in params]
    assert res.displacement_mm[still].max() < 0.3


def test_a_still_series_is_returned_as_it_is(ct_case):
    s = ct_case.series
    res = M.correct_motion(s.data, s.geometry, s.data[..., 0] > -200, 0, ct=True)
    assert not res.corrected.any() and res.data is s.data
    assert json.dumps(res.info())  # what perfusion.json records is JSON


def test_translation_agrees_with_simpleitk_registration(ct_case):
    """The library cross-check: a pure shift, estimated by SimpleITK's own registration and by ours."""
    import SimpleITK as sitk

    from strokeseg.perfusion.motion import resample_padded

    s = ct_case.series
    shift = [2.0, -1.5, 0.0]
    tx = sitk.TranslationTransform(3, shift)
    frame = resample_padded(s.data[..., 0], s.geometry.spacing, tx, -1000.0)
    data = np.stack([s.data[..., 0], frame], axis=-1)
    ours = M.correct_motion(data, s.geometry, data[..., 0] > -200, 0, ct=True).params[1, 3:]

    def img(a):
        im = sitk.GetImageFromArray(np.clip(a, *M.CT_WINDOW).astype(np.float32))
        im.SetSpacing(s.geometry.spacing)
        return im

    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMeanSquares()
    reg.SetOptimizerAsRegularStepGradientDescent(learningRate=1.0, minStep=1e-3, numberOfIterations=200)
    reg.SetInitialTransform(sitk.TranslationTransform(3), inPlace=False)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetNumberOfThreads(1)
    theirs = np.array(reg.Execute(img(data[..., 0]), img(data[..., 1])).GetParameters())
    np.testing.assert_allclose(ours, theirs, atol=0.3)
    np.testing.assert_allclose(ours, -np.array(shift), atol=0.3)  # the frame's content moved by −shift


def test_motion_beyond_the_limit_is_not_assessable(ct_case):
    s = ct_case.series
    frames = [s.data[..., 0], np.roll(s.data[..., 1], 14, axis=2)]  # 14 voxels ≈ 12.6 mm
    data = np.stack(frames, axis=-1)
    with pytest.raises(M.MotionError, match="not assessable: "):
        M.correct_motion(data, s.geometry, data[..., 0] > -200, 0, ct=True, cfg=M.MotionConfig(max_displacement_mm=10.0))


def test_a_single_slice_or_a_series_without_skull_is_left_unregistered(ct_case):
    from strokeseg.io.geometry import Geometry

    s = ct_case.series
    one = s.data[3:4]
    with pytest.raises(M.NoStructure):
        M.correct_motion(one, Geometry(one.shape[:3], s.geometry.spacing), one[..., 0] > -200, 0, ct=True)
    stripped = np.where(s.data[..., :1] > 150, 40.0, s.data)  # no bone: a skull-stripped CTP
    r = compute_maps(Series(stripped, s.geometry, s.frame_times), PerfusionConfig(), show_progress=False)
    assert r.info["motion"]["frames_corrected"] == 0 and "too little structure" in r.info["motion"]["reason"]
    assert any("frames not registered" in n for n in r.warnings)


def _readout(series: Series, cfg: PerfusionConfig) -> tuple[float, float, dict]:
    r = compute_maps(series, cfg, show_progress=False)
    masks = TissueMasks(r.brain_mask, cbv=r.maps["CBV"], csf=series.data[..., 0] < 20)
    res = threshold_perfusion(r.maps["CBF"], r.maps["Tmax"], series.geometry, masks)
    v = series.geometry.voxel_volume_ml
    return float(res.core.sum() * v), float(res.hypoperfused.sum() * v), r.info


@pytest.mark.slow
def test_moving_head_reads_out_as_the_still_one():
    """Shifts up to 3 mm and rotations up to 2° on a third of the frames: core and Tmax > 6 s within 10 %."""
    spec = LesionSpec("mca", side=1, core_fraction=0.35)
    case = generate_case(PhantomConfig(slices=8, frames=40, frame_interval=1.0, matrix=(256, 256), lesion=spec), seed=8)
    s = case.series
    data, params = head_motion(s.data, s.geometry.spacing, np.random.default_rng(8), spec=HeadMotion())
    assert len(params) >= 10
    cfg = PerfusionConfig()
    core0, hyp0, _ = _readout(s, cfg)
    core1, hyp1, info = _readout(Series(data, s.geometry, s.frame_times), cfg)
    assert core0 > 10 and hyp0 > 30
    assert abs(core1 - core0) <= 0.1 * core0 and abs(hyp1 - hyp0) <= 0.1 * hyp0
    assert info["motion"]["frames_corrected"] == len(params) and len(info["motion"]["displacement_mm"]) == s.data.shape[3]
    core2, hyp2, _ = _readout(Series(data, s.geometry, s.frame_times), cfg.with_(motion_correction=False))
    assert abs(hyp2 - hyp0) > 0.1 * hyp0 or abs(core2 - core0) > 0.1 * core0  # uncorrected, the read-out is wrong


def test_a_still_dsc_series_is_not_resampled():
    """DSC-MR registers on the head outside the brain, whose signal the bolus leaves alone: a still series stays as it is."""
    c = generate_case(PhantomConfig(modality="mr", slices=24, matrix=(80, 80), spacing_xy=2.4, frames=30, p_no_stroke=0.0), seed=2)
    r = compute_maps(c.series, PerfusionConfig.for_modality("mr"), show_progress=False)
    assert r.info["motion"]["frames_corrected"] == 0
    assert r.info["motion"]["max_displacement_mm"] < 0.5
