"""Training one model (one fold): epochs over a balanced patch set, early stopping, checkpoints.

Per epoch: shuffled batches (seeded by epoch), the recipe's loss and optimiser, batch norm's
statistics recomputed from the epoch's final weights (``precise_bn`` samples), then the
validation patches: loss, L1 = mean |p − onehot(y)| / 2 and error rate = mean(argmax ≠ y).
The early-stopping metric is L1 + error rate (Clèrigues) or the loss; the best weights are
kept, and training stops after ``patience`` epochs without improvement. A checkpoint with the
model, optimiser, counters, log and RNG-free state is written atomically after every epoch;
since all randomness is re-seeded per epoch, a resumed run ends with exactly the weights of an
uninterrupted one on CPU. A finished run that reached its epoch cap (not early stopping)
continues when resumed with a recipe that allows more epochs.

Fine-tuning stages (``fine_tuning``) control which share of a pretrained backbone
trains: each stage sets the share of the backbone's weights that is trainable (whole blocks, the
deepest first) and its learning rate; when a stage runs out of patience the next begins (frozen →
the deepest half of the weights → everything for the slow-fusion paper's gradual fine-tuning; new layers at
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

from strokeseg.errors import WITHOUT_RESUME, ConfigError, InputError, Message, TrainingError
from strokeseg.losses import build_loss, compute_loss
from strokeseg.models.layers import PretrainedBackbone
from strokeseg.recipes.specs import EarlyStopping, TrainConfig
from strokeseg.training.adversarial import AdversarialPhases
from strokeseg.training.checkpoint import load_checkpoint, save_checkpoint
from strokeseg.training.data import PatchData
from strokeseg.training.device import amp_dtype, is_2d
from strokeseg.training.distributed import DistContext, distributed_loss, from_rank0, mean_over_ranks, shard_batches, wrap
from strokeseg.training.logs import plot_curves, write_log
from strokeseg.training.optim import build_optimizer
from strokeseg.util.progress import progress_bar
from strokeseg.util.seeds import batch_norm_seed, epoch_seed


@dataclass
class FitResult:
    """What training a fold gives: the best weights, their epoch, the per-epoch log rows and whether it stopped early."""

    best_state: dict[str, torch.Tensor]
    best_epoch: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False


def evaluate_patches(model: nn.Module, data: PatchData, loss_fn: nn.Module, batch_size: int, device: torch.device) -> dict[str, float]:
    """Validation metrics over the whole set: loss, L1, error rate and Dice of the foreground classes.

    A loss made of overlap sums (focal Tversky) is computed once from the sums pooled over the
    set, not as a mean of batch losses: with small batches most batches hold no lesion, and a
    mean of their losses can rank a network that predicts nothing best.
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
            acc += torch.stack(
                [
                    batch_loss.double(),
                    (p - onehot).abs().sum().double() / 2,
                    (pred != y).sum().double(),
                    ((pred > 0) & (y > 0)).sum().double(),
                    (pred > 0).sum().double(),
                    (y > 0).sum().double(),
                    torch.tensor(float(y.numel()), device=device, dtype=torch.float64),
                ]
            )
            n_batches += 1
    tot_loss, tot_l1, tot_err, inter, psum, tsum, n_vox = acc.tolist()  # one device synchronisation per validation
    dice = 2 * inter / (psum + tsum) if psum + tsum > 0 else 1.0
    val_loss = float(loss_of_sums(pooled)) if pooled is not None and loss_of_sums is not None else tot_loss / max(n_batches, 1)
    return {"val_loss": val_loss, "val_l1": tot_l1 / max(n_vox, 1), "val_error": tot_err / max(n_vox, 1), "val_dice": dice}


def stopping_metric(cfg: TrainConfig, row: dict[str, Any]) -> float:
    """Lower is better: L1 + error rate (Clèrigues), the loss, or 1 − Dice."""
    if "val_loss" not in row:
        return float(row["train_loss"])
    if cfg.early_stopping == EarlyStopping.L1_ERROR:
        return float(row["val_l1"] + row["val_error"])
    if cfg.early_stopping == EarlyStopping.DICE:
        return 1.0 - float(row["val_dice"])
    return float(row["val_loss"])


