"""Training one model (one fold): epochs over a balanced patch set, early stopping, checkpoints.

Per epoch: shuffled batches (seeded by epoch), the recipe's loss and optimiser, batch norm's
statistics recomputed from the epoch's final weights (``recipe.precise_bn`` samples), then the
validation patches: loss, L1 = mean |p − onehot(y)| / 2 and error rate = mean(argmax ≠ y).
The early-stopping metric is L1 + error rate (Clèrigues) or the loss; the best weights are
kept, and training stops after ``patience`` epochs without improvement. A checkpoint with the
model, optimiser, counters, log and RNG-free state is written atomically after every epoch;
since all randomness is re-seeded per epoch, a resumed run ends with exactly the weights of an
uninterrupted one on CPU. A finished run that reached its epoch cap (not early stopping)
continues when resumed with a recipe that allows more epochs.

Fine-tuning stages (``recipe.fine_tuning``) control which share of a pretrained backbone
trains: each stage sets the fraction of backbone blocks that are trainable (the deepest ones
first) and its learning rate; when a stage runs out of patience the next begins (frozen →
bottom half → everything for the slow-fusion paper's gradual fine-tuning; new layers at
1e-2 → everything at 1e-4 for PSPNet), and training stops when the last stage does. A
reduce-on-plateau scheduler and adversarial phases (``training.adversarial``) are optional.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from strokeseg.errors import ConfigError, TrainingError
from strokeseg.losses import build_loss
from strokeseg.models.layers import PretrainedBackbone
from strokeseg.training.adversarial import AdversarialPhases
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


def compute_loss(loss_fn: nn.Module, logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The loss, with the per-sample lesion weights where any differs from 1 (recipe.group_penalty)."""
    if bool((w != 1).any()):
        return loss_fn(logits, y, w)
    return loss_fn(logits, y)


def evaluate_patches(model: nn.Module, data: PatchData, loss_fn: nn.Module, batch_size: int, device: torch.device) -> dict[str, float]:
    """Validation metrics over the whole set: loss, L1, error rate and Dice of the foreground classes.

    A loss made of overlap sums (focal Tversky) is computed once from the sums pooled over the
    set, not as a mean of batch losses: with small batches most batches hold no lesion, and a
    mean of their losses can rank a network that predicts nothing best (it did in a slow-fusion
    fold that collapsed to all-background, README).
    """
    model.eval()
    acc = torch.zeros(7, dtype=torch.float64, device=device)  # summed batch losses, l1, errors, intersection, pred, truth, voxels
    pooled: torch.Tensor | None = None
    sums_of, loss_of_sums = getattr(loss_fn, "sums", None), getattr(loss_fn, "from_sums", None)
    n_batches = 0
    with torch.no_grad():
        for x, y, w in data.batches(0, batch_size, shuffle=False):
            x, y = x.to(device), y.to(device)
            logits = model(x)
            if sums_of is not None:
                s = sums_of(logits, y, w if bool((w != 1).any()) else None).double()
                pooled = s if pooled is None else pooled + s
                batch_loss = torch.zeros((), device=device)
            else:
                batch_loss = compute_loss(loss_fn, logits, y, w)
            p = torch.softmax(logits.float(), dim=1)
            onehot = nn.functional.one_hot(y, p.shape[1]).movedim(-1, 1).float()
            pred = p.argmax(1)
            acc += torch.stack([batch_loss.double(), (p - onehot).abs().sum().double() / 2,
                                (pred != y).sum().double(), ((pred > 0) & (y > 0)).sum().double(),
                                (pred > 0).sum().double(), (y > 0).sum().double(), torch.tensor(float(y.numel()), device=device, dtype=torch.float64)])
            n_batches += 1
    tot_loss, tot_l1, tot_err, inter, psum, tsum, n_vox = acc.tolist()  # one device synchronisation per validation
    dice = 2 * inter / (psum + tsum) if psum + tsum > 0 else 1.0
    val_loss = float(loss_of_sums(pooled)) if pooled is not None and loss_of_sums is not None else tot_loss / max(n_batches, 1)
    return {"val_loss": val_loss, "val_l1": tot_l1 / max(n_vox, 1), "val_error": tot_err / max(n_vox, 1),
            "val_dice": dice}


def stopping_metric(recipe: Recipe, row: dict[str, Any]) -> float:
    """Lower is better: L1 + error rate (Clèrigues), the loss, or 1 − Dice."""
    if "val_loss" not in row:
        return float(row["train_loss"])
    if recipe.early_stopping == "l1+error":
        return float(row["val_l1"] + row["val_error"])
    if recipe.early_stopping == "dice":
        return 1.0 - float(row["val_dice"])
    return float(row["val_loss"])


