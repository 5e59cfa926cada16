"""The whole comparison harness on one phantom CT cohort: the published recipes, an nnU-Net baseline and
the clinical threshold method on the same cases and the same patient-grouped folds, through the
command line a user runs.

1. ``strokeseg phantom``-style cohort (default CT phantom, seed 2026; the manifest layout keeps the
   three-class truth, TTP, the CTP MIP, NIHSS and group).
2. ``strokeseg threshold`` on the cohort's maps, then ``strokeseg evaluate`` (the threshold method).
3. ``strokeseg train --recipe NAME-fast --folds K --epochs E`` for each paper's CT recipe (each bundle's
   out-of-fold rows; the folds depend only on case ids, patients and the recipes' seed 0).
4. ``strokeseg nnunet-baseline --target regions --configuration 2d --folds K`` (nnU-Net's default
   planning, preprocessing and trainer, on a CPU-sized network and schedule; seed 0, the same folds).
5. ``strokeseg compare`` of all of them against the threshold method (paired Wilcoxon over cases).

Training is shortened to the CPU budget (``--epochs`` for every recipe, ``--nnunet-epochs`` ×
``--nnunet-iterations`` for nnU-Net): these are the harness's numbers on this machine, not the
recipes' best (the ``-fast`` recipes' own schedules are measured by bench_published_recipes.py).
No constant is tuned on the result. ``clerigues-mri-3d`` (Clèrigues 2020) is an MRI method with
16-slice patches: it runs in a second block on a phantom MR cohort (lesion target) beside nnU-Net
(lesion) and the threshold method (``--no-mri`` skips that block).

Writes ``docs/results/method_comparison.{json,md}`` (the comparisons, the settings and each step's time)
and leaves the runs and ``comparison.html`` in ``bench-output/method_comparison/`` (MRI: ``mri/``).

    .venv/bin/python benchmarks/bench_method_comparison.py [--cases 12] [--folds 3] [--epochs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_published_recipes import CT_ANALOGUE
from results import REPO, write_results

OUT = REPO / "bench-output"
PAPERS = {  # recipe -> paper
    "clerigues-ct-2d-fast": "Clèrigues 2019 (ISLES'18)",
    "adversarial-segnet-fast": "adversarial SegNet (ISLES'15 SPES; CT analogues)",
    "pspnet-ct-fast": "PSPNet (ISLES'18)",
    "slow-fusion-vgg16-fast": "Tomasetti slow fusion (CTP)",
}
BUNDLE_SECONDS: dict[str, float] = {}  # CV seconds of bundles an earlier invocation trained (no wall time of ours)
MRI_RECIPE, MRI_PAPER = "clerigues-mri-3d-fast", "Clèrigues 2020 (ISLES'15; MRI)"
CPU_2D = {  # a CPU-sized 2d nnU-Net: 5 stages of 8–64 features, batch 8, 128² patches
    "patch_size": [128, 128],
    "batch_size": 8,
    "arch_kwargs": {
        "n_stages": 5,
        "features_per_stage": [8, 16, 32, 64, 64],
        "kernel_sizes": [[3, 3]] * 5,
        "strides": [[1, 1], [2, 2], [2, 2], [2, 2], [2, 2]],
        "n_conv_per_stage": [2, 2, 2, 2, 2],
        "n_conv_per_stage_decoder": [2, 2, 2, 2],
    },
}


def strokeseg(*args: str | Path) -> float:
    """Run one strokeseg command (output to its log); its wall time in seconds."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "strokeseg", *map(str, args)], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit(f"strokeseg {' '.join(map(str, args[:3]))} failed:\n{res.stderr[-3000:]}")
    return time.perf_counter() - t0


def done(run: Path) -> bool:
    return (run / "cv" / "per_case.csv").is_file() or (run / "per_case.csv").is_file()


