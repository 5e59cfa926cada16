"""The ISLES'22 MRI recipe: train on the ISLES'22 BIDS layout, predict a grand-challenge case, nothing else to write."""

from __future__ import annotations

import json

import numpy as np
import pytest

from strokeseg.cli import main
from strokeseg.io.geometry import Geometry
from strokeseg.io.nifti import write_nifti
from tests.io.test_grand_challenge import make_case

pytestmark = pytest.mark.slow


def make_isles22_heads(root, n_cases: int = 4):
    """ISLES'22 BIDS cases with a head: an ellipsoid brain, a bright-DWI / low-ADC lesion, FLAIR on its own grid."""
    g = Geometry((12, 20, 18), (2.0, 2.0, 2.0))
    fg = Geometry((12, 40, 36), (1.0, 1.0, 2.0), origin=(-0.5, -0.5, 0.0))
    for i in range(1, n_cases + 1):
        rng = np.random.default_rng(i)
        z, y, x = np.mgrid[: g.shape[0], : g.shape[1], : g.shape[2]]
        brain = ((z - 5.5) / 5.5) ** 2 + ((y - 9.5) / 8.5) ** 2 + ((x - 8.5) / 7.5) ** 2 < 1
        lesion = brain & ((z - 6) ** 2 + (y - 7 - i % 3) ** 2 + (x - 6) ** 2 < 6)
        dwi = brain * (250 + 150 * lesion + rng.normal(0, 10, g.shape))
        adc = brain * (0.8 - 0.35 * lesion + rng.normal(0, 0.03, g.shape))
        sub = f"sub-strokecase{i:04d}"
        ses = root / "rawdata" / sub / "ses-0001"
        write_nifti(ses / "dwi" / f"{sub}_ses-0001_dwi.nii.gz", dwi.astype(np.float32), g)
        write_nifti(ses / "dwi" / f"{sub}_ses-0001_adc.nii.gz", adc.astype(np.float32), g)
        flair = np.repeat(np.repeat(dwi, 2, axis=1), 2, axis=2)
        write_nifti(ses / "anat" / f"{sub}_ses-0001_flair.nii.gz", flair.astype(np.float32), fg)
        write_nifti(root / "derivatives" / sub / "ses-0001" / f"{sub}_ses-0001_msk.nii.gz", lesion.astype(np.uint8), g)
    return root


TINY = [
    "--folds",
    "2",
    "--epochs",
    "1",
    "--set",
    "sampling.patches_per_case=16",
    "--set",
    "batch_size=8",
    "--set",
    "sampling.patch_size=[8,8,8]",
    "--set",
    "inference.step=[4,4,4]",
    "--set",
    "network.kwargs={dims: 3, base_filters: 4, depth: 2, dropout: 0.0, mc_levels: 0}",
    "--set",
    "postprocess.thresholds=[0.5]",
    "--set",
    "postprocess.min_sizes=[1]",
    "--no-cache",
]


def test_isles22_recipe_trains_on_bids_and_predicts_grand_challenge(tmp_path, capsys):
    make_isles22_heads(tmp_path / "isles22", n_cases=4)
    code = main(["train", "--recipe", "isles22-mri-3d-fast", "--data", str(tmp_path / "isles22"), "--out", str(tmp_path / "m"), *TINY])
    out = capsys.readouterr().out
    assert code == 0, out
    bundle = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["modalities"] == ["DWI", "ADC", "FLAIR"] and bundle["target"] == "core"
    assert bundle["channels"] == ["DWI", "ADC", "FLAIR", "DWI_sym", "ADC_sym", "FLAIR_sym"]
    uid = make_case(tmp_path / "gc")  # ADC in 1e-6 mm2/s there, 1e-3 in the BIDS release: per-case whitening
    code = main(["predict", "--model", str(tmp_path / "m"), "--input", str(tmp_path / "gc"), "--out", str(tmp_path / "p"), "--no-cache"])
    out = capsys.readouterr().out
    assert code == 0, out
    vol = json.loads((tmp_path / "p" / uid / f"{uid}_volumes.json").read_text(encoding="utf-8"))
    assert vol["core_ml"] is not None and vol["penumbra_ml"] is None  # a core model says nothing of penumbra
