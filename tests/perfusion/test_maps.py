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


def test_the_in_plane_smoothing_leaves_csf_out_so_the_tissue_beside_it_keeps_its_curve():
    """A tissue half and a CSF half of one slice: with CSF left out, the tissue voxels at the border keep their
    (uniform) curve exactly and the noisy CSF keeps its own curves. Smoothing both together lowers the tissue
    at the border."""
    from strokeseg.io.geometry import Geometry
    from strokeseg.perfusion.maps import smooth_in_plane

    mask = np.ones((1, 12, 12), bool)
    csf = np.zeros((1, 12, 12), bool)
    csf[0, :, 6:] = True
    rng = np.random.default_rng(0)
    tissue_curve = np.array([0.0, 10.0, 20.0, 5.0], np.float32)
    curves = np.where(csf[mask][:, None], rng.normal(0.0, 3.0, (144, 4)), tissue_curve).astype(np.float32)  # (144, 4)
    geom = Geometry((1, 12, 12), (1.0, 1.0, 5.0), (0.0, 0.0, 0.0), tuple(np.eye(3).ravel()))
    apart = smooth_in_plane(curves, mask, geom, 3.0, threads=1, left_out=csf[mask])
    tissue = ~csf[mask]
    np.testing.assert_allclose(apart[tissue], curves[tissue], atol=1e-5)
    np.testing.assert_array_equal(apart[~tissue], curves[~tissue])
    together = smooth_in_plane(curves, mask, geom, 3.0, threads=1)
    border = tissue & (np.tile(np.arange(12), 12) == 5)
    assert (together[border, 2] < 0.8 * 20.0).all()


def test_ct_csf_is_left_out_of_the_smoothing_and_mr_smooths_every_voxel(small_ct_case):
    from strokeseg.perfusion.config import Modality
    from strokeseg.perfusion.maps import _concentration

    series = small_ct_case.series
    signal = series.data.reshape(-1, series.data.shape[-1])
    *_, csf = _concentration(signal, PerfusionConfig(), series)
    baseline = signal[:, :3].mean(axis=1)
    assert csf is not None and csf.shape == (signal.shape[0],) and csf[baseline < 0].all() and not csf[baseline > 40].any()
    assert _concentration(signal, PerfusionConfig(smoothing_csf_hu=None), series)[-1] is None
    t = np.arange(40, dtype=np.float32)
    dip = np.where(t > 10, ((t - 10) / 4) ** 3 * np.exp(-(t - 10) / 1.5), 0.0)  # a DSC bolus: the signal falls
    mr_signal = np.tile((10.0 * np.exp(-0.5 * dip / dip.max())).astype(np.float32), (50, 1))  # 10 < 20 "HU" throughout
    *_, mr_csf = _concentration(mr_signal, PerfusionConfig.for_modality(Modality.MR), series)
    assert mr_csf is None  # an MR baseline is no HU scale: MR smooths every brain voxel
