"""Perfusion series QC on phantom series: clean series pass; truncation, weak bolus, small coverage and motion are flagged."""

import numpy as np
import pytest

from strokeseg.io.volume import Series
from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.maps import compute_maps
from strokeseg.perfusion.qc import few_valid_voxels, head_centres, motion, truncated_bolus
from tests.helpers import SMALL_CT


@pytest.fixture(scope="module")
def phantom_series():
    from strokeseg.phantom.case import PhantomConfig, generate_case

    case = generate_case(PhantomConfig(**SMALL_CT, p_no_stroke=0.0), seed=5)
    return case.series


def _maps(series: Series):
    return compute_maps(series, PerfusionConfig(), show_progress=False)


def test_clean_phantom_series_flags_nothing(phantom_series):
    qc = _maps(phantom_series).info["qc"]
    assert qc["flagged"] == []
    assert qc["motion_mm"]["max_shift_mm"] < 0.1
    assert 5.0 < qc["low_enhancement"]["value"] < 40.0  # brain-average peak in HU


def test_truncated_acquisition_is_flagged(phantom_series):
    s = phantom_series
    cut = Series(s.data[..., :16], s.geometry, s.frame_times[:16], s.path)  # ends during the bolus passage
    res = _maps(cut)
    assert "truncated_bolus" in res.info["qc"]["flagged"]
    assert any(getattr(w, "code", "") == "qc-truncated-bolus" for w in res.warnings)


def test_weak_bolus_is_flagged(phantom_series):
    s = phantom_series
    base = s.data[..., :3].mean(axis=3, keepdims=True)
    weak = Series(base + (s.data - base) * 0.25, s.geometry, s.frame_times, s.path)
    assert "low_enhancement" in _maps(weak).info["qc"]["flagged"]


def test_head_motion_is_flagged_and_measured_in_mm(phantom_series):
    s = phantom_series
    data = s.data.copy()
    data[:, :, :, 20:] = np.roll(data[:, :, :, 20:], 2, axis=2)  # the head moves 2 voxels in x at frame 20
    flag, numbers = motion(data, s.geometry, "ct")
    assert flag.flagged and numbers["max_step_mm"] == pytest.approx(2 * s.geometry.spacing[0], abs=0.2)
    assert not motion(s.data, s.geometry, "ct")[0].flagged


def test_truncation_rule_and_small_coverage_rule_on_curves():
    t = np.arange(40.0)
    gamma = (t / 8) ** 3 * np.exp(-(t - 8) / 3) * (t > 0)
    assert not truncated_bolus(gamma).flagged
    assert truncated_bolus(gamma[:12]).flagged
    from strokeseg.io.geometry import Geometry

    g = Geometry((1, 10, 10), (1.0, 1.0, 1.0))  # 1 µl voxels
    assert few_valid_voxels(100, 20, g).flagged and few_valid_voxels(10**6, 2, g).flagged
    assert not few_valid_voxels(10**6, 20, g).flagged


@pytest.mark.parametrize("modality", ["ct", "mr"])
def test_head_centres_are_each_frames_centroid_of_head_voxels(modality: str) -> None:
    """The chunked reduction equals the rule frame by frame; an empty frame is NaN, not a centre."""
    from strokeseg.io.geometry import Geometry

    rng = np.random.default_rng(5)
    data = rng.normal(-800 if modality == "ct" else 10, 5, (4, 10, 12, 13)).astype(np.float32)
    for t in range(13):  # a head block that moves frame by frame
        data[1:3, 2 + t % 4 : 8 + t % 4, 3:9, t] = 40 if modality == "ct" else 600
    data[..., 6] = -1000 if modality == "ct" else 0  # no head in frame 6
    geom = Geometry(shape=(4, 10, 12), spacing=(0.7, 0.9, 5.0))  # spacing x, y, z
    got = head_centres(data, geom, modality, chunk=4)
    sub = data[:, ::2, ::2, :]
    for t in range(13):
        frame = sub[..., t]
        m = frame > (-300.0 if modality == "ct" else 0.2 * np.percentile(frame, 99))
        if not m.any():
            assert np.isnan(got[t]).all()
            continue
        z, y, x = np.nonzero(m)
        assert got[t] == pytest.approx([z.mean() * 5.0, y.mean() * 2 * 0.9, x.mean() * 2 * 0.7])
