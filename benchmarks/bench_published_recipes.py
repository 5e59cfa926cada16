"""Every published recipe on one 20-case phantom CT cohort with the same folds: one comparison table.

The cohort is the default CT phantom (seed 2026, the cohort of bench_ct2d_cohort.py) written in
the manifest layout, which keeps the three-class truth (penumbra and core), TTP, the CTP MIP,
NIHSS and group. Every recipe's ``-fast`` variant (or the recipe named) is cross-validated with
the same patient-grouped folds (the fold split depends only on case ids, patients and the
seed), each out-of-fold case is scored, and the table lists Dice core / penumbra, HD (core),
|ΔV| core / penumbra, training time and inference time per case, next to the clinical threshold
method on the same maps and a trivial all-background predictor.

The adversarial SegNet is an MRI method (DWI, TTP, Tmax); on CT it gets the CT analogues
(CBV — the core marker — TTP, Tmax) and whole 256×256 CT slices as its samples.

    .venv/bin/python benchmarks/bench_published_recipes.py [--recipes a,b,...] [--folds 5] [--set KEY=VALUE]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

import numpy as np
import torch

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.pipeline import threshold_case
from strokeseg.evaluation.cohort import summarise
from strokeseg.evaluation.runner import evaluate_case_arrays
from strokeseg.inference.predict import predict_probs
from strokeseg.io.case import load_case
from strokeseg.io.labels import Region
from strokeseg.io.layouts import open_dataset
from strokeseg.models.backbones import count_parameters
from strokeseg.phantom.case import PhantomConfig
from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.cv import cross_validate
from strokeseg.training.device import select_device
from strokeseg.training.run import prepare_dataset
from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

OUT = Path(__file__).resolve().parents[1] / "bench-output"
DEFAULT = "clerigues-ct-2d-fast,pspnet-ct-fast,unet-2d-ct-fast,unet-3d-ct-fast,vnet-ct-fast,slow-fusion-vgg16-fast,adversarial-segnet-fast"
# the MRI recipe's 128x128 whole-slice samples (SPES at 2 mm) would crop the 256x256 CT slices: whole CT slices instead
CT_ANALOGUE = {
    "adversarial-segnet": ["modalities=[CBV,TTP,Tmax]", "reference=CBV", "sampling.patch_size=[1,256,256]", "inference.step=[1,256,256]"]
}
REGIONS = [Region.CORE, Region.PENUMBRA, Region.HYPOPERFUSED]


def _m(summaries, region: str, key: str, digits: int = 2) -> str:
    s = next((x for x in summaries if x.region == region and x.group == "all"), None)
    return s.metrics[key].fmt(digits) if s is not None else "–"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipes", default=DEFAULT)
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="overrides for every recipe")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--jobs", type=int, default=1, help="folds trained at once in worker processes (GPU: the number of folds)")
    ap.add_argument("--resume", action="store_true", help="continue the runs' fold checkpoints (an interrupted run)")
    args = ap.parse_args()
    data = OUT / f"ct_cohort_{args.cases}_manifest"
    if not (data / "manifest.csv").exists():
        write_phantom_cohort(data, CohortSpec(args.cases, PhantomConfig(), "manifest", seed=args.seed), jobs=os.cpu_count() or 1)
    ds = open_dataset(data)
    device = select_device(args.device)
    print(f"{len(ds)} cases, {len(ds.patients)} patients; device {device}, torch threads {torch.get_num_threads()}")
    # runs with overrides keep their own folder, so an override never resumes or overwrites the default run
    tag = "" if not args.set else "_" + re.sub(r"[^A-Za-z0-9_-]+", "-", "_".join(args.set)).strip("-")
    table = []
    # reference rows: the clinical threshold method on the same maps, and predicting nothing
    rows_t, rows_0 = [], []
    for ref in ds.cases:
        case = load_case(ref, modalities=["CBF", "CBV", "Tmax", "CT"])
        assert case.label is not None
        lab = threshold_case(case, ThresholdConfig()).result.labels
        rows_t += evaluate_case_arrays(ref.case_id, lab, case.label, case.geometry, REGIONS, case.group)
        rows_0 += evaluate_case_arrays(ref.case_id, np.zeros_like(case.label), case.label, case.geometry, REGIONS, case.group)
    table.append(("threshold rCBF<30 % in Tmax>6 s (same maps)", "–", summarise(rows_t), 0.0, float("nan")))
    table.append(("all background (trivial)", "–", summarise(rows_0), 0.0, 0.0))
    for name in [r.strip() for r in args.recipes.split(",") if r.strip()]:
        base = name.removesuffix("-fast")
        recipe = load_recipe(name, [f"folds={args.folds}", *CT_ANALOGUE.get(base, []), *args.set])
        t0 = time.perf_counter()
        cases = prepare_dataset(data, recipe)
        bundle, res = cross_validate(
            cases, recipe, OUT / f"published_{name}_{args.cases}{tag}", device, resume=args.resume, jobs=args.jobs, log=lambda _s: None
        )
        t_train = time.perf_counter() - t0
        models = bundle.load_models([0])
        t0 = time.perf_counter()
        predict_probs(cases[0], models, recipe.window(), device)
        t_inf = (time.perf_counter() - t0) * len(bundle.folds)  # the bundle ensembles every fold model
        n_par = count_parameters(models[0][0])
        table.append((f"{name} ({recipe.prepare.target})", f"{n_par / 1e6:.2f} M", res.summaries, t_train, t_inf))
        print(f"{name}: {t_train:.0f} s")
    print(f"\n{len(ds)} phantom CT cases, {args.folds}-fold CV grouped by patient (same folds for every recipe)\n")
    print(
        "| method | params | Dice core | Dice penumbra | HD core (mm) | |ΔV| core (ml) | |ΔV| penumbra (ml) | train (s) | infer/case (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, par, summ, t_tr, t_in in table:
        print(
            f"| {name} | {par} | {_m(summ, 'core', 'dice')} | {_m(summ, 'penumbra', 'dice')} | {_m(summ, 'core', 'hd', 1)} | "
            f"{_m(summ, 'core', 'abs_vol_diff_ml', 1)} | {_m(summ, 'penumbra', 'abs_vol_diff_ml', 1)} | {t_tr:.0f} | "
            f"{'–' if t_in != t_in else f'{t_in:.2f}'} |"
        )
    print("\ntargets (issue #5): every recipe far above the all-background row; three-class recipes penumbra Dice ≥ 0.7")


if __name__ == "__main__":
    main()
