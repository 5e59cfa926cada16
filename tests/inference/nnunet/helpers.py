"""The tiny nnU-Net v2 fixtures (tests/fixtures/nnunet, written by make_fixtures.py with nnunetv2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "nnunet"
CT_MODEL = FIXTURES / "models" / "Dataset901_TinyCT" / "nnUNetTrainer_50epochs__nnUNetPlans__3d_fullres"
MR_MODEL = FIXTURES / "models" / "Dataset902_TinyMR" / "nnUNetTrainer_50epochs__nnUNetPlans__3d_fullres"
MR_MODEL_2D = FIXTURES / "models" / "Dataset902_TinyMR" / "nnUNetTrainer_50epochs__nnUNetPlans__2d"
CASES = {
    "ctt_000": (CT_MODEL, FIXTURES / "cases" / "Dataset901_TinyCT" / "ctt_000"),
    "ctt_001": (CT_MODEL, FIXTURES / "cases" / "Dataset901_TinyCT" / "ctt_001"),
    "mrt_000": (MR_MODEL, FIXTURES / "cases" / "Dataset902_TinyMR" / "mrt_000"),
    "mrt_001": (MR_MODEL, FIXTURES / "cases" / "Dataset902_TinyMR" / "mrt_001"),
}


def channel_files(case_dir: Path) -> list[Path]:
    return sorted(case_dir.glob("*_000[0-9].nii.gz"))


def read_case(case_dir: Path) -> tuple[np.ndarray, list[float], sitk.Image]:
    """``(C, Z, Y, X)`` float32 channels, spacing in array order, and the first channel's image."""
    imgs = [sitk.ReadImage(str(f)) for f in channel_files(case_dir)]
    arr = np.stack([sitk.GetArrayFromImage(i) for i in imgs]).astype(np.float32)
    return arr, list(imgs[0].GetSpacing())[::-1], imgs[0]


def reference(case_dir: Path, suffix: str = "") -> tuple[np.ndarray, np.ndarray, sitk.Image]:
    """nnunetv2's labels, probabilities and label image for the case (``suffix`` ``_2d``: the 2d model's)."""
    img = sitk.ReadImage(str(case_dir / f"nnunetv2{suffix}_labels.nii.gz"))
    probs = np.load(case_dir / f"nnunetv2{suffix}_probabilities.npz")["probabilities"]
    return sitk.GetArrayFromImage(img), probs, img
