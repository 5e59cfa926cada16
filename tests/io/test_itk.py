import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from strokeseg.errors import InputError
from strokeseg.io.geometry import Geometry
from strokeseg.io.itk import read_itk, read_itk_series, write_itk
from strokeseg.io.nifti import write_nifti
from strokeseg.io.read import read_image


def rotated_geometry() -> Geometry:
    a = np.deg2rad(-7.0)
    rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    return Geometry((6, 8, 10), (2.0, 2.0, 2.0), origin=(-90.0, 110.0, -60.0), direction=tuple(rot.ravel()))


def test_mha_round_trip(tmp_path):
    g = rotated_geometry()
    arr = np.random.default_rng(0).normal(size=g.shape).astype(np.float32)
    write_itk(tmp_path / "a.mha", arr, g)
    back, geom = read_itk(tmp_path / "a.mha")
    np.testing.assert_array_equal(back, arr)
    assert geom.same_grid(g, atol=1e-6)


def test_mha_to_nifti_keeps_world_geometry(tmp_path):
    """An ISLES'15 .mha written out as NIfTI lands on the same world grid (LPS↔RAS done right)."""
    g = rotated_geometry()
    write_itk(tmp_path / "a.mha", np.zeros(g.shape, np.float32), g)
    arr, geom = read_itk(tmp_path / "a.mha")
    write_nifti(tmp_path / "a.nii.gz", arr, geom)
    itk_img = sitk.ReadImage(str(tmp_path / "a.nii.gz"))
    np.testing.assert_allclose(itk_img.GetOrigin(), g.origin, atol=1e-4)
    np.testing.assert_allclose(itk_img.GetSpacing(), g.spacing, atol=1e-5)
    np.testing.assert_allclose(itk_img.GetDirection(), g.direction, atol=1e-5)
    # and nibabel sees the RAS version of the same affine
    np.testing.assert_allclose(nib.load(tmp_path / "a.nii.gz").affine, g.affine_ras(), atol=1e-4)


def test_4d_mha_series(tmp_path):
    data = np.random.default_rng(0).normal(size=(5, 4, 3, 2)).astype(np.float32)  # (t, z, y, x)
    img = sitk.GetImageFromArray(data, isVector=False)
    img.SetSpacing((1.0, 1.0, 5.0, 1.25))
    sitk.WriteImage(img, str(tmp_path / "s.mha"))
    arr, _geom, dt = read_itk_series(tmp_path / "s.mha")
    assert arr.shape == (4, 3, 2, 5)
    assert dt == pytest.approx(1.25)
    np.testing.assert_array_equal(arr[..., 2], data[2])


def test_truncated_mha(tmp_path):
    g = rotated_geometry()
    write_itk(tmp_path / "a.mha", np.ones(g.shape, np.float32), g, compress=False)
    blob = (tmp_path / "a.mha").read_bytes()
    (tmp_path / "cut.mha").write_bytes(blob[: len(blob) - 100])
    with pytest.raises(InputError, match=r"cut\.mha: cannot read image"):
        read_image(tmp_path / "cut.mha")
