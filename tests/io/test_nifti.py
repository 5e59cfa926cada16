import gzip

import nibabel as nib
import numpy as np
import pytest

from strokeseg.errors import InputError
from strokeseg.io.geometry import Geometry
from strokeseg.io.nifti import read_nifti, read_nifti_series, write_nifti
from strokeseg.io.read import read_image, read_series
from tests.helpers import GEOM


def test_round_trip_keeps_values_and_geometry(tmp_path):
    arr = np.random.default_rng(0).normal(size=GEOM.shape).astype(np.float32)
    write_nifti(tmp_path / "a.nii.gz", arr, GEOM)
    back, geom = read_nifti(tmp_path / "a.nii.gz")
    np.testing.assert_array_equal(back, arr)
    assert geom.same_grid(GEOM, atol=1e-5)


def test_axis_order_is_zyx(tmp_path):
    data = np.zeros((11, 13, 5), dtype=np.float32)  # nibabel order (i, j, k)
    data[10, 0, 4] = 7.0
    nib.save(nib.Nifti1Image(data, np.diag([0.9, 0.8, 5.0, 1.0])), tmp_path / "x.nii")
    arr, geom = read_nifti(tmp_path / "x.nii")
    assert arr.shape == (5, 13, 11)
    assert arr[4, 0, 10] == 7.0
    assert geom.spacing == pytest.approx((0.9, 0.8, 5.0))


def test_scl_slope_and_inter_are_applied(tmp_path):
    raw = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    img = nib.Nifti1Image(raw, np.eye(4))
    img.header.set_slope_inter(2.0, 10.0)
    nib.save(img, tmp_path / "s.nii.gz")
    arr, _ = read_nifti(tmp_path / "s.nii.gz")
    np.testing.assert_allclose(arr, np.transpose(raw * 2.0 + 10.0, (2, 1, 0)))


def test_series_time_last_with_interval(tmp_path):
    series = np.random.default_rng(1).normal(size=(*GEOM.shape, 6)).astype(np.float32)
    write_nifti(tmp_path / "ctp.nii.gz", series, GEOM, frame_interval=1.5)
    data, _geom, dt = read_nifti_series(tmp_path / "ctp.nii.gz")
    assert data.shape == (*GEOM.shape, 6)
    np.testing.assert_array_equal(data, series)
    assert dt == pytest.approx(1.5)
    s = read_series(tmp_path / "ctp.nii.gz")
    np.testing.assert_allclose(s.frame_times, np.arange(6) * 1.5)


def test_msec_time_unit_is_converted(tmp_path):
    img = nib.Nifti1Image(np.zeros((3, 3, 2, 4), np.float32), np.eye(4))
    img.header.set_xyzt_units("mm", "msec")
    img.header.set_zooms((1, 1, 1, 1200.0))
    nib.save(img, tmp_path / "ms.nii")
    assert read_series(tmp_path / "ms.nii").frame_interval == pytest.approx(1.2)


def test_oblique_real_geometry_survives_write(tmp_path, isles22_case):
    src = next(isles22_case.rglob("*_dwi.nii.gz"))
    arr, geom = read_nifti(src)
    write_nifti(tmp_path / "copy.nii.gz", arr, geom)
    np.testing.assert_allclose(nib.load(tmp_path / "copy.nii.gz").affine, nib.load(src).affine, atol=1e-4)


def test_truncated_gzip_is_one_clear_error(tmp_path):
    arr = np.random.default_rng(0).normal(size=(20, 30, 30)).astype(np.float32)
    write_nifti(tmp_path / "full.nii.gz", arr, Geometry(arr.shape, (1, 1, 1)))
    blob = (tmp_path / "full.nii.gz").read_bytes()
    (tmp_path / "cut.nii.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError, match=r"cut\.nii\.gz: .*truncated or corrupt"):
        read_image(tmp_path / "cut.nii.gz")


def test_garbage_file_is_one_clear_error(tmp_path):
    (tmp_path / "junk.nii.gz").write_bytes(gzip.compress(b"not a nifti header"))
    with pytest.raises(InputError, match=r"junk\.nii\.gz: cannot read as NIfTI"):
        read_image(tmp_path / "junk.nii.gz")


def test_4d_given_as_image_is_an_error(tmp_path):
    write_nifti(tmp_path / "s.nii.gz", np.zeros((*GEOM.shape, 3), np.float32), GEOM, frame_interval=1.0)
    with pytest.raises(InputError, match="expected a 3D volume"):
        read_image(tmp_path / "s.nii.gz")


def test_nan_is_refused_or_zeroed(tmp_path):
    arr = np.ones(GEOM.shape, np.float32)
    arr[1, 2, 3] = np.nan
    arr[0, 0, 0] = np.inf
    write_nifti(tmp_path / "nan.nii.gz", arr, GEOM)
    with pytest.raises(InputError, match=r"nan\.nii\.gz: contains 2 NaN/Inf voxel"):
        read_image(tmp_path / "nan.nii.gz")
    vol = read_image(tmp_path / "nan.nii.gz", nonfinite="zero")
    assert vol.array[1, 2, 3] == 0 and vol.array[0, 0, 0] == 0
    assert "2 NaN/Inf voxel(s) set to 0" in vol.notes[0]


def test_series_without_interval_needs_one(tmp_path):
    img = nib.Nifti1Image(np.zeros((3, 3, 2, 4), np.float32), np.eye(4))
    img.header.set_zooms((1, 1, 1, 0.0))
    nib.save(img, tmp_path / "nodt.nii")
    with pytest.raises(InputError, match="'frame_interval'"):
        read_series(tmp_path / "nodt.nii")
    assert read_series(tmp_path / "nodt.nii", frame_interval=2.0).frame_interval == 2.0
