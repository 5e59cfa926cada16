"""Sliding-window prediction over a whole volume, batched, with overlapping windows averaged.

Window starts follow MONAI's ``sliding_window_inference`` (interval = step, the last window
flush with the border, volumes smaller than a window zero-padded symmetrically), so the probabilities equal
MONAI's with ``overlap = 1 − step/window`` and ``mode="constant"`` (a test proves it). Windows
are gathered in batches by one indexing operation and their outputs are added back with one
``index_add_`` per batch — no Python loop over windows.

Each window can be predicted by several networks (an ensemble of folds), several Monte-Carlo
dropout passes and a left–right flip (test-time augmentation); the mean probability and the
variance of the foreground probability across all those samples are accumulated per voxel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from strokeseg.inference.config import WindowConfig
from strokeseg.models.layers import set_mc_dropout
from strokeseg.sampling.extract import flat_patch_indices


def window_starts(length: int, window: int, step: int) -> list[int]:
    """MONAI's scan positions along one axis."""
    if length <= window:
        return [0]
    n = math.ceil((length - window) / step) + 1
    return [min(i * step, length - window) for i in range(n)]


@dataclass
class SlidingResult:
    """Sliding-window output: mean class probabilities ``(K, Z, Y, X)``, the foreground variance ``(Z, Y, X)``, samples per window."""

    probs: np.ndarray  # (K, Z, Y, X) mean class probabilities
    variance: np.ndarray  # (Z, Y, X) variance of the foreground probability across MC/ensemble/TTA samples,
    # computed within each window and averaged over the windows covering the voxel
    samples: int


def _grid(shape: Sequence[int], window: Sequence[int], step: Sequence[int]) -> np.ndarray:
    starts = [window_starts(s, w, st) for s, w, st in zip(shape, window, step)]
    mesh = np.meshgrid(*starts, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)  # (W, 3)


def windows_touching(mask: np.ndarray, starts: np.ndarray, window: Sequence[int]) -> np.ndarray:
    """Which windows (``starts`` ``(W, 3)``, size ``window``) hold at least one voxel of ``mask`` ``(Z, Y, X)``.

    One summed-area table and eight look-ups per window, no loop over windows.
    """
    sat = np.zeros(tuple(s + 1 for s in mask.shape), np.int64)
    sat[1:, 1:, 1:] = mask.astype(np.int64).cumsum(0).cumsum(1).cumsum(2)
    lo = starts
    hi = starts + np.asarray(window)[None, :]
    total = np.zeros(len(starts), np.int64)
    for corner in range(8):
        pick = [(corner >> a) & 1 for a in range(3)]
        idx = tuple(np.where(pick[a], hi[:, a], lo[:, a]) for a in range(3))
        total += (-1) ** (3 - sum(pick)) * sat[idx]
    result: np.ndarray = total > 0
    return result


