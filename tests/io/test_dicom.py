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
