"""Commands chain: each output folder is a dataset the next command reads, and both threshold routes agree."""

import json

import nibabel as nib
import numpy as np
import pytest

from strokeseg.cli import main
from strokeseg.phantom.case import PhantomConfig
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("chain") / "ph"
    write_phantom_cohort(
        root, CohortSpec(2, PhantomConfig(slices=2, frames=30, p_no_stroke=0.0), "isles2018", seed=4, second_slab_fraction=0.0)
    )
    return root


def _labels(folder, cid):
    return np.asanyarray(nib.load(folder / cid / f"{cid}_label.nii.gz").dataobj)


def test_perfusion_output_is_a_dataset_and_both_threshold_routes_agree(cohort, tmp_path, capsys):
    series = next((cohort / "case_1").rglob("*4DPWI*.nii"))
    assert main(["perfusion", str(series), "--out", str(tmp_path / "maps"), "--modality", "ct"]) == 0
    assert (tmp_path / "maps" / "baseline.nii.gz").exists()
    assert main(["threshold", str(tmp_path / "maps"), "--out", str(tmp_path / "via_maps")]) == 0
    assert main(["threshold", str(series), "--out", str(tmp_path / "direct"), "--modality", "ct"]) == 0  # a 4D file: a case
    cid = series.name.removesuffix(".nii")
    a, b = _labels(tmp_path / "via_maps", cid), _labels(tmp_path / "direct", cid)
    assert a.any() and np.array_equal(a, b)
    ra = json.loads((tmp_path / "via_maps" / cid / f"{cid}_readout.json").read_text(encoding="utf-8"))
    rb = json.loads((tmp_path / "direct" / cid / f"{cid}_readout.json").read_text(encoding="utf-8"))
    assert ra["core_ml"] == rb["core_ml"] and ra["hypoperfused_ml"] == rb["hypoperfused_ml"]
    capsys.readouterr()


def test_evaluate_scores_penumbra_against_the_phantom_full_truth(cohort, tmp_path, capsys):
    assert main(["threshold", str(cohort), "--out", str(tmp_path / "t")]) == 0
    assert main(["evaluate", str(tmp_path / "t"), "--truth", str(cohort), "--out", str(tmp_path / "e")]) == 0
    summary = json.loads((tmp_path / "e" / "summary.json").read_text(encoding="utf-8"))
    regions = {s["region"] for s in summary["summary"]}
    assert {"core", "penumbra", "hypoperfused"} <= regions  # the layout's own label (OT) holds only the core
    capsys.readouterr()


@pytest.mark.slow
def test_perfusion_output_trains_predicts_and_evaluates(tmp_path, capsys):
    """perfusion → train on its output (labels, patients carried over) → predict on it → evaluate."""
    from tests.robustness.corpus import TINY_TRAIN

    root = tmp_path / "ph"
    write_phantom_cohort(
        root, CohortSpec(4, PhantomConfig(slices=2, frames=30, p_no_stroke=0.0), "isles2018", seed=9, second_slab_fraction=0.0)
    )
    assert main(["perfusion", str(root), "--out", str(tmp_path / "maps")]) == 0
    assert main(["train", str(tmp_path / "maps"), "--recipe", "clerigues-ct-2d-fast", "--out", str(tmp_path / "model"), *TINY_TRAIN]) == 0
    bundle = json.loads((tmp_path / "model" / "bundle.json").read_text(encoding="utf-8"))
    assert {"CBF", "Tmax"} <= set(bundle["modalities"])
    assert main(["predict", str(tmp_path / "maps"), "--model", str(tmp_path / "model"), "--out", str(tmp_path / "pred")]) == 0
    assert (tmp_path / "pred" / "readout.csv").exists()
    assert main(["evaluate", str(tmp_path / "pred"), "--truth", str(tmp_path / "maps"), "--out", str(tmp_path / "e")]) == 0
    summary = json.loads((tmp_path / "e" / "summary.json").read_text(encoding="utf-8"))
    assert summary["summary"][0]["region"] == "core" and summary["summary"][0]["n_cases"] == 4
    capsys.readouterr()
