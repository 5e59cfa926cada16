"""The main job on data generated on the fly: phantom → maps → train CT-2D → predict → evaluate.

1. a training cohort and a held-out cohort of CT perfusion phantoms (ISLES'18 layout) whose
   perfusion maps strokeseg computes from the raw 4D series;
2. the CT-2D recipe (fast variant) trained with 3-fold cross-validation grouped by patient;
3. the held-out cases predicted with the 3-model ensemble and MC-dropout;
4. the clinical threshold read-out on the same maps;
5. both scored against the phantom truth with the ISLES evaluator, printed as one table.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strokeseg.bundle import ModelBundle
from strokeseg.evaluation.cohort import RegionSummary
from strokeseg.io.records import READOUT_SUFFIX, write_record
from strokeseg.phantom.case import PhantomConfig
from strokeseg.util.progress import progress_bar
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

_log = logging.getLogger("strokeseg")


@dataclass(frozen=True)
class DemoConfig:
    """The demo's size: phantom cases, slices, folds, epochs, seed, and optional phantom and recipe overrides."""

    train_cases: int = 10
    test_cases: int = 4
    slices: tuple[int, ...] = (2, 4, 8)
    folds: int = 3
    epochs: int = 12
    patience: int = 4  # shorter than the recipe's 10 so the demo stays a few minutes on 2 cores
    seed: int = 0
    matrix: tuple[int, int] | None = None  # in-plane phantom size (None: the phantom's default)
    frames: int | None = None  # time frames per series (None: the phantom's default)
    recipe_overrides: tuple[tuple[str, object], ...] = ()  # extra recipe overrides, e.g. (("batch_size", 8),)


def _phantom(cfg: DemoConfig, slices: int) -> PhantomConfig:
    extra = {k: v for k, v in (("matrix", cfg.matrix), ("frames", cfg.frames)) if v is not None}
    return PhantomConfig(slices=slices, **extra)  # type: ignore[arg-type]


def _cohort(out: Path, name: str, n: int, seed: int, phantom: PhantomConfig, log: Callable[[str], None]) -> Path:
    path = out / name
    if (path / "patients.csv").exists():
        log(f"reusing {path}")
        return path
    with progress_bar(total=n, desc=f"phantom {name}", unit="case") as bar:
        write_phantom_cohort(path, CohortSpec(n, phantom, "isles2018", seed=seed), on_case=lambda _i: bar.update(1))
    return path


def _predict_and_threshold(out: Path, test_dir: Path, bundle: ModelBundle) -> float:
    """The held-out cases predicted with the bundle (every output ``strokeseg predict`` writes) and read
    out with the clinical thresholds on the same maps; returns the prediction time in s."""
    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.nifti import write_nifti
    from strokeseg.prediction.engine import Predictor, write_prediction
    from strokeseg.workflows.record import record_fields
    from strokeseg.workflows.threshold import threshold_ref

    predictor = Predictor([bundle])
    refs = open_dataset(test_dir).cases
    t0 = time.perf_counter()
    for ref in refs:
        case = predictor.load_case(ref)
        folder = out / "predictions" / ref.case_id
        folder.mkdir(parents=True, exist_ok=True)
        pred = predictor.predict(case)
        write_prediction(folder, pred, case, record_fields(pred.readout.to_dict(), ref, None, "demo", {"model": str(bundle.path)}))
    seconds = time.perf_counter() - t0
    tcfg = ThresholdConfig()
    for ref in refs:
        cr = threshold_ref(ref, tcfg)
        folder = out / "threshold" / ref.case_id
        write_nifti(folder / f"{ref.case_id}_label.nii.gz", cr.result.labels, cr.geometry, dtype=np.uint8)
        record = cr.to_dict(tcfg)
        record.update(record_fields(record, ref, tcfg, "demo", {}))
        write_record("readout", folder / f"{ref.case_id}{READOUT_SUFFIX}", record)
    return seconds


def _reports(out: Path) -> list[Path]:
    """HTML reports of the demo's model (CV page), predictions and threshold read-outs in ``out/report/``."""
    from strokeseg.report.build import build_report
    from strokeseg.report.collect import collect_run

    pages = []
    for name, kind, ev in (
        ("model", "train", None),
        ("predictions", "predict", out / "evaluation" / "clerigues-ct-2d-fast" / "summary.json"),
        ("threshold", "threshold", out / "evaluation" / "threshold" / "summary.json"),
    ):
        dest = out / "report" / name
        shutil.rmtree(dest, ignore_errors=True)  # a rerun replaces the demo's earlier report
        build_report(collect_run(out / name, kind, ev), dest)
        pages.append(dest / "index.html")
    return pages


