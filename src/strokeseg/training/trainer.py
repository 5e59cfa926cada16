"""Training one model (one fold): epochs over a balanced patch set, early stopping, checkpoints.

Per epoch: shuffled batches (seeded by epoch), the recipe's loss and optimiser, then the
validation patches: loss, L1 = mean |p − onehot(y)| / 2 and error rate = mean(argmax ≠ y).
The early-stopping metric is L1 + error rate (Clèrigues) or the loss; the best weights are
kept, and training stops after ``patience`` epochs without improvement. A checkpoint with the
model, optimiser, counters, log and RNG-free state is written atomically after every epoch;
since all randomness is re-seeded per epoch, a resumed run ends with exactly the weights of an
uninterrupted one on CPU.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from strokeseg.losses import build_loss
from strokeseg.training.checkpoint import load_checkpoint, save_checkpoint
from strokeseg.training.data import PatchData
from strokeseg.training.device import use_amp
from strokeseg.training.logs import plot_curves, write_log
from strokeseg.training.optim import build_optimizer
from strokeseg.training.recipe import Recipe
from strokeseg.util.progress import progress_bar


@dataclass
class FitResult:
    best_state: dict[str, torch.Tensor]
    best_epoch: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False


def evaluate_patches(model: nn.Module, data: PatchData, loss_fn: nn.Module, batch_size: int, device: torch.device) -> dict[str, float]:
    model.eval()
    tot_loss = tot_l1 = tot_err = 0.0
    n_vox = 0
    n_batches = 0
    with torch.no_grad():
        for x, y in data.batches(0, batch_size, shuffle=False):
            x, y = x.to(device), y.to(device)
            logits = model(x)
            tot_loss += float(loss_fn(logits, y))
            p = torch.softmax(logits.float(), dim=1)
            onehot = nn.functional.one_hot(y, p.shape[1]).movedim(-1, 1).float()
            tot_l1 += float((p - onehot).abs().sum() / 2)
            tot_err += float((p.argmax(1) != y).sum())
            n_vox += y.numel()
            n_batches += 1
    return {"val_loss": tot_loss / max(n_batches, 1), "val_l1": tot_l1 / max(n_vox, 1), "val_error": tot_err / max(n_vox, 1)}


def fit(
    model: nn.Module,
    recipe: Recipe,
    train: PatchData,
    val: PatchData | None,
    device: torch.device,
    workdir: Path,
    resume: bool = False,
    seed: int = 0,
    title: str = "",
    stop_after_batches: int | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> FitResult:
    """Train ``model``; ``workdir`` receives ``checkpoint.pt``, ``log.csv`` and ``loss_curve.png``.

    ``stop_after_batches`` aborts mid-epoch (used by the resume test to simulate a killed run).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    model.to(device)
    loss_fn = build_loss(recipe.loss["name"], **recipe.loss.get("kwargs", {})).to(device)
    opt = build_optimizer(recipe.optimizer["name"], model.parameters(), **recipe.optimizer.get("kwargs", {}))
    amp = use_amp(device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    start_epoch, best_metric, best_epoch, waited = 1, float("inf"), 0, 0
    best_state = copy.deepcopy(model.state_dict())
    rows: list[dict[str, Any]] = []
    ckpt_path = workdir / "checkpoint.pt"
    if resume:
        ck = load_checkpoint(ckpt_path)
        if ck is not None:
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optimizer"])
            start_epoch = ck["epoch"] + 1
            best_metric, best_epoch, waited = ck["best_metric"], ck["best_epoch"], ck["waited"]
            best_state = ck["best_state"]
            rows = ck["rows"]
            if ck.get("finished"):
                return FitResult(best_state, best_epoch, rows, ck.get("stopped_early", False))
    batches_done = 0
    stopped = False
    for epoch in range(start_epoch, recipe.epochs + 1):
        torch.manual_seed(seed * 7919 + epoch)  # dropout and any torch randomness of this epoch
        model.train()
        t0 = time.perf_counter()
        total, nb = 0.0, 0
        n_batches = (len(train) + recipe.batch_size - 1) // recipe.batch_size
        with progress_bar(total=n_batches, desc=f"{title} epoch {epoch}/{recipe.epochs}", unit="batch") as bar:
            for x, y in train.batches(epoch, recipe.batch_size, shuffle=True, seed=seed):
                x, y = x.to(device), y.to(device)
                opt.zero_grad(set_to_none=True)
                with torch.autocast(device.type, enabled=amp):
                    loss = loss_fn(model(x), y)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                total += float(loss.detach())
                nb += 1
                bar.update(1)
                batches_done += 1
                if stop_after_batches is not None and batches_done >= stop_after_batches:
                    raise KeyboardInterrupt("stopped on request (simulated interruption)")
        row: dict[str, Any] = {"epoch": epoch, "train_loss": total / max(nb, 1)}
        if val is not None and len(val):
            row.update(evaluate_patches(model, val, loss_fn, recipe.batch_size, device))
            metric = row["val_l1"] + row["val_error"] if recipe.early_stopping == "l1+error" else row["val_loss"]
        else:
            metric = row["train_loss"]
        row["val_metric"] = metric
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        if metric < best_metric - 1e-9:
            best_metric, best_epoch, waited = metric, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
        stopped = waited >= recipe.patience
        finished = stopped or epoch == recipe.epochs
        save_checkpoint(ckpt_path, {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch,
                                    "best_metric": best_metric, "best_epoch": best_epoch, "waited": waited,
                                    "best_state": best_state, "rows": rows, "finished": finished, "stopped_early": stopped})
        write_log(workdir / "log.csv", rows)
        if on_epoch:
            on_epoch(epoch)
        if stopped:
            break
    plot_curves(workdir / "loss_curve.png", rows, title or recipe.name)
    return FitResult(best_state, best_epoch, rows, stopped)
