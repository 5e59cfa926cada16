"""Display conventions: radiological slices whatever the file's voxel order, scales, montages, contours."""

import numpy as np
import pytest

from strokeseg.io.geometry import Geometry
from strokeseg.report.display import CONVENTIONAL, contour, display_shape, fit_scale, radiological, tile


def _marker_world(geom: Geometry, world_lps) -> np.ndarray:
    idx = np.rint(geom.world_to_index(np.asarray([world_lps], float))[0]).astype(int)  # (z, y, x)
    vol = np.zeros(geom.shape, np.uint8)
    vol[tuple(idx)] = 1
    return vol


@pytest.mark.parametrize(
    "direction",
    [
        (1, 0, 0, 0, 1, 0, 0, 0, 1),  # LPS voxel order (DICOM-like)
        (-1, 0, 0, 0, -1, 0, 0, 0, 1),  # RAS voxel order (NIfTI-like)
        (-1, 0, 0, 0, 1, 0, 0, 0, -1),  # x flipped, slices superior to inferior
    ],
)
def test_patient_right_anterior_superior_marker_lands_top_left_of_the_last_slice(direction):
    g = Geometry((5, 20, 30), (1.0, 1.0, 4.0), direction=direction)
    corners = g.world_corners()
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    # LPS: right = smallest x, anterior = smallest y, superior = largest z
    vol = _marker_world(g, (lo[0], lo[1], hi[2]))
    s, r, c = np.argwhere(radiological(vol, g))[0]
    assert (s, r, c) == (4, 0, 0)
    assert display_shape(g) == radiological(vol, g).shape[1:]


def test_conventional_scale_kept_for_physiological_cbf_and_replaced_for_vendor_units():
    cbf = np.random.default_rng(0).uniform(10, 70, (2, 8, 8)).astype(np.float32)
    assert fit_scale("CBF", cbf) == CONVENTIONAL["CBF"]
    vendor = fit_scale("CBF", cbf * 1000)
    assert vendor.from_data and vendor.vmax > 1000


def test_a_map_whose_brain_median_is_off_its_unit_is_drawn_in_vendor_units():
    rng = np.random.default_rng(1)
    cbf = rng.gamma(4.0, 2.7, (4, 16, 16)).astype(np.float32)  # brain median ≈ 10, 99th percentile ≈ 30: ISLES'24-like
    cbf[0, 0, :8] = 100.0
    s = fit_scale("CBF", cbf)
    assert s.from_data and s.unit.startswith("vendor units") and "not ml/100 g/min" in s.unit
    assert s.vmin == 0 and s.vmax == pytest.approx(2 * np.median(cbf))  # the brain median mid-scale, as healthy CBF on 0–80
    mtt = rng.normal(15.9, 1.5, (4, 16, 16))  # ISLES'24 MTT: saturated on 0–15 s
    assert fit_scale("MTT", mtt).unit.startswith("vendor units")
    assert fit_scale("Tmax", rng.normal(2.5, 2.0, (4, 16, 16))) == CONVENTIONAL["Tmax"]


@pytest.mark.parametrize(("factor", "unit"), [(1000.0, "10⁻⁶ mm²/s"), (1.0, "10⁻³ mm²/s"), (1e-3, "mm²/s")])
def test_adc_colour_bar_names_the_unit_found_in_the_values(factor, unit):
    adc = np.zeros((3, 16, 16))
    adc[:, 4:12, 4:12] = np.random.default_rng(2).normal(0.8, 0.1, (3, 8, 8)) * factor  # background 0
    assert fit_scale("ADC", adc).unit == unit


def test_tile_places_slices_left_to_right_top_to_bottom():
    rgb = np.zeros((5, 4, 6, 3), np.uint8)
    for i in range(5):
        rgb[i] = i + 1
    m = tile(rgb, columns=3, gap=2)
    assert m.shape == (2 * 4 + 2, 3 * 6 + 4, 3)
    assert m[0, 0, 0] == 1 and m[0, 8, 0] == 2 and m[6, 0, 0] == 4 and m[6, 16, 0] == 0  # slot 6 is empty


def test_contour_is_the_in_plane_rim_only():
    m = np.zeros((3, 9, 9), bool)
    m[:, 2:7, 2:7] = True
    c = contour(m)
    assert c[1, 2, 4] and c[1, 4, 2] and not c[1, 4, 4]
    assert c[0].sum() == c[1].sum() == 16  # no slice loses its rim to the neighbouring slices


def test_strokeseg_own_maps_keep_their_unit_even_when_cbf_reads_low():
    """Maps strokeseg computed are in ml/100 g/min by construction: a low CBF (dispersion, a high AIF) is drawn on the
    conventional scale and unit, never as vendor units; the same values from a vendor are."""
    cbf = np.random.default_rng(1).gamma(4.0, 2.7, (4, 16, 16)).astype(np.float32)  # brain median ≈ 10
    assert fit_scale("CBF", cbf).unit.startswith("vendor units")
    assert fit_scale("CBF", cbf, own=True) == CONVENTIONAL["CBF"]
