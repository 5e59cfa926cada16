"""Evaluation knows what a prediction's source can produce: regions it cannot are n/a (never failures),
and strokeseg's own auxiliary outputs are never taken for predictions."""

import json
import math

import numpy as np
import pytest

from strokeseg.errors import InputError
from strokeseg.evaluation.cohort import summarise_values
from strokeseg.evaluation.runner import evaluate_folder, not_assessable_lines
from strokeseg.io.geometry import Geometry
from strokeseg.io.nifti import write_nifti

G = Geometry((3, 16, 16), (1.0, 1.0, 2.0))


def _truth() -> np.ndarray:
    t = np.zeros(G.shape, np.uint8)
    t[1, 2:12, 2:12] = 1
    t[1, 4:8, 4:8] = 2
    return t


def _pred_folder(root, record: dict | None, aux: bool = True):
    """case_a predicted core-only (its core matches the truth's), with strokeseg's record and outputs beside it."""
    pred = np.where(_truth() == 2, 2, 0).astype(np.uint8)
    case = root / "pred" / "case_a"
    case.mkdir(parents=True)
    write_nifti(case / "case_a_label.nii.gz", pred, G, dtype=np.uint8)
    if aux:
        for name in ("case_a_prob", "case_a_entropy", "case_a_variance", "case_a_probabilities", "CBF", "Tmax", "brain_mask"):
            write_nifti(case / f"{name}.nii.gz", np.zeros(G.shape, np.float32), G)
    if record is not None:
        (case / "case_a_volumes.json").write_text(json.dumps(record), encoding="utf-8")
    truth = root / "truth"
    truth.mkdir()
    write_nifti(truth / "case_a.nii.gz", _truth(), G, dtype=np.uint8)
    return root / "pred", truth


def test_a_core_only_model_is_scored_on_the_core_only(tmp_path):
    pred, truth = _pred_folder(
        tmp_path, {"case_id": "case_a", "core_ml": 0.032, "penumbra_ml": None, "hypoperfused_ml": None, "target": "core"}
    )
    res = evaluate_folder(pred, truth)
    assert {r["region"] for r in res.rows} == {"core"}
    assert res.rows[0]["dice"] == 1.0 and not any(r["failure"] for r in res.rows)
    assert res.not_assessable == {
        "penumbra": {"case_a": "the model (target core) cannot produce it"},
        "hypoperfused": {"case_a": "the model (target core) cannot produce it"},
    }
    assert not_assessable_lines(res)[0].startswith("penumbra: n/a for 1 case(s)")
    assert res.unmatched_pred == []  # _prob, _entropy, CBF …: the run's own outputs, not predictions


def test_without_a_record_every_region_is_scored_as_the_challenges_do(tmp_path):
    pred, truth = _pred_folder(tmp_path, None, aux=False)
    res = evaluate_folder(pred, truth)
    by = {r["region"]: r for r in res.rows}
    assert set(by) == {"core", "penumbra", "hypoperfused"} and by["penumbra"]["failure"] and res.not_assessable == {}


def test_an_unknown_image_is_still_listed_as_unmatched(tmp_path):
    pred, truth = _pred_folder(tmp_path, None)
    write_nifti(pred / "case_a" / "case_b_prob.nii.gz", np.zeros(G.shape, np.float32), G)  # no case b in the truth
    assert evaluate_folder(pred, truth).unmatched_pred == ["case_a/case_b_prob.nii.gz"]


def test_a_broken_record_is_one_clear_error(tmp_path):
    pred, truth = _pred_folder(tmp_path, None)
    (pred / "case_a" / "case_a_volumes.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="not a JSON object"):
        evaluate_folder(pred, truth)


def test_one_case_has_no_sample_sd():
    one = summarise_values([0.5])
    assert math.isnan(one.sd) and one.fmt(3) == "0.500"
    assert summarise_values([0.5, 0.7]).fmt(2) == "0.60 ± 0.14"
