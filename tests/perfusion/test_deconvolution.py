import numpy as np
import pytest

from strokeseg.errors import InputError
from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.deconvolution import Deconvolver, deconvolve, second_difference_matrix
from strokeseg.phantom.signal import AifParams, aif_curve, build_table

DT = 1.0
TIMES = np.arange(60) * DT
AIF_P = AifParams(t0=8.0, amplitude=1.0)


def tissue(cbf: float, mtt: float, delay: float, kind: str = "exponential", beta: float = 0.0) -> np.ndarray:
    """Continuous-model tissue curve (unit AIF) for CBF in ml/100 g/min, no kH/ρ."""
    tab = build_table(AIF_P, TIMES[-1], kind, n_mtt=160, mtt_range=(1.0, 20.0), dispersion=np.array([0.0, 1.0]))
    return (cbf / 6000.0) * tab.sample(tab.mtt_index(np.array([mtt])), tab.dispersion_index(np.array([beta])), np.array([delay]), TIMES)[0]


AIF = aif_curve(TIMES, AIF_P)
CFG = dict(density=1.0, hematocrit_factor=1.0)


@pytest.mark.parametrize(
    ("method", "tol"), [("ssvd", 0.25), ("csvd", 0.15), ("osvd", 0.15), ("tikhonov-gcv", 0.15), ("tikhonov-lcurve", 0.15)]
)
def test_long_mtt_flow_is_recovered(method, tol):
    """Low, slow flow (the ischaemic regime) is recovered by every method (sSVD's 20 % truncation blurs most)."""
    c = tissue(15.0, 12.0, 0.0)[None].astype(np.float32)
    st = deconvolve(c, AIF, DT, PerfusionConfig(method=method, **CFG))
    assert st.peak[0] * 6000 == pytest.approx(15.0, rel=tol)
    assert st.area[0] * 100 == pytest.approx(15.0 * 12.0 / 60, rel=0.05)


def test_osvd_is_delay_insensitive_and_ssvd_is_not():
    curves = np.stack([tissue(40.0, 5.0, d) for d in (0.0, 6.0)]).astype(np.float32)
    osvd = deconvolve(curves, AIF, DT, PerfusionConfig(method="osvd", **CFG)).peak
    ssvd = deconvolve(curves, AIF, DT, PerfusionConfig(method="ssvd", **CFG)).peak
    assert abs(osvd[1] / osvd[0] - 1) < 0.02
    assert ssvd[1] / ssvd[0] - 1 < -0.05  # the causal Toeplitz matrix loses flow when the tissue lags the AIF


def test_tmax_follows_delay():
    curves = np.stack([tissue(40.0, 5.0, d, beta=1.0) for d in (0.0, 3.0, 6.0, 9.0, 12.0)]).astype(np.float32)
    tm = deconvolve(curves, AIF, DT, PerfusionConfig(method="osvd", **CFG)).tmax
    steps = np.diff(tm)
    np.testing.assert_allclose(steps, 3.0, atol=0.5)  # 3 s apart, sub-sample resolution


def test_batched_equals_one_by_one():
    rng = np.random.default_rng(1)
    curves = np.stack([tissue(f, m, d) for f, m, d in [(50, 4, 0), (20, 8, 3), (10, 12, 7)]]).astype(np.float32)
    curves += rng.normal(0, 2e-4, curves.shape).astype(np.float32)
    for method in ("osvd", "tikhonov-lcurve"):
        dec = Deconvolver(AIF, DT, PerfusionConfig(method=method, chunk_voxels=2, **CFG))
        batch = dec(curves)
        for i in range(3):
            one = dec(curves[i : i + 1])
            assert one.peak[0] == pytest.approx(batch.peak[i], rel=1e-5)
            assert one.tmax[0] == pytest.approx(batch.tmax[i], abs=1e-4)


def test_second_difference_matrix():
    k = np.arange(6.0) ** 2
    d2 = k @ second_difference_matrix(6).T
    np.testing.assert_allclose(d2[2:], 2.0)  # (n)² has second difference 2
    assert d2[0] == k[0] - 2 * k[5] + k[4]


def test_half_height_edge_finds_the_onset_of_an_undispersed_residue_and_the_vertex_is_late():
    """Regularisation blurs the residue's step symmetrically: its half-height point stays on the onset."""
    delays = (0.0, 3.0, 6.0, 9.0)
    curves = np.stack([tissue(40.0, m, d) for m in (4.0, 8.0) for d in delays]).astype(np.float32)
    truth = np.tile(delays, 2)
    edge = deconvolve(curves, AIF, DT, PerfusionConfig(method="osvd", tmax_estimator="edge", tmax_edge_fraction=0.5, **CFG))
    peak = deconvolve(curves, AIF, DT, PerfusionConfig(method="osvd", **CFG))
    assert np.median(np.abs(edge.tmax - truth)) <= 0.5
    assert np.median(peak.tmax - truth) > 1.0


