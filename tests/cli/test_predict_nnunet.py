"""``strokeseg predict --model <nnU-Net results folder>`` on an nnU-Net raw dataset: nnU-Net's labels
on the input grid (mapped onto core/penumbra), probabilities, volumes, read-out and report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from tests.inference.nnunet.helpers import CT_MODEL, MR_MODEL, channel_files, reference


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    """nnunetv2 recorded its predictions on one thread; the comparison does not depend on free cores."""
    monkeypatch.setenv("STROKESEG_THREADS", "1")


def _raw(tmp_path: Path, model: Path, cases: list[str]) -> Path:
    root = tmp_path / "Dataset900_In"
    (root / "imagesTs").mkdir(parents=True)
    shutil.copy(model / "dataset.json", root / "dataset.json")
    for c in cases:
        for f in channel_files(c):
            shutil.copy(f, root / "imagesTs" / f.name)
    return root


def _arr(path: Path) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def test_ct_model_two_folds_labels_equal_nnunetv2_on_the_input_grid(cli, tmp_path):
    raw = _raw(tmp_path, CT_MODEL, ["ctt_000", "ctt_001"])
    code, _, err = cli("predict", raw, "--model", CT_MODEL, "--out", tmp_path / "out")
    assert code == 0, err
    for case in ("ctt_000", "ctt_001"):
        ref_labels, ref_probs = reference(case)
        ref_img = sitk.ReadImage(str(channel_files(case)[0]))  # nnU-Net writes its labels on the input's geometry
        label = tmp_path / "out" / case / f"{case}_label.nii.gz"
        mine = sitk.ReadImage(str(label))
        # the model's "lesion" (1) is strokeseg's core (2)
        assert np.array_equal(_arr(label) == 2, ref_labels == 1) and not (_arr(label) == 1).any()
        assert mine.GetSize() == ref_img.GetSize() and np.allclose(mine.GetDirection(), ref_img.GetDirection())
        assert np.allclose(mine.GetOrigin(), ref_img.GetOrigin()) and np.allclose(mine.GetSpacing(), ref_img.GetSpacing())
        probs = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "out" / case / f"{case}_probabilities.nii.gz")))
        assert np.abs(probs - ref_probs).max() <= 1e-6  # SimpleITK reads the 4D NIfTI as (K, Z, Y, X)
        info = json.loads((tmp_path / "out" / case / f"{case}_volumes.json").read_text(encoding="utf-8"))
        assert info["nnunet"][0]["folds"] == ["0", "1"] and info["target"] == "core"
        assert info["penumbra_ml"] is None and info["core_ml"] > 0
        assert info["probability_channels"] == ["background", "lesion"]
        # two folds: the between-model variance needs several folders, so none is written
        assert not (tmp_path / "out" / case / f"{case}_variance.nii.gz").exists()


def test_region_model_core_and_penumbra_and_report(cli, tmp_path):
    raw = _raw(tmp_path, MR_MODEL, ["mrt_000"])
    code, _, err = cli("predict", raw, "--model", MR_MODEL, "--out", tmp_path / "out", "--report")
    assert code == 0, err
    ref_labels = reference("mrt_000")[0]
    mine = _arr(tmp_path / "out" / "mrt_000" / "mrt_000_label.nii.gz")
    assert np.array_equal(mine, ref_labels)  # hypoperfused-only (1) = penumbra, core (2) = core
    readout = json.loads((tmp_path / "out" / "mrt_000" / "mrt_000_readout.json").read_text(encoding="utf-8"))
    assert readout["core_ml"] > 0 and readout["hypoperfused_ml"] > readout["core_ml"]
    assert (tmp_path / "out" / "report" / "index.html").is_file()


def test_threshold_is_opt_in_and_folds_are_chosen(cli, tmp_path):
    raw = _raw(tmp_path, CT_MODEL, ["ctt_001"])
    assert cli("predict", raw, "--model", CT_MODEL, "--out", tmp_path / "a", "--nnunet-folds", "1")[0] == 0
    assert cli("predict", raw, "--model", CT_MODEL, "--out", tmp_path / "b", "--threshold", "0.2")[0] == 0
    one = json.loads((tmp_path / "a" / "ctt_001" / "ctt_001_volumes.json").read_text(encoding="utf-8"))
    low = json.loads((tmp_path / "b" / "ctt_001" / "ctt_001_volumes.json").read_text(encoding="utf-8"))
    assert one["nnunet"][0]["folds"] == ["1"]
    ref = reference("ctt_001")[0]
    assert (_arr(tmp_path / "b" / "ctt_001" / "ctt_001_label.nii.gz") == 2).sum() > (ref == 1).sum()
    assert low["threshold"] == 0.2


def test_two_model_folders_fuse(cli, tmp_path):
    raw = _raw(tmp_path, CT_MODEL, ["ctt_000"])
    twin = tmp_path / "twin" / CT_MODEL.name
    shutil.copytree(CT_MODEL, twin)
    for fuse in ("mean", "vote"):
        code, _, err = cli("predict", raw, "--model", CT_MODEL, "--model", twin, "--fuse", fuse, "--out", tmp_path / fuse)
        assert code == 0, err
        ref = reference("ctt_000")[0]
        assert np.array_equal(_arr(tmp_path / fuse / "ctt_000" / "ctt_000_label.nii.gz") == 2, ref == 1)
        var = _arr(tmp_path / fuse / "ctt_000" / "ctt_000_variance.nii.gz")
        assert float(np.abs(var).max()) == 0.0  # two identical members agree everywhere


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--tta"], "--tta apply to strokeseg bundles"),
        (["--nnunet-labels", "edema=core"], "does not have"),
        (["--nnunet-channels", "DWI,ADC"], "the model has 1"),
        (["--nnunet-channels", "DWI"], "lacks DWI"),
    ],
)
def test_bad_options_give_one_line(cli, tmp_path, extra, message):
    raw = _raw(tmp_path, CT_MODEL, ["ctt_000"])
    args = ["predict", raw, "--model", CT_MODEL, "--out", tmp_path / "out", *extra]
    code, _, err = cli(*args)
    assert code != 0 and message in err
    assert len([ln for ln in err.strip().splitlines() if ln.strip()]) == 1
    assert not (tmp_path / "out" / "ctt_000").exists()


def test_python_api_load_model_and_predict_case(tmp_path):
    import strokeseg

    raw = _raw(tmp_path, MR_MODEL, ["mrt_001"])
    model = strokeseg.load_model(MR_MODEL)
    case = strokeseg.load_case(strokeseg.open_dataset(raw).cases[0], with_label=False)
    pred = strokeseg.predict_case(model, case)
    assert np.array_equal(pred.labels, reference("mrt_001")[0])
    assert pred.readout.core_ml is not None and pred.class_probabilities is not None
    from strokeseg.errors import InputError

    with pytest.raises(InputError, match="nnU-Net v2 results folder"):
        strokeseg.load_model(MR_MODEL / "fold_0")  # a fold is not the model folder


def test_parallel_workers_and_dicom_outputs(cli, tmp_path):
    import highdicom as hd

    from strokeseg.io.dicom import write_dicom_series
    from strokeseg.io.read import read_image

    raw = _raw(tmp_path, MR_MODEL, ["mrt_000", "mrt_001"])
    code, _, err = cli("predict", raw, "--model", MR_MODEL, "--out", tmp_path / "out", "--jobs", "2")
    assert code == 0, err
    for case in ("mrt_000", "mrt_001"):
        assert np.array_equal(_arr(tmp_path / "out" / case / f"{case}_label.nii.gz"), reference(case)[0])
    dwi = read_image(raw / "imagesTs" / "mrt_000_0000.nii.gz")
    write_dicom_series(tmp_path / "dcm", dwi.array, dwi.geometry)
    shutil.rmtree(tmp_path / "out" / "mrt_001")
    code, _, err = cli("report", tmp_path / "out", "--dicom-reference", tmp_path / "dcm")
    assert code == 0, err
    seg = hd.seg.segread(tmp_path / "out" / "report" / "mrt_000" / "dicom" / "seg.dcm")
    labels = sorted(s.SegmentLabel for s in seg.SegmentSequence)
    assert labels[0] == "Ischemic core" and labels[1].startswith("Penumbra") and len(labels) == 2


def test_backend_nnunetv2_matches_native_or_says_what_it_needs(cli, tmp_path):
    import importlib.util

    raw = _raw(tmp_path, MR_MODEL, ["mrt_000"])
    code, _, err = cli("predict", raw, "--model", MR_MODEL, "--out", tmp_path / "out", "--backend", "nnunetv2")
    if importlib.util.find_spec("nnunetv2") is None:
        assert code != 0 and "make nnunet-deps" in err and not (tmp_path / "out" / "mrt_000").exists()
    else:
        assert code == 0, err
        assert np.array_equal(_arr(tmp_path / "out" / "mrt_000" / "mrt_000_label.nii.gz"), reference("mrt_000")[0])


def test_backend_nnunetv2_without_nnunetv2_is_one_line(cli, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nnunetv2" else real(name, *a))
    raw = _raw(tmp_path, MR_MODEL, ["mrt_000"])
    code, _, err = cli("predict", raw, "--model", MR_MODEL, "--out", tmp_path / "out", "--backend", "nnunetv2")
    assert code != 0 and "make nnunet-deps" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "mrt_000").exists()
