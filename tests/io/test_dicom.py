import numpy as np
import pytest

from strokeseg.errors import InputError
from strokeseg.io.dicom import read_dicom, read_dicom_series, write_dicom_series
from strokeseg.io.geometry import Geometry
from strokeseg.io.read import read_image, read_series

G = Geometry((4, 10, 12), (0.7, 0.7, 5.0), origin=(-40.0, -30.0, 10.0))


def test_3d_series_round_trip(tmp_path):
    arr = np.random.default_rng(0).integers(-100, 200, size=G.shape).astype(np.float32)
    write_dicom_series(tmp_path / "ct", arr, G)
    back, geom = read_dicom(tmp_path / "ct")
    np.testing.assert_array_equal(back, arr)
    assert geom.same_grid(G, atol=1e-3)
    assert read_image(tmp_path / "ct").array.shape == G.shape


def test_4d_series_frames_and_times(tmp_path):
    rng = np.random.default_rng(1)
    data = rng.integers(0, 100, size=(*G.shape, 5)).astype(np.float32)
    times = np.array([0.0, 1.5, 3.0, 4.5, 6.0])
    write_dicom_series(tmp_path / "ctp", data, G, frame_times=times)
    arr, _geom, ft = read_dicom_series(tmp_path / "ctp")
    np.testing.assert_array_equal(arr, data)
    np.testing.assert_allclose(ft, times, atol=1e-3)
    s = read_series(tmp_path / "ctp")
    assert s.frame_interval == pytest.approx(1.5)
    with pytest.raises(InputError, match="4D"):
        read_dicom(tmp_path / "ctp")


def test_empty_folder_has_no_series(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no DICOM series"):
        read_dicom(tmp_path / "empty")


def _tilted(tilt_deg: float) -> Geometry:
    """A gantry-tilted grid: 5 mm slices whose positions also step sideways by 5 tan(tilt) mm."""
    m = np.array([[0.8, 0, 0], [0, 0.8, 5 * np.tan(np.deg2rad(tilt_deg))], [0, 0, 5.0]])
    sp = np.linalg.norm(m, axis=0)
    return Geometry((6, 20, 24), tuple(sp), (10.0, -20.0, 30.0), tuple((m / sp).ravel()), tuple(m.ravel()))


def test_a_tilted_gantry_series_keeps_its_slice_positions_and_voxel_volume(tmp_path):
    """ITK alone places the slices along the normal 5.32 mm apart (voxels 6 % too large, slices misplaced);
    the positions' own step gives the sheared grid back, 3D and time-resolved alike."""
    g = _tilted(20.0)
    arr = np.random.default_rng(0).integers(0, 100, g.shape).astype(np.float32)
    write_dicom_series(tmp_path / "s", arr, g)
    back, g3 = read_dicom(tmp_path / "s")
    assert np.array_equal(back, arr)
    np.testing.assert_allclose(g3.affine_lps(), g.affine_lps(), atol=1e-5)
    assert g3.voxel_volume_ml == pytest.approx(0.8 * 0.8 * 5 / 1000, rel=1e-6)
    assert g3.shear_deg == pytest.approx(20.0, abs=1e-3)
    write_dicom_series(tmp_path / "t", np.stack([arr, arr + 1], -1), g, frame_times=np.array([0.0, 1.5]))
    _, g4, _ = read_dicom_series(tmp_path / "t")
    np.testing.assert_allclose(g4.affine_lps(), g.affine_lps(), atol=1e-5)


def test_an_untilted_series_keeps_the_grid_itk_reads(tmp_path):
    g = Geometry((4, 8, 8), (0.5, 0.5, 2.0), (1.0, 2.0, 3.0))
    write_dicom_series(tmp_path / "s", np.zeros(g.shape), g)
    g2 = read_dicom(tmp_path / "s")[1]
    assert g2.matrix is None and g2.same_grid(g, atol=1e-6)