def _core(summaries: list[RegionSummary]) -> RegionSummary:
    return next(s for s in summaries if s.region == "core" and s.group == "all")


def run_demo(out: Path, cfg: DemoConfig = DemoConfig(), log: Callable[[str], None] = _log.info) -> dict[str, float]:
    """Run the five steps into ``out`` (reusing phantom cohorts already there); returns the core Dice
    of cross-validation, of the held-out prediction and of the threshold method, and the step times."""
    from strokeseg.evaluation.runner import evaluate_folder, write_results
    from strokeseg.recipes.recipe import load_recipe
    from strokeseg.workflows.train import train

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(cfg.seed)
    log(f"1/5 generating CT perfusion phantoms (maps computed by strokeseg from the 4D series) in {out}")
    train_dir = _cohort(out, "train", cfg.train_cases, cfg.seed, _phantom(cfg, int(rng.choice(cfg.slices))), log)
    test_dir = _cohort(out, "test", cfg.test_cases, cfg.seed + 1000, _phantom(cfg, int(rng.choice(cfg.slices))), log)
    timings["phantom"] = time.perf_counter() - t0

    log(f"2/5 training clerigues-ct-2d-fast with {cfg.folds}-fold cross-validation grouped by patient")
    overrides = {"folds": cfg.folds, "epochs": cfg.epochs, "patience": cfg.patience, "seed": cfg.seed}
    recipe = load_recipe("clerigues-ct-2d-fast", {**overrides, **dict(cfg.recipe_overrides)})
    done = train(train_dir, recipe, out / "model", log=log)
    assert done is not None  # a single process
    bundle, cv = done
    timings["training"] = time.perf_counter() - t0 - timings["phantom"]

    log("3/5 predicting the held-out cases (3-model ensemble, MC-dropout); 4/5 clinical threshold read-out on the same maps")
    timings["prediction"] = _predict_and_threshold(out, test_dir, bundle)

    log("5/5 evaluating both against the phantom truth")
    res_dl = evaluate_folder(out / "predictions", test_dir)
    res_th = evaluate_folder(out / "threshold", test_dir)
    write_results(res_dl, out / "evaluation" / "clerigues-ct-2d-fast", "CT-2D (fast) on held-out phantoms")
    write_results(res_th, out / "evaluation" / "threshold", "Threshold method on held-out phantoms")
    pages = _reports(out)
    timings["total"] = time.perf_counter() - t0
    rows = [
        ("CT-2D fast, cross-validation (train cohort)", _core(cv.summaries)),
        ("CT-2D fast, held-out cases", _core(res_dl.summaries)),
        ("threshold (rCBF < 30 %, Tmax > 6 s), held-out", _core(res_th.summaries)),
    ]
    for line in _table(rows, bundle, timings, out):
        log(line)
    log("reports (open in a browser): " + ", ".join(str(p) for p in pages))
    return {
        "cv_dice": rows[0][1].metrics["dice"].mean,
        "heldout_dice": rows[1][1].metrics["dice"].mean,
        "threshold_dice": rows[2][1].metrics["dice"].mean,
        **{f"seconds_{k}": v for k, v in timings.items()},
    }


def _table(rows: list[tuple[str, RegionSummary]], bundle: ModelBundle, timings: dict[str, float], out: Path) -> list[str]:
    lines = ["", f"{'core segmentation':<48} {'n':>3} {'Dice':>13} {'HD (mm)':>15} {'|ΔV| (ml)':>13}"]
    for name, s in rows:
        m = s.metrics
        lines.append(f"{name:<48} {s.n_cases:>3} {m['dice'].fmt(2):>13} {m['hd'].fmt(1):>15} {m['abs_vol_diff_ml'].fmt(1):>13}")
    lines += [
        "",
        f"T = {bundle.threshold:g}, S_min = {bundle.min_size} voxels; times: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()),
        f"outputs: phantoms {out / 'train'} and {out / 'test'}; model bundle {out / 'model'} (cv/cv_report.md, fold_*/loss_curve.png);",
        f"         predictions {out / 'predictions'}; threshold labels {out / 'threshold'}; evaluation {out / 'evaluation'}",
    ]
    return lines
