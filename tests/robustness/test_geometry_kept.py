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
