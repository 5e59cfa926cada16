import numpy as np
import pytest

from strokeseg.errors import InputError
from strokeseg.io.volume import Series
from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.maps import compute_maps


@pytest.fixture(scope="module")
def result(small_ct_case):
    return compute_maps(small_ct_case.series, PerfusionConfig(), show_progress=False)


def test_maps_geometry_and_mask(small_ct_case, result):
    case = small_ct_case
    for name in ("CBF", "CBV", "MTT", "Tmax", "TTP"):
        assert result.maps[name].shape == case.geometry.shape
        assert np.all(result.maps[name][~result.brain_mask] == 0)
    brain = case.brain
    assert (brain & result.brain_mask).sum() / brain.sum() > 0.95


def test_aif_is_arterial(small_ct_case, result):
    arterial = small_ct_case.vessel_fraction[result.aif_mask]  # 2.4 mm voxels: vessels are partial volumes
    assert np.mean(arterial > 0.1) >= 0.9


def test_physiology_is_ordered(small_ct_case, result):
    c, m = small_ct_case, result.maps
    healthy = c.parenchyma & result.brain_mask & (c.label == 0) & (c.truth["Tmax"] < 2.5)
    gm = healthy & (c.tissue == 4)
    wm = healthy & (c.tissue == 5)
    core = c.parenchyma & (c.label == 2)
    assert np.median(m["CBF"][gm]) > np.median(m["CBF"][wm]) > np.median(m["CBF"][core])
    assert np.median(m["Tmax"][core]) > 6 > np.median(m["Tmax"][healthy])
    assert np.corrcoef(m["CBV"][c.parenchyma & result.brain_mask], c.truth["CBV"][c.parenchyma & result.brain_mask])[0, 1] > 0.5


def test_too_few_frames(small_ct_case):
    s = small_ct_case.series
    short = Series(s.data[..., :8], s.geometry, s.frame_times[:8])
    with pytest.raises(InputError, match="8 frames; at least 10"):
        compute_maps(short, show_progress=False)


def test_flat_series_has_no_bolus(small_ct_case):
    s = small_ct_case.series
    flat = Series(np.repeat(s.data[..., :1], 20, axis=3), s.geometry, np.arange(20) * 1.5)
    with pytest.raises(InputError, match="no bolus"):
        compute_maps(flat, show_progress=False)


def test_nan_frame(small_ct_case):
    s = small_ct_case.series
    data = s.data.copy()
    data[0, 10, 10, 7] = np.nan
    with pytest.raises(InputError, match="frame"):
        compute_maps(Series(data, s.geometry, s.frame_times), show_progress=False)


def test_mask_of_wrong_grid(small_ct_case):
    with pytest.raises(InputError, match="does not match the series grid"):
        compute_maps(small_ct_case.series, brain_mask=np.ones((2, 5, 5), bool), show_progress=False)
