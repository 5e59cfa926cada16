"""Data-parallel training across processes: ``torchrun --nproc_per_node=N -m strokeseg train …``.

Under torchrun (``WORLD_SIZE`` > 1) each fold trains with DistributedDataParallel — NCCL on GPUs,
gloo on CPU — so that the result equals a single-process run with the same global batch:

* **batches** — every rank draws the same seeded global batch and keeps its contiguous share
  (``np.array_split`` order), so the ranks together see exactly the single-process samples;
* **gradients** — DDP averages them; a loss that is a mean over samples is scaled by the rank's
  share (``n_r · W / n``) so that the average is the global batch's gradient; a loss made of
  overlap sums (focal Tversky) is computed from the sums all-reduced with autograd, which is exact;
* **batch norm** — synchronised over the ranks (:class:`DistBatchNorm` on CPU, where
  ``torch.nn.SyncBatchNorm`` is GPU-only; ``SyncBatchNorm`` on CUDA), so statistics are the
  global batch's; precise-BN therefore recalibrates on the global batches too;
* **files** — only rank 0 writes checkpoints, logs and the bundle; every rank reads the checkpoints
  on ``--resume`` (the output folder must be shared).

Not equivalent: dropout draws its masks per rank (a rank's share, not the global batch, so a
recipe with dropout trains the same model up to its dropout noise), and adversarial recipes are
refused (their discriminator phases are not data-parallel).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from strokeseg.errors import ConfigError, one_line


@dataclass(frozen=True)
class DistContext:
    """This process's place in a torchrun job: rank, world size and local rank (GPU index on its node)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> DistContext:
        """From torchrun's ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` (a single process without them)."""
        try:
            return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0)))
        except ValueError:
            raise ConfigError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (as torchrun sets them)") from None

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device(self, requested: torch.device) -> torch.device:
        """This rank's device: ``cuda:<local rank>`` when training on CUDA, else the CPU."""
        return torch.device("cuda", self.local_rank) if requested.type == "cuda" else requested

    def start(self, device: torch.device) -> None:
        """Join the process group (NCCL on CUDA, gloo on CPU); a no-op for a single process."""
        import torch.distributed as dist

        if not self.active or dist.is_initialized():
            return
        if device.type == "cuda":
            torch.cuda.set_device(self.local_rank)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def barrier(self) -> None:
        """Wait for every rank (a no-op for a single process)."""
        import torch.distributed as dist

        if self.active and dist.is_initialized():
            dist.barrier()

    def stop(self) -> None:
        """Leave the process group."""
        import torch.distributed as dist

        if self.active and dist.is_initialized():
            dist.destroy_process_group()

    def lost(self, exc: RuntimeError) -> Exception:
        """What a collective's failure means: :class:`RankLost` when the transport lost another rank (it died or
        was killed: gloo's 'Connection reset/closed by peer', a timeout, an NCCL error), else ``exc`` itself."""
        from strokeseg.errors import RankLost

        text = str(exc)
        dist_error = getattr(torch.distributed, "DistError", ())
        if not (isinstance(exc, dist_error) or any(w in text for w in ("gloo", "nccl", "NCCL", "by peer", "Connection", "timed out"))):
            return exc
        why = one_line(text).split("] ", 1)[-1][:120]
        return RankLost(
            f"rank {self.rank} of {self.world} lost another rank, which died or was killed ({why}); each fold's last "
            "finished epoch is kept: rerun the same command with --resume to continue"
        )

    def share(self, n: int) -> slice:
        """This rank's contiguous share of ``n`` samples (``np.array_split`` order: the first ranks get one more)."""
        sizes = [len(a) for a in np.array_split(np.arange(n), self.world)]
        start = sum(sizes[: self.rank])
        return slice(start, start + sizes[self.rank])


def all_reduce_sum(t: torch.Tensor) -> torch.Tensor:
    """The sum of ``t`` over the ranks, differentiable: the backward pass sums the gradients over the ranks."""
    import torch.distributed as dist
    import torch.distributed._functional_collectives as funcol

    group = dist.group.WORLD
    assert group is not None  # only called with a process group
    out: torch.Tensor = funcol.wait_tensor(funcol.all_reduce(t, "sum", group))
    return out


class DistBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm whose training statistics are the global batch's over every rank (any 2D/3D input).

    The sums Σx and the count, then Σ(x − mean)², are all-reduced with autograd (two passes, as
    numerically stable as a single process's batch norm), so the gradient flows through the global
    mean and variance as in :class:`torch.nn.SyncBatchNorm` (which needs a GPU). In eval mode, or
    without a process group, it is plain batch norm.
    """

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input, got {input.dim()}D")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(input)
        c = input.shape[1]
        dims = [0, *range(2, input.dim())]
        shape = [1, c] + [1] * (input.dim() - 2)
        x = input.float()
        count = torch.tensor([x.numel() / c], dtype=torch.float32, device=x.device)
        packed = all_reduce_sum(torch.cat([x.sum(dims), count]))
        n = packed[-1]
        mean = packed[:c] / n
        centred = x - mean.view(shape)
        var = all_reduce_sum((centred * centred).sum(dims)) / n  # two passes: no cancellation of E[x²] − E[x]²
        tracked = self.num_batches_tracked
        if self.track_running_stats and self.running_mean is not None and self.running_var is not None and tracked is not None:
            with torch.no_grad():
                tracked.add_(1)
                m = 1.0 / float(tracked.item()) if self.momentum is None else self.momentum
                self.running_mean.mul_(1 - m).add_(m * mean.detach())
                self.running_var.mul_(1 - m).add_(m * var.detach() * n / (n - 1).clamp_min(1))
        y = centred * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        out: torch.Tensor = y.to(input.dtype)
        return out


def convert_batch_norms(model: nn.Module, device: torch.device) -> nn.Module:
    """Every batch-norm layer synchronised over the ranks: ``SyncBatchNorm`` on CUDA, :class:`DistBatchNorm` on CPU.

    Parameters and buffers keep their names, so state dicts load into the unconverted network.
    """
    if device.type == "cuda":
        synced: nn.Module = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return synced

    def convert(mod: nn.Module) -> nn.Module:
        out = mod
        if isinstance(mod, nn.modules.batchnorm._BatchNorm) and not isinstance(mod, DistBatchNorm):
            out = DistBatchNorm(mod.num_features, mod.eps, mod.momentum, mod.affine, mod.track_running_stats)
            out.load_state_dict(mod.state_dict())
            out.train(mod.training)
            if mod.affine:
                out.weight.requires_grad_(mod.weight.requires_grad)
                out.bias.requires_grad_(mod.bias.requires_grad)
        for name, child in mod.named_children():
            out.add_module(name, convert(child))
        return out

    return convert(model)


def wrap(model: nn.Module, ctx: DistContext, device: torch.device) -> nn.Module:
    """``model`` in DistributedDataParallel (gradients averaged over the ranks); the model itself for one process."""
    if not ctx.active:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[ctx.local_rank] if device.type == "cuda" else None)


def shard_batches(batches: Iterator[tuple[torch.Tensor, ...]], ctx: DistContext) -> Iterator[tuple[tuple[torch.Tensor, ...], int, int]]:
    """Each global batch cut to this rank's share: ``(share tensors, share size, global size)``."""
    for batch in batches:
        n = batch[0].shape[0]
        sl = ctx.share(n) if ctx.active else slice(0, n)
        yield tuple(t[sl] for t in batch), sl.stop - sl.start, n


def distributed_loss(
    loss_fn: nn.Module, logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor, share: int, total: int, ctx: DistContext
) -> torch.Tensor:
    """The loss whose DDP-averaged gradient is the global batch's (see the module docstring)."""
    from strokeseg.losses import compute_loss

    if not ctx.active:
        return compute_loss(loss_fn, logits, y, w)
    sums_of, from_sums = getattr(loss_fn, "sums", None), getattr(loss_fn, "from_sums", None)
    if sums_of is not None and from_sums is not None:
        result: torch.Tensor = from_sums(all_reduce_sum(sums_of(logits, y, w)))
        return result
    return compute_loss(loss_fn, logits, y, w) * (share * ctx.world / total)


def mean_over_ranks(value: float, ctx: DistContext, device: torch.device) -> float:
    """The mean of a number over the ranks (the value itself for one process)."""
    if not ctx.active:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t.item()) / ctx.world


def from_rank0(value: float, ctx: DistContext, device: torch.device) -> float:
    """Rank 0's value of a number on every rank (so that decisions such as early stopping cannot diverge)."""
    if not ctx.active:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.broadcast(t, 0)
    return float(t.item())


def check_recipe(adversarial: Any, ctx: DistContext) -> None:
    """Refuse what cannot train data-parallel (adversarial phases)."""
    if ctx.active and adversarial:
        raise ConfigError("adversarial recipes train on one process: run 'strokeseg train' without torchrun (or --nproc_per_node=1)")


__all__ = [
    "DistBatchNorm",
    "DistContext",
    "all_reduce_sum",
    "check_recipe",
    "convert_batch_norms",
    "distributed_loss",
    "from_rank0",
    "mean_over_ranks",
    "shard_batches",
    "wrap",
]
