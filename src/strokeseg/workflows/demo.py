"""The main job on data generated on the fly: phantom → maps → train CT-2D → predict → evaluate.

1. a training cohort and a held-out cohort of CT perfusion phantoms (ISLES'18 layout) whose
   perfusion maps strokeseg computes from the raw 4D series;
2. the CT-2D recipe (fast variant) trained with 3-fold cross-validation grouped by patient;
3. the held-out cases predicted with the 3-model ensemble and MC-dropout;
4. the clinical threshold read-out on the same maps;
5. both scored against the phantom truth with the ISLES evaluator, printed as one table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from strokeseg.phantom.case import PhantomConfig
from strokeseg.phantom.writer import write_cohort
from strokeseg.util.progress import progress_bar


@dataclass(frozen=True)
class DemoConfig:
    train_cases: int = 10
    test_cases: int = 4
    slices: tuple[int, ...] = (2, 4, 8)
    folds: int = 3
    epochs: int = 12
    patience: int = 4  # shorter than the recipe's 10 so the demo stays a few minutes on 2 cores
    seed: int = 0


def run_demo(out: Path, cfg: DemoConfig = DemoConfig(), log: Callable[[str], None] = print) -> dict[str, float]:
    import numpy as np
    import torch

    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.clinical.pipeline import threshold_case
    from strokeseg.evaluation.runner import evaluate_folder, write_results
    from strokeseg.inference.predict import labels_from_probs, predict_probs
    from strokeseg.io.case import load_case
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.nifti import write_nifti
    from strokeseg.preprocessing.prepare import modalities_to_load, prepare_case
    from strokeseg.recipes.recipe import load_recipe
    from strokeseg.training.cv import cross_validate
    from strokeseg.training.device import select_device
    from strokeseg.training.run import prepare_dataset

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(cfg.seed)

    def cohort(name: str, n: int, seed: int) -> Path:
        path = out / name
        if (path / "patients.csv").exists():
            log(f"reusing {path}")
            return path
        slices = int(rng.choice(cfg.slices))
        with progress_bar(total=n, desc=f"phantom {name}", unit="case") as bar:
            write_cohort(path, n, PhantomConfig(slices=slices), "isles2018", seed=seed, on_case=lambda _i: bar.update(1))
        return path

    log(f"1/5 generating CT perfusion phantoms (maps computed by strokeseg from the 4D series) in {out}")
    train_dir = cohort("train", cfg.train_cases, cfg.seed)
    test_dir = cohort("test", cfg.test_cases, cfg.seed + 1000)
    timings["phantom"] = time.perf_counter() - t0

    log(f"2/5 training clerigues-ct-2d-fast with {cfg.folds}-fold cross-validation grouped by patient")
    recipe = load_recipe("clerigues-ct-2d-fast", {"folds": cfg.folds, "epochs": cfg.epochs, "patience": cfg.patience, "seed": cfg.seed})
    device = select_device()
    cases = prepare_dataset(train_dir, recipe)
    bundle, cv = cross_validate(cases, recipe, out / "model", device, log=log)
    timings["training"] = time.perf_counter() - t0 - timings["phantom"]

    log("3/5 predicting the held-out cases (3-model ensemble, MC-dropout)")
    models = bundle.load_models()
    ds = open_dataset(test_dir)
    inf = recipe.inference
    t_pred = time.perf_counter()
    for ref in ds.cases:
        case = load_case(ref, modalities=modalities_to_load(recipe.prepare, bundle.modalities), with_label=False)
        prep = prepare_case(case, recipe.prepare, bundle.modalities)
        probs, var = predict_probs(prep, models, recipe.sampling.patch_size, inf.step, inf.batch_size, inf.mc_passes,
                                   inf.mc_dropout or None, inf.tta_flip, device, bundle.num_classes)
        labels = labels_from_probs(probs, prep.brain, bundle.threshold, bundle.min_size, bundle.target, bundle.output_label, bundle.num_classes)
        write_nifti(out / "predictions" / ref.case_id / f"{ref.case_id}_label.nii.gz", labels, case.geometry, dtype=np.uint8)
        write_nifti(out / "predictions" / ref.case_id / f"{ref.case_id}_variance.nii.gz", var, case.geometry)
    timings["prediction"] = time.perf_counter() - t_pred

    log("4/5 clinical threshold read-out on the same maps")
    tcfg = ThresholdConfig()
    for ref in ds.cases:
        case = load_case(ref, modalities=["CBF", "CBV", "Tmax", "CT"], with_label=False)
        cr = threshold_case(case, tcfg)
        write_nifti(out / "threshold" / ref.case_id / f"{ref.case_id}_label.nii.gz", cr.result.labels, case.geometry, dtype=np.uint8)

    log("5/5 evaluating both against the phantom truth (core)")
    res_dl = evaluate_folder(out / "predictions", test_dir)
    res_th = evaluate_folder(out / "threshold", test_dir)
    write_results(res_dl, out / "evaluation" / "clerigues-ct-2d-fast", "CT-2D (fast) on held-out phantoms")
    write_results(res_th, out / "evaluation" / "threshold", "Threshold method on held-out phantoms")
    timings["total"] = time.perf_counter() - t0
    cv_core = next(s for s in cv.summaries if s.region == "core" and s.group == "all")
    rows = [("CT-2D fast, cross-validation (train cohort)", cv_core)]
    rows += [("CT-2D fast, held-out cases", next(s for s in res_dl.summaries if s.region == "core" and s.group == "all")),
             ("threshold (rCBF < 30 %, Tmax > 6 s), held-out", next(s for s in res_th.summaries if s.region == "core" and s.group == "all"))]
    log("")
    log(f"{'core segmentation':<48} {'n':>3} {'Dice':>13} {'HD (mm)':>15} {'|ΔV| (ml)':>13}")
    for name, s in rows:
        m = s.metrics
        log(f"{name:<48} {s.n_cases:>3} {m['dice'].fmt(2):>13} {m['hd'].fmt(1):>15} {m['abs_vol_diff_ml'].fmt(1):>13}")
    log("")
    log(f"T = {bundle.threshold:g}, S_min = {bundle.min_size} voxels; times: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    log(f"outputs: phantoms {train_dir} and {test_dir}; model bundle {out / 'model'} (cv/cv_report.md, fold_*/loss_curve.png);")
    log(f"         predictions {out / 'predictions'}; threshold labels {out / 'threshold'}; evaluation {out / 'evaluation'}")
    _ = torch
    return {"cv_dice": cv_core.metrics["dice"].mean, "heldout_dice": rows[1][1].metrics["dice"].mean,
            "threshold_dice": rows[2][1].metrics["dice"].mean, **{f"seconds_{k}": v for k, v in timings.items()}}
