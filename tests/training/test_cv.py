import functools
import json
import operator

import numpy as np
import torch

from strokeseg.training.bundle import ModelBundle
from strokeseg.training.cv import cross_validate
from tests.training.conftest import synthetic_case


def test_cross_validation_writes_a_bundle_with_nested_postprocessing(tmp_path, tiny_recipe):
    cases = [synthetic_case(i) for i in range(6)]
    bundle, result = cross_validate(cases, tiny_recipe, tmp_path / "m", torch.device("cpu"), log=lambda *_: None)
    assert bundle.threshold in (0.3, 0.5) and bundle.min_size in (1, 10)
    b = ModelBundle.load(tmp_path / "m")
    assert b.channels == ["m0", "m1"] and b.output_label == 2 and len(b.folds) == 2
    models = b.load_models()
    assert len(models) == 2 and models[0][1].mean  # normalisation travels with each fold
    # every case was predicted out of fold exactly once, and folds never share a patient
    tested = functools.reduce(operator.iadd, (f["test"] for f in b.folds), [])
    assert sorted(tested) == sorted(c.case_id for c in cases)
    pat = {c.case_id: c.patient_id for c in cases}
    assert {pat[c] for c in b.folds[0]["test"]}.isdisjoint({pat[c] for c in b.folds[1]["test"]})
    nested = json.loads((tmp_path / "m" / "cv" / "folds.json").read_text(encoding="utf-8"))["nested"]
    assert len(nested) == 2 and all("score_on_other_folds" in n for n in nested)
    assert (tmp_path / "m" / "cv" / "cv_report.md").read_text(encoding="utf-8").count("| core |") >= 1
    assert len(result.rows) == 6 and np.isfinite([r["dice"] for r in result.rows]).all()