def unfrozen_blocks(blocks: list[list[nn.Parameter]], fraction: float) -> int:
    """How many of the deepest ``blocks`` (given input side first) hold the share of the backbone's weights nearest to
    ``fraction`` (of the parameter count; whole blocks; the fewer on a tie). Tomasetti et al. unfreeze "the bottom
    half of the weights": in VGG-16 that is its last block (48 % of the weights), where half of the five blocks would
    be 88 %."""
    sizes = [sum(p.numel() for p in b) for b in blocks]
    total = sum(sizes) or 1
    shares = [sum(sizes[len(sizes) - n :]) / total if n else 0.0 for n in range(len(sizes) + 1)]
    return min(range(len(shares)), key=lambda n: (abs(shares[n] - fraction), n))


def configure_stage(model: nn.Module, cfg: TrainConfig, stage: int) -> list[nn.Parameter]:
    """Freeze/unfreeze the backbone for fine-tuning stage ``stage`` (its deepest blocks holding the stage's
    ``unfrozen`` share of the weights train, :func:`unfrozen_blocks`); returns the trainable parameters."""
    for prm in model.parameters():
        prm.requires_grad_(True)
    if cfg.fine_tuning and isinstance(model, PretrainedBackbone):
        blocks = model.backbone_stages()
        n_train = unfrozen_blocks(blocks, cfg.fine_tuning[stage].unfrozen)
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


