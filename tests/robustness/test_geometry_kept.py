"""Sheared (gantry-tilted) grids are kept bit for bit in every output, with volumes from |det(affine)|."""

from __future__ import annotations

import json
import shutil

import nibabel as nib
import numpy as np
import pytest

from strokeseg.cli import main


def _shear(folder, tilt_deg: float) -> np.ndarray:
    """Give every NIfTI of ``folder`` the same affine, tilted by ``tilt_deg`` in the y–z plane."""
    aff = None
    for f in sorted(folder.rglob("*.nii")):
        img = nib.load(str(f))
        if aff is None:
            aff = img.affine.copy()
            aff[1, 2] = aff[2, 2] * np.tan(np.deg2rad(tilt_deg))
        data = np.asanyarray(img.dataobj).copy()  # a copy: the file is memory-mapped and about to be rewritten
        new = nib.Nifti1Image(data, aff)
        if data.ndim == 4:
            new.header.set_zooms((*new.header.get_zooms()[:3], img.header.get_zooms()[3]))
            new.header.set_xyzt_units("mm", "sec")
        nib.save(new, str(f))
    assert aff is not None
    return nib.load(str(f)).affine  # as stored (float32 rows), which outputs must reproduce exactly


def test_threshold_and_perfusion_keep_a_sheared_grid(corpus_assets, tmp_path, capsys):
    data = tmp_path / "ph"
    shutil.copytree(corpus_assets / "ph", data)
    for extra in ("case_2", "case_3"):
        shutil.rmtree(data / extra)
    aff = _shear(data / "case_1", 12.0)
    assert main(["info", str(data)]) == 0
    assert "sheared by 12.00°" in capsys.readouterr().out
    assert main(["threshold", str(data), "--out", str(tmp_path / "t")]) == 0
    assert main(["perfusion", str(data), "--out", str(tmp_path / "p"), "--smoothing-fwhm", "0"]) == 0
    capsys.readouterr()
    for f in [tmp_path / "t" / "case_1" / "case_1_label.nii.gz", *sorted((tmp_path / "p" / "case_1").glob("*.nii.gz"))]:
        img = nib.load(str(f))
        assert np.array_equal(img.affine, aff), f.name  # not straightened
    lab = np.asanyarray(nib.load(str(tmp_path / "t" / "case_1" / "case_1_label.nii.gz")).dataobj)
    ro = json.loads((tmp_path / "t" / "case_1" / "case_1_readout.json").read_text(encoding="utf-8"))
    voxel_ml = abs(np.linalg.det(aff[:3, :3])) / 1000
    assert voxel_ml < np.prod(np.linalg.norm(aff[:3, :3], axis=0)) / 1000  # the tilt makes voxels smaller
    assert ro["core_ml"] == pytest.approx(float((lab == 2).sum() * voxel_ml), abs=0.01)


def _header_fields(path) -> tuple:
    h = nib.load(str(path)).header
    keys = (
        "srow_x",
        "srow_y",
        "srow_z",
        "sform_code",
        "qform_code",
        "quatern_b",
        "quatern_c",
        "quatern_d",
        "qoffset_x",
        "qoffset_y",
        "qoffset_z",
    )
    return (*tuple(np.asarray(h[k]).tobytes() for k in keys), np.asarray(h["pixdim"][:4]).tobytes())


def _tilt_with_slice_spacing(folder, tilt_deg: float) -> None:
    """A gantry tilt as converters often write it: a sheared sform (code 2), a straight qform (code 1) and
    ``pixdim[3]`` the distance between the tilted slice planes, not the sform column's length."""
    for f in sorted(folder.rglob("*.nii")):
        img = nib.load(str(f))
        aff = img.affine.copy()
        aff[1, 2] = aff[2, 2] * np.tan(np.deg2rad(tilt_deg))
        data = np.asanyarray(img.dataobj).copy()
        zooms = img.header.get_zooms()
        new = nib.Nifti1Image(data, None)
        new.header.set_qform(img.affine, code=1)
        new.header.set_sform(aff, code=2)
        new.header["pixdim"][1:4] = zooms[:3]
        if data.ndim == 4:
            new.header["pixdim"][4] = zooms[3]
        new.header.set_xyzt_units("mm", "sec")
        nib.save(new, str(f))


def test_every_output_repeats_the_input_header_and_a_tilt_written_with_its_slice_spacing_keeps_its_volume(corpus_assets, tmp_path, capsys):
    """R07: outputs carry the input's sform, qform, codes and pixdim bit for bit, and a tilted header whose
    pixdim holds the slice-plane distance reads as the same grid as one whose pixdim are the column lengths."""
    volumes = {}
    for kind in ("columns", "planes"):
        data = tmp_path / kind / "ph"
        shutil.copytree(corpus_assets / "ph", data)
        for extra in ("case_2", "case_3"):
            shutil.rmtree(data / extra)
        (_shear if kind == "columns" else _tilt_with_slice_spacing)(data / "case_1", 30.0)
        ref = _header_fields(next((data / "case_1").rglob("*OT*.nii")))
        assert main(["threshold", str(data), "--out", str(tmp_path / kind / "t")]) == 0
        assert main(["predict", str(data), "--model", str(corpus_assets / "model"), "--out", str(tmp_path / kind / "m")]) == 0
        out = capsys.readouterr().out
        assert "disagrees with itself" not in out
        outputs = sorted((tmp_path / kind).glob("[tm]/case_1/*.nii.gz"))
        assert len(outputs) >= 5
        for f in outputs:
            assert _header_fields(f) == ref, (kind, f.name)
        volumes[kind] = [json.loads(next((tmp_path / kind / r).glob("case_1/*_readout.json")).read_text())["core_ml"] for r in "tm"]
    assert volumes["planes"] == pytest.approx(volumes["columns"], rel=1e-9)
