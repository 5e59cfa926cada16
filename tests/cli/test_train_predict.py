"""train → predict → cv-report → evaluate on tiny phantom cohorts (CT-2D and MRI-3D recipes)."""

import json
import shutil

import numpy as np
import pytest

from strokeseg.io.nifti import read_nifti, write_nifti
from strokeseg.io.read import read_image

pytestmark = pytest.mark.slow

TINY_CT = [
    "--set",
    "sampling.patches_per_case=24",
    "--set",
    "batch_size=16",
    "--set",
    "inference.mc_passes=2",
    "--set",
    "postprocess.thresholds=[0.3,0.5]",
    "--set",
    "postprocess.min_sizes=[5,50]",
]


@pytest.fixture(scope="module")
def ct_cohort(tmp_path_factory):
    from tests.helpers import small_ct_cohort

    return small_ct_cohort(tmp_path_factory.mktemp("ctc") / "data", 4, seed=4, all_strokes=False)


def test_ct2d_train_predict_evaluate(ct_cohort, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("STROKESEG_CACHE", str(tmp_path / "cache"))
    code, out, _ = cli(
        "train",
        "--recipe",
        "clerigues-ct-2d-fast",
        "--data",
        ct_cohort,
        "--out",
        tmp_path / "model",
        "--folds",
        "2",
        "--epochs",
        "1",
        *TINY_CT,
    )
    assert code == 0 and "cross-validation" in out and "model bundle written" in out
    assert list((tmp_path / "cache" / "symmetry").glob("v*/*.npz"))  # symmetric modalities cached
    code, out, _ = cli("cv-report", tmp_path / "model")
    assert code == 0 and "| core | all | 4 |" in out
    code, out, _ = cli("predict", "--model", tmp_path / "model", "--input", ct_cohort, "--out", tmp_path / "pred")
    assert code == 0 and "core" in out
    lab, geom = read_nifti(tmp_path / "pred" / "case_1" / "case_1_label.nii.gz")
    src = read_image(next(ct_cohort.glob("case_1/SMIR.Brain.XX.O.CT.*/*.nii")))
    assert geom.same_grid(src.geometry, atol=1e-4) and set(np.unique(lab)) <= {0, 2}
    for suffix in ("prob", "variance", "entropy"):
        arr, _ = read_nifti(tmp_path / "pred" / "case_1" / f"case_1_{suffix}.nii.gz")
        assert arr.shape == lab.shape and np.isfinite(arr).all()
    vols = json.loads((tmp_path / "pred" / "case_1" / "case_1_volumes.json").read_text(encoding="utf-8"))
    assert vols["core_ml"] == pytest.approx((lab == 2).sum() * geom.voxel_volume_ml) and vols["models"] == 2
    code, out, _ = cli("evaluate", "--pred", tmp_path / "pred", "--truth", ct_cohort, "--out", tmp_path / "ev")
    assert code == 0 and "| core | all | 4 |" in out
    readout = json.loads((tmp_path / "pred" / "case_1" / "case_1_readout.json").read_text(encoding="utf-8"))
    assert "input-outside-training" not in {w["code"] for w in readout["warnings"]}  # the training data's own kind
    # the same case with its CBF on a vendor's scale (×20): far outside the training data, so the verdicts are held back
    shifted = tmp_path / "vendor" / "case_1"
    shutil.copytree(ct_cohort / "case_1", shifted)
    cbf_file = next(shifted.glob("SMIR.Brain.XX.O.CT_CBF.*/*.nii"))
    img = read_image(cbf_file)
    write_nifti(cbf_file, img.array * 20.0, img.geometry)
    code, out, err = cli("predict", "--model", tmp_path / "model", "--input", tmp_path / "vendor", "--out", tmp_path / "pred20")
    assert code == 0, err
    readout = json.loads((tmp_path / "pred20" / "case_1" / "case_1_readout.json").read_text(encoding="utf-8"))
    assert "input-outside-training" in {w["code"] for w in readout["warnings"]} and "CBF" in str(readout["implausible"])
    assert readout["defuse3"] is None and readout["extend"] is None


def test_mri3d_fast_trains_on_spes(tmp_path, cli, monkeypatch):
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    monkeypatch.setenv("STROKESEG_CACHE", str(tmp_path / "cache"))
    write_phantom_cohort(
        tmp_path / "mr",
        CohortSpec(3, PhantomConfig(modality="mr", matrix=(55, 48), spacing_xy=4.0, slices=18, frames=40), "isles2015-spes", seed=2),
    )
    code, out, _ = cli(
        "train",
        "--recipe",
        "clerigues-mri-3d-fast",
        "--data",
        tmp_path / "mr",
        "--out",
        tmp_path / "m",
        "--folds",
        "3",
        "--epochs",
        "1",
        "--set",
        "sampling.patches_per_case=16",
        "--set",
        "inference.step=[8,16,16]",
        "--set",
        "postprocess.thresholds=[0.5]",
        "--set",
        "postprocess.min_sizes=[10]",
    )
    assert code == 0 and "| hypoperfused | all | 3 |" in out
    bundle = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["target"] == "lesion" and len(bundle["channels"]) == 16  # 8 SPES maps (+ADC) and their mirrors
    code, _, _ = cli("predict", "--model", tmp_path / "m", "--input", tmp_path / "mr", "--out", tmp_path / "p", "--folds", "1")
    assert code == 0 and (tmp_path / "p" / "1" / "1_label.nii.gz").exists()


def test_bad_model_folder(tmp_path, cli):
    (tmp_path / "empty").mkdir()
    code, _, err = cli("predict", "--model", tmp_path / "empty", "--input", tmp_path / "empty", "--out", tmp_path / "o")
    assert code == 2 and "not a complete strokeseg model bundle" in err
