"""The OSIPI DSC reference curves (../shared/data/osipi-dsc/dsc_data.csv)."""

import csv

import numpy as np
import pytest

from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.deconvolution import deconvolve


@pytest.fixture
def osipi(osipi_csv):
    rows = list(csv.DictReader(osipi_csv.open(encoding="utf-8")))
    ct = np.array([np.array(r["C_tis"].split(), float) for r in rows], np.float32)
    ca = np.array(rows[0]["C_aif"].split(), float)
    return (ct, ca, float(rows[0]["tr"]), np.array([float(r["cbf"]) for r in rows]), np.array([float(r["cbv"]) for r in rows]))


def test_osvd_cbv_within_10_percent_without_slack(osipi):
    ct, ca, tr, _cbf, cbv = osipi
    st = deconvolve(ct, ca, tr, PerfusionConfig(method="osvd", density=1.0, hematocrit_factor=1.0))
    rel = st.area * 100 / cbv - 1
    assert np.all(np.abs(rel) <= 0.10), np.round(100 * rel, 1)


def test_osvd_cbf_accuracy_as_measured(osipi):
    """oSVD CBF: within 10 % for low flows, the documented underestimate at high flows (≤ 30 %).

    Truncated-SVD regularisation blurs the sharp onset of the exponential residue of this
    reference object, so its peak (the flow) is underestimated at short MTTs (Wu 2003).
    This is the measured behaviour, not the issue's 10 % target (see bench_perfusion_osipi.py).
    """
    ct, ca, tr, cbf, _ = osipi
    st = deconvolve(ct, ca, tr, PerfusionConfig(method="osvd", density=1.0, hematocrit_factor=1.0))
    rel = st.peak * 6000 / cbf - 1
    assert np.all(np.abs(rel) <= 0.30), np.round(100 * rel, 1)
    high = cbf >= 40
    assert np.all(rel[high] < 0)


def test_area_ratio_shows_the_reference_objects_discretisation(osipi):
    """The DRO was generated with a left-Riemann sum: ∫C_t/∫C_a over-reads CBV by ≈ CBF·Δt/2."""
    ct, ca, tr, cbf, cbv = osipi
    auc = ct.sum(1) / ca.sum() * 100
    predicted = cbv + cbf / 60 * tr / 2
    np.testing.assert_allclose(auc, predicted, rtol=0.07)


def test_parametric_fit_reaches_10_percent_for_cbf_and_cbv(osipi):
    """The model-based fit with the DRO's own (discrete-sum) forward model: no SVD blur of the onset."""
    ct, ca, tr, cbf, cbv = osipi
    st = deconvolve(ct, ca, tr, PerfusionConfig(method="parametric", parametric_convolution="discrete", density=1.0, hematocrit_factor=1.0))
    rel_f = st.peak * 6000 / cbf - 1
    rel_v = st.area * 100 / cbv - 1
    assert np.all(np.abs(rel_f) <= 0.10), np.round(100 * rel_f, 1)
    assert np.all(np.abs(rel_v) <= 0.10), np.round(100 * rel_v, 1)
    assert np.all(st.regularisation > 0.9)  # the fit explains > 90 % of each curve's energy