def configure_stage(model: nn.Module, recipe: Recipe, stage: int) -> list[nn.Parameter]:
    """Freeze/unfreeze the backbone for fine-tuning stage ``stage``; returns the trainable parameters."""
    for prm in model.parameters():
        prm.requires_grad_(True)
    if recipe.fine_tuning and isinstance(model, PretrainedBackbone):
        frac = float(recipe.fine_tuning[stage].get("unfrozen", 1.0))
        blocks = model.backbone_stages()
        n_train = round(frac * len(blocks))
        for blk in blocks[: len(blocks) - n_train]:  # the input-side blocks stay frozen
            for prm in blk:
                prm.requires_grad_(False)
    return [prm for prm in model.parameters() if prm.requires_grad]


def train_mode(model: nn.Module, keep_frozen_statistics: bool = True) -> None:
    """``model.train()``; with ``keep_frozen_statistics``, batch-norm layers whose affine parameters
    are frozen stay in eval mode.

    A frozen *pretrained* backbone must keep its running statistics: in train mode batch norm
    would normalise with each batch's statistics and overwrite the stored ones. The trainer asks
    for this only when the recipe loads pretrained weights; a frozen randomly initialised backbone
    keeps learning its statistics from the data (its stored ones are the initial 0 and 1).
    """
    model.train()
    if not keep_frozen_statistics:
        return
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm) and mod.affine and not mod.weight.requires_grad:
            mod.eval()


def recalibrate_batch_norm(model: nn.Module, batches: Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
                           samples: int, device: torch.device) -> int:
    """Precise batch norm (Wu & Johnson 2021): replace the running statistics of every batch-norm
    layer in train mode by the population statistics of the current weights over ``samples``
    training samples (forward passes only). Returns the number of samples used (0: nothing to do).

    The exponential moving average that batch norm keeps during training mixes statistics of the
    last few steps' weights. Measured effect on the CT-2D fast recipe (README): on the cohort's
    cores ≥ 1 ml Dice rose from 0.854 to 0.877, but the cohort mean fell from 0.745 to 0.711 (one
    no-stroke false positive), and on a saved clipped fold evaluation mode already scored 0.90
    (recalibrated 0.87; ``benchmarks/diag_batchnorm_whitening.py``) — a mixed result, kept on
    because the final recipe was measured with it. Layers kept in eval mode (a frozen pretrained
    backbone) are left alone.
    """
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training and m.track_running_stats]
    if not layers or samples <= 0:
        return 0
    momenta = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the passes
    seen = 0
    with torch.no_grad():
        for x, _, _ in batches:
            if seen >= samples:
                break
            model(x.to(device))
            seen += x.shape[0]
    for m, mom in zip(layers, momenta):
        m.momentum = mom
    return seen


def _optimizer(model: nn.Module, recipe: Recipe, stage: int) -> torch.optim.Optimizer:
    kwargs = dict(recipe.optimizer.get("kwargs", {}))
    if recipe.fine_tuning and recipe.fine_tuning[stage].get("lr") is not None:
        kwargs["lr"] = float(recipe.fine_tuning[stage]["lr"])
    return build_optimizer(recipe.optimizer["name"], configure_stage(model, recipe, stage), **kwargs)