def recalibrate_batch_norm(
    model: nn.Module, batches: Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], samples: int, device: torch.device, ranks: int = 1
) -> int:
    """Precise batch norm (Wu & Johnson 2021): replace the running statistics of every batch-norm
    layer in train mode by the population statistics of the current weights over ``samples``
    training samples (forward passes only). Returns the number of samples used (0: nothing to do).
    ``ranks`` > 1: each batch is one rank's equal share of a global batch (counted ``ranks`` times).

    The exponential moving average that batch norm keeps during training mixes statistics of the
    last few steps' weights; layers kept in eval mode (a frozen pretrained backbone) are left alone.
    (Its measured effect: ``docs/explanation/experiments.md``.)
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
            seen += x.shape[0] * ranks
    for m, mom in zip(layers, momenta):
        m.momentum = mom
    return seen


def _optimizer(model: nn.Module, cfg: TrainConfig, stage: int) -> torch.optim.Optimizer:
    kwargs = dict(cfg.optimizer.kwargs)
    if cfg.fine_tuning and cfg.fine_tuning[stage].lr is not None:
        kwargs["lr"] = cfg.fine_tuning[stage].lr
    return build_optimizer(cfg.optimizer.name, configure_stage(model, cfg, stage), **kwargs)


def _scheduler(cfg: TrainConfig, opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.ReduceLROnPlateau | None:
    sc = cfg.scheduler
    if sc is None:
        return None
    if sc.name != "plateau":
        raise ConfigError(f"recipe {cfg.name}: unknown scheduler {sc.name!r} (available: plateau)")
    return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=sc.factor, patience=sc.patience)


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


class CompiledOrEager(nn.Module):
    """``torch.compile(module)``, falling back to the eager module, with a note, when compilation fails."""

    def __init__(self, module: nn.Module, title: str) -> None:
        super().__init__()
        self.eager, self.title = module, title
        try:
            self.fast: nn.Module | None = torch.compile(module)  # type: ignore[assignment]
        except Exception as exc:  # any backend failure: train eagerly
            self._fall_back(exc)

    def _fall_back(self, exc: Exception) -> None:
        import logging

        self.fast = None
        logging.getLogger("strokeseg").warning(f"note: {self.title}: torch.compile failed ({type(exc).__name__}: {exc}); training eagerly")

    def forward(self, *args: Any) -> Any:
        if self.fast is not None:
            try:
                return self.fast(*args)
            except Exception as exc:  # compilation happens at the first call
                self._fall_back(exc)
        return self.eager(*args)


@dataclass(frozen=True)
class FitOptions:
    """How one training run is driven (not what it trains).

    Attributes:
        resume: continue from ``workdir/checkpoint.pt`` when it exists.
        seed: the fold's seed; every random stream of the run derives from it.
        title: prefix of progress lines and the loss-curve title (default: the recipe's name).
        on_epoch: called with the epoch number after each epoch's checkpoint is written.
        on_batch: called with the number of batches done so far (raising in it interrupts the run).
        dist: the torchrun job this process belongs to (:class:`~strokeseg.training.distributed.DistContext`);
            None: a single process.
    """

    resume: bool = False
    seed: int = 0
    title: str = ""
    on_epoch: Callable[[int], None] | None = None
    on_batch: Callable[[int], None] | None = None
    dist: DistContext | None = None


@dataclass
class _State:
    """What a checkpoint holds besides the weights: counters, the best weights and the log."""

    stage: int = 0
    epoch: int = 0
    best_metric: float = float("inf")
    best_epoch: int = 0
    waited: int = 0
    best_state: dict[str, torch.Tensor] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    stopped: bool = False


class _Run:
    """One fold's training loop, split into its steps (see the module docstring)."""

    def __init__(
        self, model: nn.Module, cfg: TrainConfig, train: PatchData, val: PatchData | None, device: torch.device, opts: FitOptions
    ) -> None:
        self.model, self.cfg, self.train, self.val, self.device, self.opts = model, cfg, train, val, device, opts
        self.ctx = opts.dist or DistContext()
        self.forward_model: nn.Module = model  # in DistributedDataParallel under torchrun (re-wrapped per stage)
        loss_kw = dict(cfg.loss.kwargs)
        freqs = train.class_frequencies(cfg.num_classes) if loss_kw.get("weight") == "empirical" else None
        self.loss_fn = build_loss(cfg.loss.name, class_frequencies=freqs, **loss_kw).to(device)
        self.n_stages = max(len(cfg.fine_tuning), 1)
        self.adv = AdversarialPhases(train.n_channels, cfg.num_classes, cfg.adversarial, device) if cfg.adversarial else None
        self.amp_dtype = amp_dtype(cfg.amp, device) if self.adv is None else None
        self.amp = self.amp_dtype is not None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype is torch.float16)  # bf16 needs no loss scaling
        self.channels_last = device.type == "cuda" and cfg.channels_last and is_2d(model)
        self.st = _State(best_state=copy.deepcopy(model.state_dict()))
        self.new_stage(0)
        self.batches_done = 0

    def new_stage(self, stage: int) -> None:
        self.st.stage = stage
        self.opt = _optimizer(self.model, self.cfg, stage)
        self.sched = _scheduler(self.cfg, self.opt)
        self.forward_model = wrap(self.model, self.ctx, self.device)  # the stage's trainable parameters
        if self.cfg.compile:
            self.forward_model = CompiledOrEager(self.forward_model, self.opts.title or self.cfg.name)

    def restore(self, ck: dict[str, Any]) -> None:
        self.model.load_state_dict(ck["model"])
        self.new_stage(int(ck.get("stage", 0)))
        self.opt.load_state_dict(ck["optimizer"])
        if self.sched is not None and ck.get("scheduler"):
            self.sched.load_state_dict(ck["scheduler"])
        if self.adv is not None and ck.get("adversarial"):
            self.adv.load_state_dict(ck["adversarial"])
        self.st = _State(
            int(ck.get("stage", 0)),
            int(ck["epoch"]),
            ck["best_metric"],
            ck["best_epoch"],
            ck["waited"],
            ck["best_state"],
            ck["rows"],
            bool(ck.get("finished")),
            bool(ck.get("stopped_early", False)),
        )

    def checkpoint(self) -> dict[str, Any]:
        st = self.st
        return {
            "model": self.model.state_dict(),
            "optimizer": self.opt.state_dict(),
            "epoch": st.epoch,
            "stage": st.stage,
            "scheduler": self.sched.state_dict() if self.sched is not None else None,
            "adversarial": self.adv.state_dict() if self.adv is not None else None,
            "best_metric": st.best_metric,
            "best_epoch": st.best_epoch,
            "waited": st.waited,
            "best_state": st.best_state,
            "rows": st.rows,
            "finished": st.finished,
            "stopped_early": st.stopped,
        }

    def train_epoch(self, epoch: int) -> tuple[float, list[float]]:
        """One pass over the shuffled training samples; the mean loss and the per-step gradient norms."""
        cfg, seed, title = self.cfg, self.opts.seed, self.opts.title
        torch.manual_seed(epoch_seed(seed, epoch))  # dropout and any torch randomness of this epoch
        train_mode(self.model, keep_frozen_statistics=bool(cfg.pretrained))
        total, nb, grad_norms = 0.0, 0, []
        n_batches = (len(self.train) + cfg.batch_size - 1) // cfg.batch_size
        with progress_bar(total=n_batches, desc=f"{title} epoch {epoch}/{cfg.epochs}", unit="batch") as bar:
            adv_gen = torch.Generator().manual_seed(epoch_seed(seed, epoch))
            for (x, y, w), share, n in shard_batches(self.train.batches(epoch, cfg.batch_size, shuffle=True, seed=seed), self.ctx):
                x, y = x.to(self.device), y.to(self.device)
                if self.adv is not None:
                    total += self.adv.step(self.model, self.opt, self.loss_fn, x, y, adv_gen)
                else:
                    loss, norm = self.step(x, y, w, epoch, (share, n))
                    grad_norms.append(norm)
                    total += loss
                nb += 1
                bar.update(1)
                self.batches_done += 1
                if self.opts.on_batch is not None:
                    self.opts.on_batch(self.batches_done)
        if nb == 0:
            raise TrainingError(f"{self.opts.title or self.cfg.name}: epoch {epoch} had no training batch ({len(self.train)} samples)")
        return mean_over_ranks(total, self.ctx, self.device) / nb, grad_norms

    def step(self, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, epoch: int, share: tuple[int, int]) -> tuple[float, float]:
        """One optimiser step on this rank's ``share`` = (its samples, the global batch's) of a batch."""
        self.opt.zero_grad(set_to_none=True)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp):
            loss = distributed_loss(self.loss_fn, self.forward_model(x), y, w, share[0], share[1], self.ctx)
        if not torch.isfinite(loss.detach()):
            raise TrainingError(
                f"{self.opts.title or self.cfg.name}: epoch {epoch}: the loss is {float(loss.detach())} "
                "(training diverged); lower the learning rate or check the inputs"
            )
        norm = backward_step(loss, self.opt, self.scaler, self.cfg.grad_clip)
        return float(loss.detach()), norm

    def validate(self, epoch: int, train_loss: float, grad_norms: list[float], t0: float) -> dict[str, Any]:
        """The epoch's log row (after precise batch norm), with the stopping metric; steps the scheduler."""
        cfg = self.cfg
        if cfg.precise_bn:
            torch.manual_seed(batch_norm_seed(self.opts.seed, epoch))
            batches = self.train.batches(epoch, cfg.batch_size, shuffle=True, seed=self.opts.seed + 1)
            shares = ((b[0], b[1], b[2]) for b, _, _ in shard_batches(batches, self.ctx))  # synchronised BN: global statistics
            recalibrate_batch_norm(self.model, shares, cfg.precise_bn, self.device, self.ctx.world)
        row: dict[str, Any] = {
            "epoch": epoch,
            "train_loss": train_loss,
            "stage": self.st.stage,
            "lr": float(self.opt.param_groups[0]["lr"]),
        }
        if grad_norms:  # before clipping: a spike here marks the step that threw the weights off
            finite = [g for g in grad_norms if math.isfinite(g)]
            row["grad_norm_max"] = max(finite) if finite else float("nan")
        if self.val is not None and len(self.val):
            row.update(evaluate_patches(self.model, self.val, self.loss_fn, cfg.batch_size, self.device))
        row["val_metric"] = from_rank0(stopping_metric(cfg, row), self.ctx, self.device)
        if self.sched is not None:
            self.sched.step(row["val_metric"])
        row["seconds"] = time.perf_counter() - t0
        return row

    def keep_best(self, epoch: int, metric: float) -> None:
        """Track the best weights and patience; move to the next fine-tuning stage instead of stopping."""
        st = self.st
        if metric < st.best_metric - 1e-9:
            st.best_metric, st.best_epoch, st.waited = metric, epoch, 0
            st.best_state = copy.deepcopy(self.model.state_dict())
        else:
            st.waited += 1
        st.stopped = st.waited >= self.cfg.patience
        if st.stopped and st.stage + 1 < self.n_stages:
            st.waited, st.stopped = 0, False
            self.new_stage(st.stage + 1)
        st.finished = st.stopped or epoch == self.cfg.epochs


