"""Every paper recipe trains at its full network size: a few epochs on a small phantom, losses and seconds per epoch.

Each of the five paper recipes, and the comparators and baselines their papers report (the PSPNet paper's
2D U-Net, 3D U-Net and V-Net; the adversarial paper's BL1–BL3), not the CPU-sized ``-fast`` variants, trains with its own network, loss,
optimiser, fine-tuning stages and input size on a 4-case phantom cohort, through ``strokeseg train`` with one
fixed split (``--split-file``: one test and one validation case, two training cases) for ``--epochs`` epochs.
Only the amount of data is cut: ``sampling.patches_per_case`` for the patch recipes, and the cohort itself.
From each fold's ``log.csv``: the training and validation loss per epoch, whether any is not finite, and the
seconds per epoch on this CPU. This shows that every paper setting runs and its losses move; the numbers are
not the recipes' accuracy (random initialisation, two training cases, a few epochs).

The adversarial SegNet takes the CT analogues of its MRI inputs (CBV, TTP, Tmax), as bench_method_comparison.py.
Writes ``docs/results/paper_recipes_train.{json,md}``; ``--recipes a,b`` reruns only those and keeps the other
rows of the existing JSON (each row names the commit it was measured at).

    .venv/bin/python benchmarks/bench_paper_recipes_train.py [--epochs 3] [--recipes pspnet-ct,vnet-ct]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_method_comparison import OUT as COMPARISON_OUT
from bench_method_comparison import strokeseg
from bench_published_recipes import CT_ANALOGUE
from results import write_results

OUT = COMPARISON_OUT / "paper_recipes_train"
#: recipe → (cohort modality, overrides that only cut the data)
RECIPES = {
    "clerigues-ct-2d": ("ct", ["sampling.patches_per_case=64"]),
    "pspnet-ct": ("ct", []),
    "slow-fusion-vgg16": ("ct", []),
    "adversarial-segnet": ("ct", CT_ANALOGUE["adversarial-segnet"]),
    "clerigues-mri-3d": ("mr", ["sampling.patches_per_case=32"]),
    "unet-2d-ct": ("ct", []),
    "unet-3d-ct": ("ct", []),
    "vnet-ct": ("ct", []),
    "segnet-bl1": ("ct", CT_ANALOGUE["adversarial-segnet"]),
    "segnet-bl2": ("ct", CT_ANALOGUE["adversarial-segnet"]),
    "sumnet-bl3": ("ct", CT_ANALOGUE["adversarial-segnet"]),
}


def _commit() -> str:
    import subprocess

    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()


def _kept_rows(names: set[str]) -> dict[str, dict]:
    """The rows of the existing results file that this run does not measure again."""
    path = Path(__file__).resolve().parents[1] / "docs" / "results" / "paper_recipes_train.json"
    if not path.exists():
        return {}
    return {r["recipe"]: r for r in json.loads(path.read_text(encoding="utf-8"))["recipes"] if r["recipe"] not in names}


def cohort(modality: str) -> Path:
    """A 4-case phantom cohort (manifest layout: three-class truth, TTP, MIP, NIHSS), written once."""
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    data = OUT / f"{modality}_cohort"
    if not (data / "manifest.csv").exists():
        cfg = PhantomConfig(modality=modality, slices=2 if modality == "ct" else 16, p_no_stroke=0.0)
        write_phantom_cohort(data, CohortSpec(4, cfg, "manifest", seed=11, second_slab_fraction=0.0))
    return data


def split_file(data: Path) -> Path:
    from strokeseg.io.layouts import open_dataset

    ids = sorted(r.case_id for r in open_dataset(data).cases)
    path = data.parent / f"{data.name}_split.json"
    path.write_text(json.dumps({"version": 1, "folds": [{"test": ids[:1], "validation": ids[1:2]}]}), encoding="utf-8")
    return path


def epochs_of(run: Path) -> list[dict[str, float]]:
    with (run / "fold_0" / "log.csv").open(encoding="utf-8") as f:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--recipes", help="comma-separated subset to rerun (default: all)")
    args = ap.parse_args()
    chosen = args.recipes.split(",") if args.recipes else list(RECIPES)
    unknown = set(chosen) - set(RECIPES)
    if unknown:
        raise SystemExit(f"unknown recipes {sorted(unknown)}; choose from {list(RECIPES)}")
    measured: dict[str, dict] = _kept_rows(set(chosen))
    for name in chosen:
        modality, cut = RECIPES[name]
        data = cohort(modality)
        run = OUT / name
        shutil.rmtree(run, ignore_errors=True)
        sets = [a for s in [*cut, f"epochs={args.epochs}", "patience=100"] for a in ("--set", s)]
        print(f"training {name} ({args.epochs} epochs, full network size)", flush=True)
        t0 = time.perf_counter()
        strokeseg("train", "--recipe", name, "--input", data, "--out", run, "--split-file", split_file(data), *sets)
        wall = time.perf_counter() - t0
        log = epochs_of(run)
        train = [e["train_loss"] for e in log]
        val = [e.get("val_loss", math.nan) for e in log]
        measured[name] = {
            "recipe": name,
            "commit": _commit(),
            "epochs": len(log),
            "train_loss": train,
            "val_loss": val,
            "seconds_per_epoch": [e["seconds"] for e in log],
            "all_finite": all(math.isfinite(x) for x in train + val),
            "train_loss_fell": train[-1] < train[0],
            "wall_seconds": wall,
        }
    rows = [measured[n] for n in RECIPES if n in measured]
    table = [
        "| recipe | epochs | training loss, first → last | validation loss, first → last | all finite | s per epoch | commit |",
        "|---|---:|---|---|---|---:|---|",
    ]
    for r in rows:
        spe = sum(r["seconds_per_epoch"]) / max(len(r["seconds_per_epoch"]), 1)
        table.append(
            f"| {r['recipe']} | {r['epochs']} | {r['train_loss'][0]:.4g} → {r['train_loss'][-1]:.4g} | "
            f"{r['val_loss'][0]:.4g} → {r['val_loss'][-1]:.4g} | {'yes' if r['all_finite'] else '**no**'} | {spe:.1f} | "
            f"{r.get('commit', '–')} |"
        )
    head = (
        "Each paper recipe at its full network size, a few epochs (per row) on a 4-case phantom cohort (two training cases, "
        "one validation, one test; `--split-file`), random initialisation, this CPU. Only the data are cut "
        "(`sampling.patches_per_case` for the patch recipes). The losses show that every setting runs; they are not "
        "the recipes' accuracy.\n\n"
    )
    write_results(
        "paper_recipes_train",
        {"epochs": args.epochs, "recipes": rows},
        "The paper recipes train at full size",
        head + "\n".join(table),
        "bench_paper_recipes_train.py",
    )
    print(head + "\n".join(table))


if __name__ == "__main__":
    main()
