"""``--protocol isles24`` against the ISLES'24 evaluator itself (panoptica, as the challenge's
eval_utils.py calls it), on hand-made masks: tests/fixtures/isles24/panoptica_scores.json is what
tests/fixtures/isles24/make_fixtures.py recorded from panoptica."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from strokeseg.evaluation.lesionwise import lesion_counts
from strokeseg.evaluation.metrics import binary_metrics

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "isles24"
sys.path.insert(0, str(FIX))
from scenarios import scenarios  # noqa: E402

RECORDED = json.loads((FIX / "panoptica_scores.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_matches_the_isles24_evaluator(name):
    truth, pred = scenarios()[name]
    want = RECORDED[name]
    m = binary_metrics(pred, truth, (1.0, 1.0, 1.0), protocol="isles24")
    assert m.lesion_f1 == pytest.approx(want["f1"], abs=1e-12)
    assert m.dice == pytest.approx(want["dice"], abs=1e-12)
    assert m.lesion_count_diff == want["count_difference"]
    assert (m.n_lesions_true, m.n_lesions_pred) == (want["n_truth"], want["n_pred"])
    assert lesion_counts(pred, truth, "isles24").tp == want["tp"]


def test_the_two_protocols_differ_where_the_matching_differs():
    s = scenarios()
    truth, pred = s["small-overlap"]  # IoU 1/3: touched (ISLES'22), not matched (ISLES'24)
    assert lesion_counts(pred, truth, "isles22").f1 == 1.0 and lesion_counts(pred, truth, "isles24").f1 == 0.0
    truth, pred = s["merged-prediction"]  # one blob over two lesions: both found by touch, none by IoU
    assert lesion_counts(pred, truth, "isles22").tp == 2 and lesion_counts(pred, truth, "isles24").tp == 0


def test_evaluate_cli_protocol_and_deepisles_folders(cli, tmp_path):
    from strokeseg.io.geometry import Geometry
    from strokeseg.io.nifti import write_nifti

    g = Geometry((16, 24, 24), (1.0, 1.0, 1.0))
    truth, pred = scenarios()["small-overlap"]
    (tmp_path / "truth").mkdir()
    write_nifti(tmp_path / "truth" / "case_0001.nii.gz", truth.astype(np.uint8), g)
    (tmp_path / "deepisles" / "case_0001").mkdir(parents=True)  # DeepISLES: one folder per case
    write_nifti(tmp_path / "deepisles" / "case_0001" / "lesion_msk.nii.gz", pred.astype(np.uint8), g)
    for protocol, f1 in (("isles22", 1.0), ("isles24", 0.0)):
        out = tmp_path / f"e_{protocol}"
        extra = ["--report"] if protocol == "isles24" else []
        code, _, err = cli("evaluate", tmp_path / "deepisles", "--truth", tmp_path / "truth", "--out", out, "--protocol", protocol, *extra)
        assert code == 0, err
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        row = summary["cases"][0]
        assert row["case_id"] == "case_0001" and row["lesion_f1"] == f1 and summary["protocol"] == protocol
    assert (tmp_path / "e_isles24" / "report" / "index.html").is_file()  # the report of another tool's outputs
