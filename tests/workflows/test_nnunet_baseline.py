"""The nnU-Net baseline end to end on CPU with a tiny network and a few iterations: nnunetv2 plans,
preprocesses and trains every strokeseg fold, the native runner predicts the held-out folds, and the
out-of-fold rows are what ``strokeseg compare`` reads. Without nnunetv2 it says what it needs."""

from __future__ import annotations

import importlib.util
import json

import pytest

from strokeseg.errors import ConfigError
from strokeseg.evaluation.runner import rows_from_csv
from strokeseg.io.layouts import open_dataset
from strokeseg.phantom.case import PhantomConfig
from strokeseg.workflows.nnunet_baseline import BaselineOptions, nnunet_baseline
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

TINY_2D = {
    "patch_size": [32, 32],
    "batch_size": 2,
    "arch_kwargs": {
        "n_stages": 3,
        "features_per_stage": [4, 8, 16],
        "kernel_sizes": [[3, 3]] * 3,
        "strides": [[1, 1], [2, 2], [2, 2]],
        "n_conv_per_stage": [1, 1, 1],
        "n_conv_per_stage_decoder": [1, 1],
    },
}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("nnbase") / "ph"
    write_phantom_cohort(root, CohortSpec(4, PhantomConfig(slices=2, matrix=(48, 48), frames=30, p_no_stroke=0.0), "isles2018", seed=3))
    return root


def test_baseline_trains_every_fold_and_writes_out_of_fold_rows(cohort, tmp_path, cli):
    refs = open_dataset(cohort).cases
    opts = BaselineOptions(target="core", configuration="2d", folds=2, epochs=1, iterations=3, device="cpu", plans_edit=TINY_2D)
    if importlib.util.find_spec("nnunetv2") is None:
        with pytest.raises(ConfigError, match="make nnunet-deps"):
            nnunet_baseline(refs, tmp_path / "out", opts, log=lambda _: None)
        return
    # through the command line, as a user runs it (the plans edit from a file)
    (tmp_path / "tiny.json").write_text(json.dumps(TINY_2D), encoding="utf-8")
    out = tmp_path / "out"
    args = ["--input", cohort, "--out", out, "--target", "core", "--configuration", "2d", "--folds", "2", "--epochs", "1"]
    code, stdout, err = cli("nnunet-baseline", *args, "--iterations", "3", "--device", "cpu", "--plans-edit", tmp_path / "tiny.json")
    assert code == 0, err
    assert "nnU-Net baseline (out-of-fold)" in stdout
    folds = json.loads((out / "cv" / "folds.json").read_text())["folds"]
    assert sorted(c for f in folds for c in f) == sorted(r.case_id for r in refs if r.label is not None)
    rows = rows_from_csv((out / "cv" / "per_case.csv").read_text(encoding="utf-8"))
    assert {r["case_id"] for r in rows} == {c for f in folds for c in f} and {r["region"] for r in rows} == {"core"}
    model = out / "nnunet" / "nnUNetTrainer__nnUNetPlans__2d"
    assert (model / "fold_0" / "checkpoint_final.pth").is_file() and (model / "fold_1" / "checkpoint_final.pth").is_file()
    # the plans edit reached the network nnU-Net trained
    plans = json.loads((model / "plans.json").read_text(encoding="utf-8"))
    assert plans["configurations"]["2d"]["architecture"]["arch_kwargs"]["features_per_stage"] == [4, 8, 16]
    assert not (out / "nnunet_work").exists()
    # the rows are what compare reads, next to another run on the same cases and folds
    from strokeseg.evaluation.compare import compare_runs, read_run

    base = read_run(out, "nnunet")
    assert base.folds == folds
    assert "nnunet" in compare_runs([base, read_run(out, "again")])["methods"]