def test_parametric_fit_recovers_flow_and_onset_where_svd_blurs_them():
    """Noise-free exponential-residue curves: flow and Tmax from the fit; oSVD under-reads the flow of short MTTs."""
    params = [(40.0, 2.0, 0.0), (40.0, 4.0, 4.0), (20.0, 8.0, 9.0), (60.0, 3.0, 2.5)]
    curves = np.stack([tissue(f, m, d) for f, m, d in params]).astype(np.float32)
    flow, mtt, delay = (np.array(v) for v in zip(*params))
    fit = deconvolve(curves, AIF, DT, PerfusionConfig(method="parametric", **CFG))
    np.testing.assert_allclose(fit.peak * 6000, flow, rtol=0.1)
    np.testing.assert_allclose(fit.tmax, delay, atol=0.3)
    np.testing.assert_allclose(fit.area * 100, flow * mtt / 60, rtol=0.05)
    osvd = deconvolve(curves, AIF, DT, PerfusionConfig(method="osvd", **CFG))
    short = mtt <= 3
    assert np.all(np.abs(fit.peak * 6000 / flow - 1)[short] < np.abs(osvd.peak * 6000 / flow - 1)[short])


def test_parametric_convolution_is_checked():
    from strokeseg.errors import ConfigError

    with pytest.raises(ConfigError, match="parametric_convolution"):
        PerfusionConfig(method="parametric", parametric_convolution="riemann")


@pytest.mark.parametrize("method", ["osvd", "parametric"])
def test_a_zero_aif_is_refused(method):
    with pytest.raises(InputError, match="the AIF is zero"):
        Deconvolver(np.zeros(40), DT, PerfusionConfig(method=method, **CFG))


@pytest.mark.parametrize("method", ["tikhonov-lcurve", "osvd"])
@pytest.mark.parametrize("kind", ["exponential", "gamma"])
def test_onset_tmax_removes_the_peaks_late_reading_of_an_undispersed_residue(method, kind):
    """Noisy undispersed curves, 5 delays × 2 MTTs × 40 noise draws: the peak reads over 1 s late, and the onset
    estimator (peak less its own filter's delay of a sharp-onset reference) within 0.6 s of each true delay.
    (A box residue keeps reading late: its filtered peak lies mid-box; the delay-sensitive sSVD is not corrected.)"""
    rng = np.random.default_rng(7)
    delays = np.array([0.0, 2.0, 4.0, 6.0, 9.0])
    clean = np.repeat(np.stack([tissue(30.0, m, d, kind) for m in (4.0, 8.0) for d in delays]), 40, axis=0)
    curves = (clean + rng.normal(0.0, 0.03 * clean.max(), clean.shape)).astype(np.float32)
    truth = np.tile(np.repeat(delays, 40), 2)
    peak = deconvolve(curves, AIF, DT, PerfusionConfig(method=method, **CFG)).tmax
    onset = deconvolve(curves, AIF, DT, PerfusionConfig(method=method, tmax_estimator="onset", **CFG)).tmax
    med_peak = np.median((peak - truth).reshape(-1, 40), axis=1)
    med_onset = np.median((onset - truth).reshape(-1, 40), axis=1)
    assert np.all(med_peak > 1.0), med_peak
    assert np.all(np.abs(med_onset) <= 0.6), med_onset


def test_onset_tmax_reads_a_dispersed_residue_early_which_is_why_peak_stays_the_default():
    """A bolus dispersed by 3 s (truth: the dispersed residue's peak) reads early with ``onset`` and close with ``peak``."""
    tab = build_table(AIF_P, TIMES[-1], "exponential", n_mtt=160, mtt_range=(1.0, 20.0), dispersion=np.array([0.0, 3.0]))
    mi, bi = tab.mtt_index(np.array([5.0])), tab.dispersion_index(np.array([3.0]))
    delays = np.array([0.0, 3.0, 6.0])
    curves = (30.0 / 6000.0) * tab.sample(np.repeat(mi, 3), np.repeat(bi, 3), delays, TIMES)
    truth = delays + tab.residue_peak[mi[0], bi[0]]
    assert tab.residue_peak[mi[0], bi[0]] > 1.5  # the dispersed residue peaks well after its onset
    cfg = PerfusionConfig(method="tikhonov-lcurve", **CFG)
    peak = deconvolve(curves.astype(np.float32), AIF, DT, cfg).tmax
    onset = deconvolve(curves.astype(np.float32), AIF, DT, cfg.with_(tmax_estimator="onset")).tmax
    assert np.all(np.abs(peak - truth) < 1.0), peak - truth
    assert np.all(onset - truth < -1.0), onset - truth
