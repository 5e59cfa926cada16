import csv
import json

import numpy as np

from strokeseg.io.nifti import write_nifti
from tests.helpers import GEOM, label_volume, make_manifest


def test_evaluate_round_trip(tmp_path, cli):
    make_manifest(tmp_path / "truth", n_cases=3)
    preds = tmp_path / "pred"
    (preds / "c02").mkdir(parents=True)
    write_nifti(preds / "c01_label.nii.gz", label_volume(seed=1), GEOM)  # perfect
    write_nifti(preds / "c02" / "label.nii.gz", np.zeros(GEOM.shape, np.uint8), GEOM)  # empty: failures
    write_nifti(preds / "extra.nii.gz", label_volume(), GEOM)  # no partner
    code, out, _ = cli("evaluate", "--pred", preds, "--truth", tmp_path / "truth", "--out", tmp_path / "ev")
    assert code == 0
    rows = list(csv.DictReader((tmp_path / "ev" / "per_case.csv").open(encoding="utf-8")))
    assert {r["case_id"] for r in rows} == {"c01", "c02"}
    by = {(r["case_id"], r["region"]): r for r in rows}
    assert float(by[("c01", "core")]["dice"]) == 1.0 and float(by[("c01", "core")]["hd"]) == 0.0
    assert by[("c02", "core")]["failure"] == "True" and by[("c02", "core")]["hd"] == ""
    summary = json.loads((tmp_path / "ev" / "summary.json").read_text(encoding="utf-8"))
    core_all = next(s for s in summary["summary"] if s["region"] == "core" and s["group"] == "all")
    assert core_all["n_cases"] == 2 and core_all["n_failures"] == 1
    assert core_all["metrics"]["dice"]["mean"] == 0.5
    assert summary["truth_without_prediction"] == ["c03"]
    assert summary["unmatched_predictions"] == ["extra.nii.gz"]
    assert "truth cases without a prediction (1): c03" in out
    md = (tmp_path / "ev" / "summary.md").read_text(encoding="utf-8")
    assert "| core | all | 2 | 1 |" in md


def test_evaluate_against_plain_label_folder_with_pred_map(tmp_path, cli):
    (tmp_path / "truth").mkdir()
    (tmp_path / "pred").mkdir()
    core = label_volume() == 2
    write_nifti(tmp_path / "truth" / "a_seg.nii.gz", core.astype(np.uint8) * 2, GEOM)
    write_nifti(tmp_path / "pred" / "a.nii.gz", core.astype(np.uint8), GEOM)  # binary 0/1 prediction
    code, _out, _ = cli(
        "evaluate", "--pred", tmp_path / "pred", "--truth", tmp_path / "truth", "--pred-label-map", "1:2", "--out", tmp_path / "ev"
    )
    assert code == 0
    rows = list(csv.DictReader((tmp_path / "ev" / "per_case.csv").open(encoding="utf-8")))
    assert [r["region"] for r in rows] == ["core"] and float(rows[0]["dice"]) == 1.0


def test_a_folder_of_binary_masks_is_scored_as_one_lesion_region(tmp_path, cli):
    import json

    import numpy as np

    from strokeseg.io.nifti import write_nifti
    from tests.helpers import GEOM

    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    t = np.zeros(GEOM.shape, np.uint8)
    t[1:4, 2:8, 2:6] = 1  # 72 voxels
    p = np.zeros(GEOM.shape, np.uint8)
    p[1:4, 2:8, 4:8] = 1  # 72 voxels, 36 shared
    write_nifti(truth / "sub-01.nii.gz", t, GEOM)
    write_nifti(pred / "sub-01.nii.gz", p, GEOM)
    code, out, err = cli("evaluate", "--pred", pred, "--truth", truth, "--out", tmp_path / "e")
    assert code == 0, err
    rows = json.loads((tmp_path / "e" / "summary.json").read_text(encoding="utf-8"))["cases"]
    assert [r["region"] for r in rows] == ["lesion"]  # no empty-vs-empty "core" row with Dice 1
    assert rows[0]["dice"] == 0.5
    assert "| core |" not in out and "| lesion |" in out
    code, out, _ = cli(
        "evaluate", "--pred", pred, "--truth", truth, "--out", tmp_path / "e2", "--label-map", "1:2", "--pred-label-map", "1:2"
    )
    rows = json.loads((tmp_path / "e2" / "summary.json").read_text(encoding="utf-8"))["cases"]
    assert code == 0 and [r["region"] for r in rows] == ["core"] and rows[0]["dice"] == 0.5