def sliding_window_predict(
    x: np.ndarray,
    models: Sequence[nn.Module],
    cfg: WindowConfig,
    device: torch.device | str = "cpu",
    progress: Callable[[int], None] | None = None,
    within: np.ndarray | None = None,
) -> SlidingResult:
    """Predict ``x`` ``(C, Z, Y, X)`` (already whitened) with every model (windows, MC passes, flip: ``cfg``).

    The Monte-Carlo dropout masks are seeded by ``cfg.seed`` (the caller's random state is left untouched);
    ``progress`` is called with the number of windows done after each batch. With ``within``
    (a ``(Z, Y, X)`` mask, e.g. the brain), windows holding no voxel of it are skipped: the
    probabilities inside the mask are those of the full scan (up to the Monte-Carlo draws, which
    then fall on other windows), and voxels no window covers are background with zero variance.
    """
    device = torch.device(device)
    c, *spatial = x.shape
    win = [int(w) for w in cfg.window]
    pad = [max(0, w - s) for w, s in zip(win, spatial)]
    before = [p // 2 for p in pad]  # symmetric zero padding, as MONAI pads small volumes
    xp = np.pad(x, [(0, 0)] + [(b, p - b) for b, p in zip(before, pad)]) if any(pad) else x
    shape = xp.shape[1:]
    starts = _grid(shape, win, [int(s) for s in cfg.step])
    if within is not None:
        wp = np.pad(within, [(b, p - b) for b, p in zip(before, pad)]) if any(pad) else within
        starts = starts[windows_touching(np.asarray(wp, bool), starts, win)]
    vol = torch.from_numpy(np.ascontiguousarray(xp, dtype=np.float32)).reshape(c, -1)
    n_vox = int(np.prod(shape))
    strides = torch.tensor([shape[1] * shape[2], shape[2], 1])
    sum_p: torch.Tensor | None = None
    sum_var = torch.zeros(n_vox, dtype=torch.float64)
    count = torch.zeros(n_vox, dtype=torch.float64)
    n_samples = len(models) * max(1, cfg.mc_passes) * (2 if cfg.tta_flip else 1)
    channels_last = _ready_models(models, cfg, device)
    rng_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.inference_mode(), torch.random.fork_rng(devices=rng_devices, enabled=cfg.mc_passes > 1):
        torch.manual_seed(cfg.seed)
        for b in range(0, len(starts), cfg.batch_size):
            st = starts[b : b + cfg.batch_size]
            idx = flat_patch_indices(torch.from_numpy(st), strides, win)  # (B, P) flat voxel indices
            inp = vol[:, idx.reshape(-1)].reshape(c, len(st), *win).movedim(0, 1)
            inp = inp[:, :, 0] if win[0] == 1 else inp
            if channels_last:
                inp = inp.contiguous(memory_format=torch.channels_last)
            acc_p, acc_fg, acc_fg2 = _window_samples(models, inp, cfg, device)
            k = acc_p.shape[1]
            if sum_p is None:
                sum_p = torch.zeros((k, n_vox), dtype=torch.float64)
            flat_idx = idx.reshape(-1)
            sum_p.index_add_(1, flat_idx, acc_p.movedim(1, 0).reshape(k, -1) / n_samples)
            mean_fg = acc_fg / n_samples
            var_w = (acc_fg2 / n_samples - mean_fg * mean_fg).clamp(min=0)  # across samples, per window
            sum_var.index_add_(0, flat_idx, var_w.reshape(-1))
            count.index_add_(0, flat_idx, torch.ones(flat_idx.numel(), dtype=torch.float64))
            if progress is not None:
                progress(len(st))
    for m in models:
        set_mc_dropout(m, False)
    if sum_p is None:  # no window at all (an empty ``within``): everything is background
        sum_p = torch.zeros((2, n_vox), dtype=torch.float64)
    cnt = count.clamp(min=1)
    crop = tuple(slice(b, b + s) for b, s in zip(before, spatial))
    probs = (sum_p / cnt).reshape(-1, *shape)[(slice(None), *crop)].float().numpy()
    probs[0][(count == 0).reshape(shape)[crop].numpy()] = 1.0  # voxels no window covered are background
    return SlidingResult(probs, (sum_var / cnt).reshape(shape)[crop].float().numpy(), n_samples)


def _ready_models(models: Sequence[nn.Module], cfg: WindowConfig, device: torch.device) -> bool:
    """Put the networks in eval mode on ``device`` with MC dropout as configured; whether they run channels-last.

    Channels-last convolutions are ~25 % faster on CPU (oneDNN) for 2D networks; a 2D-input network
    with 3D layers inside (the inflated VGG-16) cannot take that format and stays as it is.
    """
    for m in models:
        m.eval()
        m.to(device)
        set_mc_dropout(m, cfg.mc_passes > 1, cfg.mc_dropout if cfg.mc_passes > 1 else None)
    return int(cfg.window[0]) == 1 and all([_to_channels_last(m) for m in models])


def _window_samples(
    models: Sequence[nn.Module], inp: torch.Tensor, cfg: WindowConfig, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sums over every model, flip and MC pass of one batch of windows: class probabilities
    ``(B, K, P)``, and the foreground probability and its square ``(B, P)`` (float64)."""
    acc_p: torch.Tensor | None = None
    acc_fg: torch.Tensor | None = None
    acc_fg2: torch.Tensor | None = None
    fg = list(cfg.foreground)
    for m in models:
        for flip in (False, True) if cfg.tta_flip else (False,):
            xi = (torch.flip(inp, dims=(-1,)) if flip else inp).to(device)
            for logits in _passes(m, xi, max(1, cfg.mc_passes)):
                out = torch.softmax(logits.float(), dim=1).cpu()
                if flip:
                    out = torch.flip(out, dims=(-1,))
                p = out.reshape(out.shape[0], out.shape[1], -1).double()  # (B, K, P)
                f = p[:, fg].sum(1)
                acc_p = p if acc_p is None else acc_p + p
                acc_fg = f if acc_fg is None else acc_fg + f
                acc_fg2 = f * f if acc_fg2 is None else acc_fg2 + f * f
    assert acc_p is not None and acc_fg is not None and acc_fg2 is not None
    return acc_p, acc_fg, acc_fg2


def _to_channels_last(model: nn.Module) -> bool:
    if any(p.ndim == 5 for p in model.parameters()):
        return False
    model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return True


def _passes(model: nn.Module, x: torch.Tensor, passes: int) -> Iterator[torch.Tensor]:
    """The logits of ``passes`` Monte-Carlo passes; a network with ``forward_mc`` computes its
    deterministic layers once for all passes."""
    fmc = getattr(model, "forward_mc", None)
    if passes > 1 and callable(fmc):
        yield from fmc(x, passes)
    else:
        for _ in range(passes):
            yield model(x)


def entropy(probs: np.ndarray) -> np.ndarray:
    """Predictive entropy of ``(K, …)`` probabilities, normalised to [0, 1] by log K."""
    p = np.clip(probs, 1e-8, 1.0)
    result: np.ndarray = (-(p * np.log(p)).sum(0) / np.log(probs.shape[0])).astype(np.float32)
    return result
