import functools
import json
import operator

import numpy as np
import pytest
import torch

from strokeseg.bundle.bundle import ModelBundle
from strokeseg.training.cv import cross_validate
from tests.helpers import synthetic_case


def test_cross_validation_writes_a_bundle_with_the_papers_pooled_postprocessing(tmp_path, tiny_recipe):
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
    # the Clèrigues recipes search T and S_min once over every fold's cases, as both papers do
    nested = json.loads((tmp_path / "m" / "cv" / "folds.json").read_text(encoding="utf-8"))["nested"]
    assert tiny_recipe.postprocess.search == "pooled"
    assert len(nested) == 2 and all("score_on_all_folds" in n for n in nested)
    assert {(n["threshold"], n["min_size"]) for n in nested} == {(bundle.threshold, bundle.min_size)}
    assert "as the paper" in (tmp_path / "m" / "cv" / "summary.md").read_text(encoding="utf-8")
    assert (tmp_path / "m" / "cv" / "cv_report.md").read_text(encoding="utf-8").count("| core |") >= 1
    assert len(result.rows) == 6 and np.isfinite([r["dice"] for r in result.rows]).all()


@pytest.mark.slow
def test_parallel_folds_give_the_sequential_weights_and_report(tmp_path, tiny_recipe):
    """``jobs=2`` trains both folds in spawned workers; the assembled bundle matches a sequential run."""
    cases = [synthetic_case(i) for i in range(6)]
    seq, res_seq = cross_validate(cases, tiny_recipe, tmp_path / "seq", torch.device("cpu"), log=lambda *_: None)
    lines: list[str] = []
    par, res_par = cross_validate(cases, tiny_recipe, tmp_path / "par", torch.device("cpu"), log=lines.append, jobs=2)
    assert sum("trained in a worker" in s for s in lines) == 2
    for k in range(2):
        a = torch.load(tmp_path / "seq" / f"fold_{k}" / "weights.pt", weights_only=True)
        b = torch.load(tmp_path / "par" / f"fold_{k}" / "weights.pt", weights_only=True)
        assert a.keys() == b.keys()
        for key in a:  # the workers run on one thread each: equal up to the order of float sums
            torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)
        assert seq.folds[k]["test"] == par.folds[k]["test"] and seq.folds[k]["best_epoch"] == par.folds[k]["best_epoch"]
    assert (par.threshold, par.min_size) == (seq.threshold, seq.min_size)
    dice_seq = [r["dice"] for r in res_seq.rows]
    np.testing.assert_allclose([r["dice"] for r in res_par.rows], dice_seq, atol=1e-3)


def test_folds_too_small_to_learn_from_are_warned_about(tiny_recipe):
    from dataclasses import replace

    from strokeseg.training.cv import warn_small_folds
    from strokeseg.training.folds import grouped_folds
    from tests.helpers import synthetic_case

    cases = [synthetic_case(i) for i in range(4)]  # 2 patients
    recipe = replace(tiny_recipe, folds=2)
    folds = grouped_folds([c.case_id for c in cases], [c.patient_id for c in cases], 2, 0)
    said: list[str] = []
    warn_small_folds(cases, folds, recipe, said.append)
    assert said and all("too few" in s for s in said)
    assert any("1 training and 0 validation" in s or "0 validation" in s for s in said)
    many = [synthetic_case(i) for i in range(20)]
    folds = grouped_folds([c.case_id for c in many], [c.patient_id for c in many], 2, 0)
    said.clear()
    warn_small_folds(many, folds, recipe, said.append)
    assert said == []


def test_nested_search_chooses_each_folds_threshold_on_the_other_folds(tmp_path, tiny_recipe):
    import dataclasses

    recipe = dataclasses.replace(tiny_recipe, postprocess=dataclasses.replace(tiny_recipe.postprocess, search="nested"))
    cases = [synthetic_case(i) for i in range(6)]
    cross_validate(cases, recipe, tmp_path / "m", torch.device("cpu"), log=lambda *_: None)
    nested = json.loads((tmp_path / "m" / "cv" / "folds.json").read_text(encoding="utf-8"))["nested"]
    assert len(nested) == 2 and all("score_on_other_folds" in n for n in nested)
    assert "nested" in (tmp_path / "m" / "cv" / "summary.md").read_text(encoding="utf-8")
