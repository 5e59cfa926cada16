"""The tiny nnU-Net v2 fixtures: model folders and nnunetv2's predictions in tests/fixtures/nnunet
(written by make_fixtures.py with nnunetv2), the input images regenerated from their seed."""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path

import numpy as np
import SimpleITK as sitk

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "nnunet"
sys.path.insert(0, str(FIXTURES))

from cases import generate_test_cases  # noqa: E402

CT_MODEL = FIXTURES / "models" / "Dataset901_TinyCT" / "nnUNetTrainer_50epochs__nnUNetPlans__3d_fullres"
MR_MODEL = FIXTURES / "models" / "Dataset902_TinyMR" / "nnUNetTrainer_50epochs__nnUNetPlans__3d_fullres"
MR_MODEL_2D = FIXTURES / "models" / "Dataset902_TinyMR" / "nnUNetTrainer_50epochs__nnUNetPlans__2d"
#: test case → the model folder that predicted it
CASES = {"ctt_000": CT_MODEL, "ctt_001": CT_MODEL, "mrt_000": MR_MODEL, "mrt_001": MR_MODEL}


@functools.cache
def _generated() -> dict[str, list[Path]]:
    """The test cases' channel files, written once per session into a temporary folder."""
    raw = Path(tempfile.mkdtemp(prefix="strokeseg-nnunet-cases-"))
    return {key.split("/")[1]: files for key, files in generate_test_cases(raw).items()}


def channel_files(case: str) -> list[Path]:
    return _generated()[case]


def read_case(case: str) -> tuple[np.ndarray, list[float], sitk.Image]:
    """``(C, Z, Y, X)`` float32 channels, spacing in array order, and the first channel's image."""
    imgs = [sitk.ReadImage(str(f)) for f in channel_files(case)]
    arr = np.stack([sitk.GetArrayFromImage(i) for i in imgs]).astype(np.float32)
    return arr, list(imgs[0].GetSpacing())[::-1], imgs[0]


def recorded(case: str, suffix: str = "") -> tuple[np.ndarray, np.ndarray]:
    """nnunetv2's labels and probabilities for the case as ``make_fixtures.py`` recorded them, on the machine
    that ran it (``suffix`` ``_2d``: the 2d model's)."""
    with np.load(FIXTURES / "predictions" / f"{case}.npz") as z:
        return z[f"labels{suffix}"], z[f"probabilities{suffix}"]


@functools.cache
def reference(case: str, suffix: str = "") -> tuple[np.ndarray, np.ndarray]:
    """nnunetv2's labels and probabilities for the case, computed on this machine by nnunetv2's own
    ``nnUNetPredictor`` on one thread where nnunetv2 is installed (``make test`` installs it), else as recorded.

    float32 convolutions round differently from one CPU to another (BLAS kernels chosen by instruction set):
    the recorded probabilities differ from this machine's by up to ~2e-4 where its kernels differ, while the
    labels agree, so the exact comparisons use the oracle run here (:func:`recorded` stays checked against it).
    """
    try:
        import nnunetv2  # noqa: F401
        import torch
    except ImportError:
        return recorded(case, suffix)
    from strokeseg.inference.nnunet.folder import load_nnunet_model
    from strokeseg.inference.nnunet.oracle import predict_arrays_nnunetv2

    images, spacing, _ = read_case(case)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return predict_arrays_nnunetv2(load_nnunet_model(MR_MODEL_2D if suffix == "_2d" else CASES[case]), images, spacing)
    finally:
        torch.set_num_threads(threads)
