"""Every published recipe trains a few iterations and predicts on a tiny phantom cohort (CPU, seconds):
the right output classes, the input's geometry, the NIHSS and pretrained-weight rules."""

import json

import numpy as np
import pytest
import torch

from strokeseg.io.nifti import read_nifti

pytestmark = pytest.mark.slow

# whole-slice samples of 48x48 hold the 40x40 slices (a smaller window is refused) and halve 4 times for the U-Net/V-Net
TINY = [
    "--folds",
    "2",
    "--epochs",
    "1",
    "--set",
    "batch_size=2",
    "--set",
    "postprocess.thresholds=[0.3,0.5]",
    "--set",
    "postprocess.min_sizes=[1,20]",
    "--set",
    "sampling.patch_size=[{pz},48,48]",
    "--set",
    "inference.step=[1,48,48]",
]
SMALL = dict(slices=3, matrix=(40, 40), spacing_xy=5.0, frames=30)

RECIPES = [  # (recipe, modality, slab depth, extra overrides, label values allowed)
    ("pspnet-ct-fast", "ct", 1, [], {0, 2}),
    ("pspnet-ct-wce", "ct", 1, ["network.kwargs.width_div=16"], {0, 2}),
    ("unet-2d-ct-fast", "ct", 1, [], {0, 2}),
    ("unet-3d-ct-fast", "ct", 2, [], {0, 2}),
    ("vnet-ct-fast", "ct", 2, [], {0, 2}),
    ("slow-fusion-vgg16-fast", "ct", 1, [], {0, 1, 2}),
    ("slow-fusion-vgg16-mip", "ct", 1, ["network.kwargs.width_div=16"], {0, 1, 2}),
    ("early-fusion-vgg16", "ct", 1, ["network.kwargs.width_div=16"], {0, 1, 2}),
    ("inflated-fusion-vgg16", "ct", 1, ["network.kwargs.width_div=16"], {0, 1, 2}),
    ("adversarial-segnet-fast", "mr", 1, [], {0, 1, 2}),
    ("segnet-bl1", "mr", 1, ["network.kwargs.width_div=16"], {0, 1, 2}),
    ("segnet-bl2", "mr", 1, ["network.kwargs.width_div=16", "adversarial.base=4"], {0, 1, 2}),
    ("sumnet-bl3", "mr", 1, ["network.kwargs.width_div=16"], {0, 1, 2}),
]


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory):
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    root = tmp_path_factory.mktemp("pub")
    out = {}
    for mod in ("ct", "mr"):
        write_phantom_cohort(root / mod, CohortSpec(4, PhantomConfig(modality=mod, **SMALL), "manifest", seed=7, second_slab_fraction=0.0))
        out[mod] = root / mod
    return out


@pytest.mark.parametrize(("recipe", "modality", "pz", "extra", "allowed"), RECIPES, ids=[r[0] for r in RECIPES])
def test_recipe_trains_and_predicts(recipe, modality, pz, extra, allowed, cohorts, tmp_path, cli):
    data = cohorts[modality]
    args = [a.format(pz=pz) for a in TINY] + [x for e in extra for x in ("--set", e)]
    code, out, err = cli("train", "--recipe", recipe, "--data", data, "--out", tmp_path / "m", *args)
    assert code == 0, err
    assert "model bundle written" in out
    bundle = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["num_classes"] == (3 if allowed == {0, 1, 2} else 2)
    assert "NIHSS" not in bundle["modalities"]
    code, _out, err = cli("predict", "--model", tmp_path / "m", "--input", data, "--out", tmp_path / "pred")
    assert code == 0, err
    case = sorted(p.name for p in (tmp_path / "pred").iterdir() if p.is_dir())[0]
    lab, geom = read_nifti(tmp_path / "pred" / case / f"{case}_label.nii.gz")
    _, src = read_nifti(data / case / "CBF.nii.gz")
    assert geom.same_grid(src, atol=1e-4) and set(np.unique(lab).tolist()) <= allowed