def cohort(name: str, n: int, modality: str) -> Path:
    """The phantom cohort (default phantom of ``modality``, seed 2026, manifest layout), written once."""
    data = OUT / f"{name}_cohort_{n}_manifest"
    if not (data / "manifest.csv").exists():
        code = (
            "import sys; from pathlib import Path; from strokeseg.phantom.case import PhantomConfig; "
            "from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort; "
            "write_phantom_cohort(Path(sys.argv[1]), CohortSpec(int(sys.argv[2]), PhantomConfig(modality=sys.argv[3]), 'manifest', "
            "seed=2026), jobs=2)"
        )
        subprocess.run([sys.executable, "-c", code, str(data), str(n), modality], check=True)
    return data


def block(label: str, work: Path, data: Path, recipes: list[str], epochs: int, nnunet: dict, times: dict[str, float], regions: str) -> dict:
    """Threshold, the recipes and nnU-Net on ``data`` in ``work``, then their comparison (its JSON)."""
    work.mkdir(parents=True, exist_ok=True)
    runs: list[str] = []
    thr = work / "threshold"
    if not done(thr):
        shutil.rmtree(thr, ignore_errors=True)
        t = strokeseg("threshold", "--input", data, "--out", work / "threshold_labels", "--overwrite")
        t += strokeseg("evaluate", "--pred", work / "threshold_labels", "--truth", data, "--out", thr, "--regions", regions)
        times[f"{label}/threshold"] = t
    runs.append(f"threshold={thr}")
    folds = str(nnunet["folds"])
    for name in recipes:
        run = work / name
        if not done(run):
            shutil.rmtree(run, ignore_errors=True)
            sets = [a for s in CT_ANALOGUE.get(name.removesuffix("-fast"), []) for a in ("--set", s)]
            print(f"training {name} ({folds} folds × {epochs} epochs)", flush=True)
            times[f"{label}/{name}"] = strokeseg(
                "train", "--recipe", name, "--input", data, "--out", run, "--folds", folds, "--epochs", str(epochs), *sets
            )
        elif (run / "bundle.json").is_file():  # trained by an earlier run of this script: its bundle's CV time
            BUNDLE_SECONDS[f"{label}/{name}"] = json.loads((run / "bundle.json").read_text(encoding="utf-8"))["meta"]["cv_seconds"]
        runs.append(f"{name}={run}")
    nn = work / "nnunet-2d"
    if not done(nn):
        shutil.rmtree(nn, ignore_errors=True)
        print(f"training nnU-Net 2d ({folds} folds × {nnunet['epochs']} epochs × {nnunet['iterations']} iterations)", flush=True)
        times[f"{label}/nnunet-2d"] = strokeseg(
            "nnunet-baseline", "--input", data, "--out", nn, "--target", nnunet["target"], "--configuration", "2d",
            "--folds", folds, "--epochs", str(nnunet["epochs"]), "--iterations", str(nnunet["iterations"]),
            "--device", "cpu", "--plans-edit", json.dumps(nnunet["plans_edit"]),
        )  # fmt: skip
    runs.append(f"nnunet-2d={nn}")
    strokeseg("compare", *runs, "--out", work / "compare", "--reference", "threshold", "--overwrite")
    return json.loads((work / "compare" / "comparison.json").read_text(encoding="utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=12)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10, help="epochs of every recipe (their -fast schedules: 10–80)")
    ap.add_argument("--nnunet-epochs", type=int, default=30)
    ap.add_argument("--nnunet-iterations", type=int, default=20)
    ap.add_argument("--recipes", default=",".join(PAPERS))
    ap.add_argument("--mri", action=argparse.BooleanOptionalAction, default=True, help="the MRI block (clerigues-mri-3d)")
    ap.add_argument("--mri-epochs", type=int, default=4, help="epochs of the 3D MRI recipe (its -fast schedule: 10)")
    ap.add_argument("--fresh", action="store_true", help="retrain every method (default: keep runs already in bench-output)")
    args = ap.parse_args()
    work = OUT / "method_comparison"
    if args.fresh:
        shutil.rmtree(work, ignore_errors=True)
    times: dict[str, float] = {}
    schedule = {"folds": args.folds, "epochs": args.nnunet_epochs, "iterations": args.nnunet_iterations}
    nn_ct = {**schedule, "target": "regions", "plans_edit": CPU_2D}
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    ct = block("ct", work, cohort("ct", args.cases, "ct"), recipes, args.epochs, nn_ct, times, "core,penumbra,hypoperfused")
    mri = None
    nn_mr = {**schedule, "target": "lesion", "plans_edit": {**CPU_2D, "patch_size": [96, 96]}}
    if args.mri:
        mri = block("mri", work / "mri", cohort("mr", args.cases, "mr"), [MRI_RECIPE], args.mri_epochs, nn_mr, times, "hypoperfused,core")
    settings = {
        "cohorts": f"{args.cases} phantom CT cases"
        + (f" and {args.cases} phantom MR cases" if args.mri else "")
        + " (default phantoms, seed 2026, manifest layout)",
        "folds": args.folds,
        "recipe_epochs": args.epochs,
        "mri_recipe_epochs": args.mri_epochs if args.mri else None,
        "nnunet_ct": {"configuration": "2d", **nn_ct},
        "nnunet_mri": {"configuration": "2d", **nn_mr} if args.mri else None,
        "papers": {**{k: v for k, v in PAPERS.items() if k in recipes}, **({MRI_RECIPE: MRI_PAPER} if args.mri else {})},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    # a method's time is kept from the run that trained it (a rerun that keeps the runs adds none)
    old = REPO / "docs" / "results" / "method_comparison.json"
    prev = json.loads(old.read_text(encoding="utf-8")).get("seconds", {}) if old.is_file() and not args.fresh else {}
    prev = {(k if "/" in k else f"ct/{k}"): v for k, v in prev.items()}  # records before the MRI block named CT runs alone
    seconds = {**{k: round(v, 1) for k, v in BUNDLE_SECONDS.items()}, **prev, **{k: round(v, 1) for k, v in times.items()}}
    md_ct = (work / "compare" / "comparison.md").read_text(encoding="utf-8").replace("# Method comparison\n\n", "", 1)
    intro = (
        f"{args.folds}-fold cross-validation grouped by patient, the same folds for every method of a cohort. Each paper's "
        f"`-fast` recipe trained {args.epochs} epochs per fold (shortened to the CPU budget; their own schedules are 10–80), "
        f"nnU-Net `2d` (CPU-sized network) {args.nnunet_epochs} × {args.nnunet_iterations} iterations per fold, and the "
        "clinical threshold method on the same images. Mean ± sample sd over cases and over the folds' means; p: paired "
        "Wilcoxon signed-rank against the threshold method. A region's table holds the methods that predict it. "
        "The Clèrigues recipes choose T and S_min once over every fold's cases, as their papers do (so their CV "
        "figures are tuned on themselves); the SegNet, PSPNet and slow-fusion recipes label each voxel with its most "
        "probable class (`postprocess.mode: argmax`), as their papers do.\n\n"
        "Time per method (s, 2 CPU cores shared with other work, so upper bounds; the wall time of the command, or "
        "for a run an earlier invocation trained, its bundle's CV seconds): "
        + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items())
        + "\n\n"
    )
    text = intro + f"# CT: {args.cases} phantom CTP cases (maps, threshold rCBF < 30 % within Tmax > 6 s)\n\n" + md_ct
    if mri is not None:
        md_mr = (work / "mri" / "compare" / "comparison.md").read_text(encoding="utf-8").replace("# Method comparison\n\n", "", 1)
        text += (
            f"\n# MRI: {args.cases} phantom MR cases (DWI, ADC, T1c, T2 and PWI maps; `clerigues-mri-3d-fast` {args.mri_epochs} "
            "epochs per fold, lesion target, scored as every lesion-target recipe is: the `hypoperfused` region, labels 1 ∪ 2; "
            "threshold: the DWI/ADC core and Tmax > 6 s)\n\n" + md_mr
        )
    write_results(
        "method_comparison",
        {"settings": settings, "seconds": seconds, "comparison": ct, "comparison_mri": mri},
        "Every method on the same folds (phantom cohorts)",
        text,
        "bench_method_comparison.py",
    )
    print(text)


if __name__ == "__main__":
    main()
