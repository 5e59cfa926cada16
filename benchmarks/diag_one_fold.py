"""Train one fold of a recipe on the benchmark cohort and print each epoch's validation numbers.

For start-up failures of one fold (e.g. slow-fusion-vgg16-fast's fold 2 of the 3-fold split, which
calls the whole brain core): the same cohort, folds, validation split, seed and whitening as
``bench_published_recipes.py``, only fold ``--fold`` and only ``--epochs`` epochs, so a candidate
fix (``--set``) can be tried in minutes. Besides the log columns it prints the fraction of the
validation voxels the model labels core and penumbra, as a multiple of the true count, after every
epoch (a fold that calls the whole brain core shows a core count tens of times the truth).

    .venv/bin/python benchmarks/diag_one_fold.py --recipe slow-fusion-vgg16-fast --fold 2 --epochs 15 [--set KEY=VALUE]
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import numpy as np
import torch

from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.cv import _folds, setup_fold
from strokeseg.training.device import select_device
from strokeseg.training.run import prepare_dataset
from strokeseg.training.trainer import FitOptions, fit

OUT = Path(__file__).resolve().parents[1] / "bench-output"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", default="slow-fusion-vgg16-fast")
    ap.add_argument("--fold", type=int, default=2)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    data = OUT / f"ct_cohort_{args.cases}_manifest"
    if not (data / "manifest.csv").exists():
        raise SystemExit(f"{data}: run benchmarks/bench_published_recipes.py first (it writes the cohort)")
    recipe = load_recipe(args.recipe, [f"folds={args.folds}", f"epochs={args.epochs}", f"patience={args.epochs}", *args.set])
    device = select_device(args.device)
    labelled = [c for c in prepare_dataset(data, recipe) if c.target is not None]
    test_ids = _folds(labelled, recipe)[args.fold]
    tag = re.sub(r"[^A-Za-z0-9_-]+", "-", "_".join(args.set)).strip("-") or "default"
    out = OUT / f"diag_{args.recipe}_fold{args.fold}_{tag}"
    shutil.rmtree(out, ignore_errors=True)
    f = setup_fold(labelled, recipe, out, args.fold, test_ids)
    assert f.val is not None, "the fold needs a validation split"
    val_idx = np.arange(len(f.val))
    print(f"fold {args.fold}: train {f.train_ids}, validation {f.val_ids}, test {test_ids}")
    print("epoch  train_loss  val_loss  val_dice  core called/true  penumbra called/true")

    def report(epoch: int) -> None:
        f.model.eval()
        called, truth = torch.zeros(3), torch.zeros(3)
        with torch.no_grad():
            for s in range(0, len(val_idx), 8):
                x, y = f.val.gather(val_idx[s : s + 8])
                called += torch.bincount(f.model(x.to(device)).argmax(1).reshape(-1).cpu(), minlength=3)[:3].float()
                truth += torch.bincount(y.reshape(-1), minlength=3)[:3].float()
        r = np.atleast_1d(np.genfromtxt(f.directory / "log.csv", delimiter=",", names=True))[-1]
        print(
            f"{epoch:5d}  {r['train_loss']:10.3f}  {r['val_loss']:8.3f}  {r['val_dice']:8.3f}  "
            f"{called[2] / truth[2].clamp_min(1):9.1f}x  {called[1] / truth[1].clamp_min(1):13.1f}x",
            flush=True,
        )

    fit(f.model, f.train_cfg, f.train, f.val, device, f.directory, FitOptions(seed=f.seed, title=f"fold {args.fold}", on_epoch=report))


if __name__ == "__main__":
    main()
