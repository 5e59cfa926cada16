"""Geometry from NIfTI headers as ITK/SimpleITK read them, on the real ISLES'18 case and its phantom copy."""

from __future__ import annotations

import numpy as np
import pytest

from strokeseg.io.case import load_case
from strokeseg.io.layouts import open_dataset
from strokeseg.io.read import read_image
from tests.helpers import SHARED, shared_or_skip

ISLES18 = SHARED / "data" / "real" / "isles2018"


def _itk_geometry(path):
    import SimpleITK as sitk

    r = sitk.ImageFileReader()
    r.SetFileName(str(path))
    r.ReadImageInformation()
    return np.asarray(r.GetSpacing()), np.asarray(r.GetOrigin()), np.asarray(r.GetDirection())


@pytest.fixture
def isles18_case():
    return shared_or_skip(ISLES18)


def test_the_real_isles18_spacing_is_read_as_itk_reads_it(isles18_case):
    files = sorted(isles18_case.glob("case_1/SMIR.*/*.nii"))
    assert len(files) == 4
    for f in files:
        vol = read_image(f)
        spacing, origin, direction = _itk_geometry(f)
        np.testing.assert_allclose(vol.geometry.spacing, spacing, rtol=1e-6)
        np.testing.assert_allclose(vol.geometry.spacing, (0.9765620, 0.9765620, 5.0003), rtol=1e-5)
        np.testing.assert_allclose(vol.geometry.origin, origin, atol=1e-6)
        np.testing.assert_allclose(vol.geometry.direction, direction, atol=1e-6)
        assert any("disagrees with itself" in n and "pixdim" in n for n in vol.notes)  # the choice is reported


def test_the_real_isles18_core_volume(isles18_case):
    ds = open_dataset(isles18_case)
    case = load_case(ds.cases[0])
    n = int((case.label == 2).sum())
    ml = n * case.geometry.voxel_volume_ml
    assert ml == pytest.approx(n * 0.976562**2 * 5.0003 / 1000, rel=1e-5)
    assert ml == pytest.approx(11.54, abs=0.01)  # 4.77× the 2.42 ml an identity-sform reading gives
    assert any("disagrees with itself" in note for note in case.notes)


def test_phantom_isles18_headers_read_back_at_the_true_spacing(tmp_path):
    import nibabel as nib

    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cfg = PhantomConfig(slices=2, matrix=(48, 48), spacing_xy=2.5, frames=30, frame_interval=1.5)
    write_phantom_cohort(tmp_path / "q", CohortSpec(1, cfg, "isles2018", seed=2, second_slab_fraction=0.0, quirks=("isles2018-headers",)))
    write_phantom_cohort(tmp_path / "plain", CohortSpec(1, cfg, "isles2018", seed=2, second_slab_fraction=0.0))
    ot = next((tmp_path / "q").glob("case_1/SMIR.Brain.XX.O.OT.*/*.nii"))
    hdr = nib.load(str(ot)).header
    assert (int(hdr["sform_code"]), int(hdr["qform_code"])) == (2, 0)
    assert np.array_equal(nib.load(str(ot)).affine, np.eye(4))  # what a naive reader takes as 1 mm voxels
    quirky = load_case(open_dataset(tmp_path / "q").cases[0])
    plain = load_case(open_dataset(tmp_path / "plain").cases[0])
    np.testing.assert_allclose(quirky.geometry.spacing, plain.geometry.spacing, rtol=1e-6)
    assert quirky.geometry.voxel_volume_ml == pytest.approx(plain.geometry.voxel_volume_ml, rel=1e-6)
    assert np.array_equal(quirky.label, plain.label)
    spacing, _, _ = _itk_geometry(ot)
    np.testing.assert_allclose(quirky.geometry.spacing, spacing, rtol=1e-6)


def test_vendor_sentinels_fill_the_background_only():
    from strokeseg.phantom.quirks import VENDOR_SENTINELS, with_vendor_sentinels

    head = np.zeros((2, 10, 10), bool)
    head[:, 2:8, 2:8] = True
    maps = {m: np.full(head.shape, 5.0, np.float32) for m in ("CBF", "CBV", "MTT", "Tmax")}
    out = with_vendor_sentinels(maps, head, np.random.default_rng(0))
    for arr in out.values():
        assert np.all(arr[head] == 5.0)
    assert np.all(out["CBF"][~head] == VENDOR_SENTINELS["CBF"]) and np.all(out["Tmax"][~head] == -30.0)
    assert out["MTT"][~head].max() <= 0 and out["MTT"][~head].min() > -30000.0
    assert out["CBV"][~head].min() < 0 and out["CBV"][~head].min() >= -56.0


def test_subacute_mri_lesions_are_bright_on_dwi_with_near_normal_adc(tmp_path):
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cfg = PhantomConfig(modality="mr", slices=8, matrix=(48, 48), spacing_xy=3.0, frames=30, p_no_stroke=0.0)
    write_phantom_cohort(tmp_path / "mr", CohortSpec(1, cfg, "isles2015-spes", seed=3, quirks=("subacute-mri", "dwi-bias-field")))
    write_phantom_cohort(tmp_path / "plain", CohortSpec(1, cfg, "isles2015-spes", seed=3))
    sub = load_case(open_dataset(tmp_path / "mr").cases[0])
    plain = load_case(open_dataset(tmp_path / "plain").cases[0])
    core = sub.label == 2
    assert core.any()
    healthy = (plain.images["ADC"] > 400) & (plain.images["ADC"] < 1200) & ~core
    adc_ratio = np.median(sub.images["ADC"][core]) / np.median(sub.images["ADC"][healthy])
    dwi_ratio = np.median(sub.images["DWI"][core]) / np.median(sub.images["DWI"][healthy])
    assert 0.95 < adc_ratio < 1.35 and dwi_ratio > 1.15  # the ISLES'22 case-0001 pattern
    assert float(np.mean(sub.images["ADC"][core] < 620)) < 0.2
    assert np.median(plain.images["ADC"][core]) < 620  # the clean phantom's core is an acute, low-ADC one
    ratio = sub.images["DWI"][healthy] / np.maximum(plain.images["DWI"][healthy], 1e-3)
    assert ratio.std() > 0.02  # a spatially varying bias, not a constant factor


def test_an_output_on_the_real_isles18_grid_repeats_its_header(isles18_case, tmp_path):
    """Its identity sform (code 2) with pixdim 0.977 × 0.977 × 5 is written back as it was, not a 'fixed' matrix,
    so every reader sees the output on the grid it sees the input on."""
    import nibabel as nib

    from strokeseg.io.nifti import write_nifti

    src = sorted(isles18_case.glob("case_1/SMIR.*OT*/*.nii"))[0]
    vol = read_image(src)
    out = write_nifti(tmp_path / "o.nii.gz", (vol.array > 0).astype(np.uint8), vol.geometry)
    a, b = nib.load(str(src)).header, nib.load(str(out)).header
    for k in ("srow_x", "srow_y", "srow_z", "sform_code", "qform_code", "quatern_b", "quatern_c", "quatern_d", "qoffset_x"):
        assert np.asarray(a[k]).tobytes() == np.asarray(b[k]).tobytes(), k
    assert np.asarray(a["pixdim"][:4]).tobytes() == np.asarray(b["pixdim"][:4]).tobytes()
    assert read_image(out).geometry == vol.geometry