def backward_step(loss: torch.Tensor, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler, clip: float) -> float:
    """Back-propagate ``loss`` and step ``opt``; gradients above the global norm ``clip`` (> 0) are scaled down to it.

    Returns the gradient norm before clipping (unscaled from mixed precision; inf or nan when the
    scaler skips the step because of an overflow).
    """
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    params = [p for g in opt.param_groups for p in g["params"] if p.grad is not None]
    norm = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else float("inf"))
    scaler.step(opt)
    scaler.update()
    return float(norm)


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
    if device.type == "cuda":  # batches are gathered, whitened and augmented on the GPU
        train.to(device)
        if val is not None:
            val.to(device)
    loss_kw = dict(recipe.loss.get("kwargs", {}))
    freqs = train.class_frequencies(recipe.num_classes) if loss_kw.get("weight") == "empirical" else None
    loss_fn = build_loss(recipe.loss["name"], class_frequencies=freqs, **loss_kw).to(device)
    n_stages = max(len(recipe.fine_tuning), 1)
    stage = 0
    opt = _optimizer(model, recipe, stage)
    sched = _scheduler(recipe, opt)
    adv = AdversarialPhases(train.n_channels, recipe.num_classes, recipe.adversarial, device) if recipe.adversarial else None
    amp = use_amp(device) and adv is None
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    start_epoch, best_metric, best_epoch, waited = 1, float("inf"), 0, 0
    best_state = copy.deepcopy(model.state_dict())
    rows: list[dict[str, Any]] = []
    ckpt_path = workdir / "checkpoint.pt"
    if resume:
        ck = load_checkpoint(ckpt_path)
        if ck is not None:
            model.load_state_dict(ck["model"])
            stage = int(ck.get("stage", 0))
            opt = _optimizer(model, recipe, stage)
            opt.load_state_dict(ck["optimizer"])
            sched = _scheduler(recipe, opt)
            if sched is not None and ck.get("scheduler"):
                sched.load_state_dict(ck["scheduler"])
            if adv is not None and ck.get("adversarial"):
                adv.load_state_dict(ck["adversarial"])
            start_epoch = ck["epoch"] + 1
            best_metric, best_epoch, waited = ck["best_metric"], ck["best_epoch"], ck["waited"]
            best_state = ck["best_state"]
            rows = ck["rows"]
            # a run that ended at its epoch cap goes on when the recipe now allows more epochs
            if ck.get("finished") and (ck.get("stopped_early", False) or ck["epoch"] >= recipe.epochs):
                return FitResult(best_state, best_epoch, rows, ck.get("stopped_early", False))
    batches_done = 0
    stopped = False
    for epoch in range(start_epoch, recipe.epochs + 1):
        torch.manual_seed(seed * 7919 + epoch)  # dropout and any torch randomness of this epoch
        train_mode(model, keep_frozen_statistics=bool(recipe.pretrained))
        t0 = time.perf_counter()
        total, nb = 0.0, 0
        grad_norms: list[float] = []
        n_batches = (len(train) + recipe.batch_size - 1) // recipe.batch_size
        with progress_bar(total=n_batches, desc=f"{title} epoch {epoch}/{recipe.epochs}", unit="batch") as bar:
            adv_gen = torch.Generator().manual_seed(seed * 7919 + epoch)
            for x, y, w in train.batches(epoch, recipe.batch_size, shuffle=True, seed=seed):
                x, y = x.to(device), y.to(device)
                if adv is not None:
                    total += adv.step(model, opt, loss_fn, x, y, adv_gen)
                else:
                    opt.zero_grad(set_to_none=True)
                    with torch.autocast(device.type, enabled=amp):
                        loss = compute_loss(loss_fn, model(x), y, w)
                    if not torch.isfinite(loss.detach()):
                        raise TrainingError(f"{title or recipe.name}: epoch {epoch}: the loss is {float(loss.detach())} (training diverged); "
                                            "lower the learning rate or check the inputs")
                    grad_norms.append(backward_step(loss, opt, scaler, float(recipe.grad_clip)))
                    total += float(loss.detach())
                nb += 1
                bar.update(1)
                batches_done += 1
                if stop_after_batches is not None and batches_done >= stop_after_batches:
                    raise KeyboardInterrupt("stopped on request (simulated interruption)")
        if recipe.precise_bn:
            torch.manual_seed(seed * 7919 + epoch + 104729)
            recalibrate_batch_norm(model, train.batches(epoch, recipe.batch_size, shuffle=True, seed=seed + 1),
                                   recipe.precise_bn, device)
        row: dict[str, Any] = {"epoch": epoch, "train_loss": total / max(nb, 1), "stage": stage,
                               "lr": float(opt.param_groups[0]["lr"])}
        if grad_norms:  # before clipping: a spike here marks the step that threw the weights off
            finite = [g for g in grad_norms if math.isfinite(g)]
            row["grad_norm_max"] = max(finite) if finite else float("nan")
        if val is not None and len(val):
            row.update(evaluate_patches(model, val, loss_fn, recipe.batch_size, device))
        metric = stopping_metric(recipe, row)
        row["val_metric"] = metric
        if sched is not None:
            sched.step(metric)
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        if metric < best_metric - 1e-9:
            best_metric, best_epoch, waited = metric, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
        stopped = waited >= recipe.patience
        if stopped and stage + 1 < n_stages:  # next fine-tuning stage instead of stopping
            stage, waited, stopped = stage + 1, 0, False
            opt = _optimizer(model, recipe, stage)
            sched = _scheduler(recipe, opt)
        finished = stopped or epoch == recipe.epochs
        save_checkpoint(ckpt_path, {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch, "stage": stage,
                                    "scheduler": sched.state_dict() if sched is not None else None,
                                    "adversarial": adv.state_dict() if adv is not None else None,
                                    "best_metric": best_metric, "best_epoch": best_epoch, "waited": waited,
                                    "best_state": best_state, "rows": rows, "finished": finished, "stopped_early": stopped})
        write_log(workdir / "log.csv", rows)
        if on_epoch:
            on_epoch(epoch)
        if stopped:
            break
    plot_curves(workdir / "loss_curve.png", rows, title or recipe.name)
    return FitResult(best_state, best_epoch, rows, stopped)


def _scheduler(recipe: Recipe, opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.ReduceLROnPlateau | None:
    cfg = recipe.scheduler
    if not cfg:
        return None
    if cfg.get("name", "plateau") != "plateau":
        raise ConfigError(f"recipe {recipe.name}: unknown scheduler {cfg.get('name')!r} (available: plateau)")
    return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=float(cfg.get("factor", 0.1)),
                                                      patience=int(cfg.get("patience", 20)))
