"""Diagnostics behind the intensity clipping and precise batch norm (README, CT-2D row).

For one fold of a finished ``bench_ct2d_cohort.py`` run (its last-epoch ``checkpoint.pt``):

1. the whitening of that fold: per channel the fitted mean/std and quantiles of the whitened
   training patches (how far vessels and bone stretch the scale);
2. the fold's validation and training-patch Dice in evaluation mode (running statistics), with
   batch statistics, and after recomputing the statistics over the training patches (precise BN);
3. brain-mask voxels above 100 HU on the CT channel per case (bone inside the mask).

Pass the same ``--set`` overrides as the run that made the directory (the whitening is refitted
from them), e.g. for the run before clipping and for the clipped one:

    .venv/bin/python benchmarks/diag_batchnorm_whitening.py --fold 1 --set epochs=15 --set patience=4 \\
        --set precise_bn=0 --set intensity_clip=null
    .venv/bin/python benchmarks/diag_batchnorm_whitening.py --fold 1 --set epochs=15 --set patience=4 \\
        --set precise_bn=0
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
import torch
from torch import nn

from strokeseg.losses import build_loss
from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.checkpoint import load_checkpoint
from strokeseg.training.cv import _folds, setup_fold
from strokeseg.training.run import prepare_dataset
from strokeseg.training.trainer import evaluate_patches, recalibrate_batch_norm

OUT = Path(__file__).resolve().parents[1] / "bench-output"


class BatchStatistics(nn.Module):
    """The model with batch norm on batch statistics at evaluation (dropout stays as evaluation sets it)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def train(self, mode: bool = True) -> BatchStatistics:
        super().train(mode)
        for m in self.model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.train(True)
        return self


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", default="clerigues-ct-2d-fast")
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fold", type=int, default=1, help="fold index (0-based)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="recipe overrides of the run")
    ap.add_argument("--model-dir", type=Path, help="the run's directory (default: the name bench_ct2d_cohort.py gives)")
    args = ap.parse_args()
    tag = "" if not args.set else "_" + "_".join(x.replace("=", "-").replace(".", "-") for x in args.set)
    model_dir = args.model_dir or OUT / f"model_{args.recipe}_{args.cases}{tag}"
    ck = load_checkpoint(model_dir / f"fold_{args.fold}" / "checkpoint.pt")
    if ck is None:
        raise SystemExit(f"{model_dir}/fold_{args.fold}/checkpoint.pt not found: run bench_ct2d_cohort.py with the same --set first")
    recipe = load_recipe(args.recipe, [f"folds={args.folds}", *args.set])
    cases = prepare_dataset(OUT / f"ct_cohort_{args.cases}", recipe)
    labelled = [c for c in cases if c.target is not None]
    f = setup_fold(labelled, recipe, Path("/tmp/strokeseg-diag"), args.fold, _folds(labelled, recipe)[args.fold])
    cpu = torch.device("cpu")

    print(f"fold {args.fold} of {model_dir.name} (checkpoint of epoch {ck['epoch']})\n")
    print("1. whitening: channel, mean, std, quantiles 0.1/1/50/99/99.9 % and max of the whitened training patches")
    x = torch.cat([b[0] for b in f.train.batches(0, 256, shuffle=False)])
    for c, name in enumerate(f.normalizer.channels):
        v = x[:, c].flatten()
        v = v[v != 0]
        q = torch.quantile(v[:: max(1, v.numel() // 1_000_000)], torch.tensor([0.001, 0.01, 0.5, 0.99, 0.999]))
        print(
            f"   {name:<9} {f.normalizer.mean[c]:9.2f} {f.normalizer.std[c]:9.2f}   "
            + " ".join(f"{float(a):7.2f}" for a in q)
            + f"   max {float(v.max()):6.1f}"
        )

    loss = build_loss(recipe.train.loss.name, **recipe.train.loss.kwargs)
    model = f.model
    model.load_state_dict(ck["model"])
    print("\n2. Dice of the validation / training patches")
    # batch norm in train mode updates the running statistics: the batch-statistics pass gets its own copy
    for label, net in (("evaluation mode (running statistics)", model), ("batch statistics", BatchStatistics(copy.deepcopy(model)))):
        val = evaluate_patches(net, f.val, loss, recipe.train.batch_size, cpu)["val_dice"] if f.val is not None else float("nan")
        tr = evaluate_patches(net, f.train, loss, recipe.train.batch_size, cpu)["val_dice"]
        print(f"   {label:<40} {val:.3f} / {tr:.3f}")
    model.train()
    recalibrate_batch_norm(model, f.train.batches(0, recipe.train.batch_size), len(f.train), cpu)
    val = evaluate_patches(model, f.val, loss, recipe.train.batch_size, cpu)["val_dice"] if f.val is not None else float("nan")
    tr = evaluate_patches(model, f.train, loss, recipe.train.batch_size, cpu)["val_dice"]
    print(f"   {'recalibrated on all training patches':<40} {val:.3f} / {tr:.3f}")

    if "CT" in labelled[0].channels:
        print("\n3. brain-mask voxels above 100 HU on the CT channel (bone in the mask)")
        ict = labelled[0].channels.index("CT")
        for c in labelled:
            bone = (c.x[ict] > 100) & c.brain
            if bone.any():
                print(f"   {c.case_id}: {int(bone.sum())} voxels on slice(s) {np.flatnonzero(bone.any((1, 2))).tolist()}")


if __name__ == "__main__":
    main()
