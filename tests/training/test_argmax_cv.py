"""A recipe with ``postprocess.mode: argmax`` is cross-validated, bundled and predicted by argmax (no T, no S_min)."""

import json

import pytest

from strokeseg.cli import main
from strokeseg.phantom.case import PhantomConfig
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort


@pytest.mark.slow
def test_argmax_recipe_trains_bundles_and_predicts_by_argmax(tmp_path, capsys):
    from tests.robustness.corpus import TINY_TRAIN

    data = tmp_path / "ph"
    write_phantom_cohort(
        data, CohortSpec(4, PhantomConfig(slices=2, frames=30, p_no_stroke=0.0), "isles2018", seed=3, second_slab_fraction=0.0)
    )
    args = ["train", str(data), "--recipe", "clerigues-ct-2d-fast", "--out", str(tmp_path / "m"), *TINY_TRAIN]
    assert main([*args, "--set", "postprocess.mode=argmax"]) == 0
    bundle = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert (bundle["threshold"], bundle["min_size"]) == (0.5, 0)
    assert all(n == {"fold": k, "postprocess": "argmax"} for k, n in enumerate(bundle["meta"]["nested"]))
    assert "argmax" in (tmp_path / "m" / "cv" / "cv_report.md").read_text(encoding="utf-8")
    assert main(["predict", str(data), "--model", str(tmp_path / "m"), "--out", str(tmp_path / "p")]) == 0
    vols = json.loads(next((tmp_path / "p").glob("*/*_volumes.json")).read_text(encoding="utf-8"))
    assert vols["postprocess"] == "argmax" and vols["threshold"] is None
    assert main(["predict", str(data), "--model", str(tmp_path / "m"), "--out", str(tmp_path / "q"), "--threshold", "0.4"]) == 0
    vols = json.loads(next((tmp_path / "q").glob("*/*_volumes.json")).read_text(encoding="utf-8"))
    assert vols["postprocess"] == "threshold" and vols["threshold"] == 0.4  # an explicit threshold wins
    capsys.readouterr()
