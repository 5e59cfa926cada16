"""The demo workflow end to end on a tiny configuration: every step runs and writes what it promises."""

import json

import pytest

from strokeseg.workflows.demo import DemoConfig, run_demo

TINY = DemoConfig(
    train_cases=4,
    test_cases=2,
    slices=(2,),
    folds=2,
    epochs=1,
    patience=1,
    matrix=(48, 48),
    frames=30,
    recipe_overrides=(
        ("symmetric", False),
        ("sampling.patches_per_case", 16),
        ("batch_size", 8),
        ("postprocess.thresholds", [0.5]),
        ("postprocess.min_sizes", [1]),
    ),
)


@pytest.mark.slow
def test_the_demo_runs_every_step_and_predicts_like_the_predict_command(tmp_path):
    lines: list[str] = []
    res = run_demo(tmp_path / "demo", TINY, log=lines.append)
    assert {"cv_dice", "heldout_dice", "threshold_dice", "seconds_total"} <= set(res)
    assert all(0.0 <= res[k] <= 1.0 for k in ("cv_dice", "heldout_dice", "threshold_dice"))
    assert any(ln.startswith("5/5") for ln in lines) and any("core segmentation" in ln for ln in lines)
    out = tmp_path / "demo"
    assert (out / "model" / "bundle.json").exists() and (out / "model" / "cv" / "cv_report.md").exists()
    cases = sorted(p.name for p in (out / "predictions").iterdir())
    assert len(cases) == 2
    for cid in cases:  # the same files as 'strokeseg predict' writes
        for suffix in ("_label.nii.gz", "_prob.nii.gz", "_variance.nii.gz", "_entropy.nii.gz", "_volumes.json", "_readout.json"):
            assert (out / "predictions" / cid / f"{cid}{suffix}").exists(), suffix
        vols = json.loads((out / "predictions" / cid / f"{cid}_volumes.json").read_text(encoding="utf-8"))
        assert vols["penumbra_ml"] is None and vols["core_ml"] >= 0  # a core model says nothing of the penumbra
        assert (out / "threshold" / cid / f"{cid}_label.nii.gz").exists()
    for method in ("clerigues-ct-2d-fast", "threshold"):
        summary = json.loads((out / "evaluation" / method / "summary.json").read_text(encoding="utf-8"))
        assert {s["region"] for s in summary["summary"]} >= {"core"}
    # the reports a user opens first: the CV page, and the predictions and threshold read-outs with their images
    from tests.report.pages import check_page

    for name in ("model", "predictions", "threshold"):
        check_page(out / "report" / name / "index.html")
    for cid in cases:
        page = check_page(out / "report" / "predictions" / cid / "index.html")
        assert {"CT.png", "CBF.png", "probability.png", "overlap_core.png"} <= set(page.refs)
        assert any("reports (open in a browser)" in ln for ln in lines)