def test_missing_nihss_is_an_error_unless_imputed(cohorts, tmp_path, cli):
    import csv

    rows = list(csv.DictReader((cohorts["ct"] / "manifest.csv").open(encoding="utf-8")))
    for r in rows:
        r["nihss"] = ""
    data = tmp_path / "nonihss"
    import shutil

    shutil.copytree(cohorts["ct"], data)
    with (data / "manifest.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    code, _, err = cli(
        "train", "--recipe", "slow-fusion-vgg16-fast", "--data", data, "--out", tmp_path / "m", *[a.format(pz=1) for a in TINY]
    )
    assert code == 2 and "has no NIHSS score" in err and not (tmp_path / "m" / "bundle.json").exists()
    code, _, err = cli(
        "train",
        "--recipe",
        "slow-fusion-vgg16-fast",
        "--data",
        data,
        "--out",
        tmp_path / "m2",
        *[a.format(pz=1) for a in TINY],
        "--set",
        "nihss_impute=10",
    )
    assert code == 0, err


def test_pretrained_file_is_loaded_and_recorded(cohorts, tmp_path, cli):
    from strokeseg.models.backbones import VGGFeatures

    sd = {k: torch.randn(v.shape) * 0.01 for k, v in VGGFeatures("vgg16").state_dict().items()}
    torch.save(sd, tmp_path / "vgg16.pth")
    code, _out, err = cli(
        "train",
        "--recipe",
        "slow-fusion-vgg16",
        "--data",
        cohorts["ct"],
        "--out",
        tmp_path / "m",
        "--pretrained",
        tmp_path / "vgg16.pth",
        *[a.format(pz=1) for a in TINY],
        "--folds",
        "2",
        "--set",
        "fine_tuning=[{unfrozen: 0.0}]",
        "--set",
        "modalities=[CBF]",  # one full-size VGG-16 branch, not four: the suite's ≤ 4 GB (the loading is the same per branch)
    )
    assert code == 0, err
    bundle = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["meta"]["pretrained"]["pretrained"] is True
    # the backbone was frozen for the whole (single-stage) run: the fold weights still hold the file's values
    w = torch.load(tmp_path / "m" / "fold_0" / "weights.pt", weights_only=True)
    assert torch.equal(w["branches.0.features.0.weight"], sd["features.0.weight"])
    code, _, err = cli(
        "train",
        "--recipe",
        "pspnet-ct-fast",
        "--data",
        cohorts["ct"],
        "--out",
        tmp_path / "m2",
        "--pretrained",
        tmp_path / "vgg16.pth",
        *[a.format(pz=1) for a in TINY],
    )
    assert code == 2 and "vgg16.pth" in err


def test_bundles_of_two_losses_ensemble_and_mismatches_are_refused(cohorts, tmp_path, cli):
    args = [a.format(pz=1) for a in TINY]
    for name, out in (("pspnet-ct-fast", "focal"), ("pspnet-ct-wce", "wce"), ("unet-2d-ct-fast", "u2")):
        extra = ["--set", "network.kwargs.width_div=16"] if name == "pspnet-ct-wce" else []
        if name == "unet-2d-ct-fast":
            extra = ["--set", "target=hypoperfused"]
        code, _, err = cli("train", "--recipe", name, "--data", cohorts["ct"], "--out", tmp_path / out, *args, *extra)
        assert code == 0, err
    code, out, err = cli(
        "predict", "--model", tmp_path / "focal", "--model", tmp_path / "wce", "--input", cohorts["ct"], "--out", tmp_path / "pred"
    )
    assert code == 0, err
    info = json.loads(next((tmp_path / "pred").glob("*/*_volumes.json")).read_text(encoding="utf-8"))
    assert info["models"] == 4 and info["recipe"] == "pspnet-ct-fast+pspnet-ct-wce"
    code, _, err = cli(
        "predict", "--model", tmp_path / "focal", "--model", tmp_path / "u2", "--input", cohorts["ct"], "--out", tmp_path / "pred2"
    )
    assert code == 2 and "cannot ensemble" in err and not (tmp_path / "pred2").exists()