def _place(model: nn.Module, cfg: TrainConfig, train: PatchData, val: PatchData | None, device: torch.device, ctx: DistContext) -> None:
    """The network and the sample sets on ``device``: batch norm synchronised under torchrun, channels-last
    for 2D networks on CUDA, batches gathered, whitened and augmented on the GPU."""
    if ctx.active:
        from strokeseg.training.distributed import check_recipe, convert_batch_norms

        check_recipe(cfg.adversarial, ctx)
        convert_batch_norms(model, device)
    model.to(device)
    if device.type == "cuda" and cfg.channels_last and is_2d(model):
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    if device.type == "cuda":
        train.to(device)
        if val is not None:
            val.to(device)


def fit(
    model: nn.Module,
    cfg: TrainConfig,
    train: PatchData,
    val: PatchData | None,
    device: torch.device,
    workdir: Path,
    opts: FitOptions = FitOptions(),
) -> FitResult:
    """Train ``model``; ``workdir`` receives ``checkpoint.pt``, ``log.csv`` and ``loss_curve.png``.

    Returns the best weights by the stopping metric, their epoch, the per-epoch log rows and
    whether training stopped early.
    """
    ctx = opts.dist or DistContext()
    if ctx.is_main:
        workdir.mkdir(parents=True, exist_ok=True)
    _place(model, cfg, train, val, device, ctx)
    run = _Run(model, cfg, train, val, device, opts)
    ckpt_path = workdir / "checkpoint.pt"
    ck = load_checkpoint(ckpt_path) if opts.resume else None
    if ck is not None:
        try:
            run.restore(ck)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:  # other shapes, keys or types than this recipe's
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
            raise InputError(
                Message(
                    f"cannot resume: the checkpoint does not fit this recipe's network and optimiser ({detail}); delete it or train ",
                    WITHOUT_RESUME,
                ),
                ckpt_path,
            ) from None
        # a run that ended at its epoch cap goes on when the recipe now allows more epochs
        if run.st.finished and (run.st.stopped or run.st.epoch >= cfg.epochs):
            return FitResult(run.st.best_state, run.st.best_epoch, run.st.rows, run.st.stopped)
    run.st.stopped = False
    for epoch in range(run.st.epoch + 1, cfg.epochs + 1):
        t0 = time.perf_counter()
        train_loss, grad_norms = run.train_epoch(epoch)
        row = run.validate(epoch, train_loss, grad_norms, t0)
        run.st.rows.append(row)
        run.keep_best(epoch, row["val_metric"])
        run.st.epoch = epoch
        if ctx.is_main:  # under torchrun only rank 0 writes
            save_checkpoint(ckpt_path, run.checkpoint())
            write_log(workdir / "log.csv", run.st.rows)
            if opts.on_epoch:
                opts.on_epoch(epoch)
        if run.st.stopped:
            break
    if ctx.is_main:
        plot_curves(workdir / "loss_curve.png", run.st.rows, opts.title or cfg.name)
    ctx.barrier()
    return FitResult(run.st.best_state, run.st.best_epoch, run.st.rows, run.st.stopped)
