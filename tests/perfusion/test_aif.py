import argparse

import numpy as np
import pytest

from strokeseg.cli.options import add_perfusion_options, perfusion_config
from strokeseg.perfusion.aif import aif_from_mask, apply_vof_scaling
from strokeseg.perfusion.config import PerfusionConfig

T = np.arange(0.0, 60.0, 1.0)


def gamma_curve(t0: float, peak: float, width: float = 3.0) -> np.ndarray:
    s = np.clip(T - t0, 0, None) / width
    c = s**2 * np.exp(-s)
    return peak * c / c.max()


def curves(artery_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows: 20 partial-volume arteries, 40 veins (later, broader, the same tracer area), 200 tissue."""
    artery = gamma_curve(8.0, 600.0)
    vein = gamma_curve(13.0, 1.0, width=4.5)
    vein *= artery.sum() / vein.sum()  # the venous outflow carries the bolus that came in
    tissue = gamma_curve(10.0, 20.0, width=4.0)
    rows = [artery_fraction * artery] * 20 + [vein] * 40 + [tissue] * 200
    return np.array(rows), np.arange(260) < 20


def test_vof_scaling_restores_a_partial_volume_aif():
    conc, arterial = curves(0.3)
    aif = apply_vof_scaling(aif_from_mask(conc, arterial), conc, T)
    assert aif.scale == pytest.approx(1 / 0.3, rel=1e-6)
    assert aif.curve.max() == pytest.approx(600.0, rel=1e-6)
    assert set(aif.vof_voxels) <= set(range(20, 60))


def test_vof_scaling_never_lowers_a_full_aif():
    conc, arterial = curves(1.0)
    conc[20:60] *= 0.8  # a partial-volume sinus: its area is below the AIF's
    aif = apply_vof_scaling(aif_from_mask(conc, arterial), conc, T)
    assert aif.scale == 1.0 and aif.curve.max() == pytest.approx(600.0)
    assert any("not scaled" in n for n in aif.notes)


def test_vof_scaling_without_late_voxels_leaves_the_aif():
    conc, arterial = curves(0.3)
    conc = conc[:20]  # arteries only
    aif = apply_vof_scaling(aif_from_mask(conc, arterial[:20]), conc, T)
    assert aif.scale == 1.0 and aif.vof_curve is None
    assert "VOF not found (no late, high-area voxels); AIF not scaled" in aif.notes


def test_vof_default_is_on_for_ct_and_off_for_mr():
    assert PerfusionConfig().vof_enabled is True
    assert PerfusionConfig.for_modality("ct").vof_enabled is True
    assert PerfusionConfig.for_modality("mr").vof_enabled is False
    assert PerfusionConfig.for_modality("ct", vof_correction=False).vof_enabled is False
    assert PerfusionConfig.for_modality("mr", vof_correction=True).vof_enabled is True
    # a default config switched to MR (maps_for_series does so for an MR series) follows the modality
    assert PerfusionConfig().with_(modality="mr").vof_enabled is False
    assert PerfusionConfig(vof_correction=True).with_(modality="mr").vof_enabled is True


@pytest.mark.parametrize(
    ("argv", "modality", "expected"), [([], "ct", True), ([], "mr", False), (["--no-vof"], "ct", False), (["--vof"], "mr", True)]
)
def test_vof_command_line(argv, modality, expected):
    p = argparse.ArgumentParser()
    add_perfusion_options(p)
    args = p.parse_args([*argv, "--modality", modality])
    assert perfusion_config(args).vof_enabled is expected
