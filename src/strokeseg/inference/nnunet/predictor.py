"""``nnUNetPredictor``'s arithmetic, natively: the Gaussian sliding window at step 0.5 with
mirroring, float16 accumulation as nnU-Net does on every device, fold averaging, and the export
(resample the logits, softmax or sigmoid, argmax or ``regions_class_order``, un-crop, un-transpose)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from strokeseg.inference.nnunet.folder import NnUNetModel, build_network, num_outputs
from strokeseg.inference.nnunet.preprocess import Preprocessed, preprocess, resample
from strokeseg.util.memory import keep_freed_memory


@dataclass(frozen=True)
class NnUNetRunConfig:
    """How the sliding window runs (nnU-Net's defaults).

    Attributes:
        step: tile step as a fraction of the patch (0.5).
        mirroring: test-time mirroring over the checkpoint's allowed axes.
        gaussian: Gaussian importance weighting (σ = patch / 8).
        batch_mirrors: run the mirrored copies of a tile as one batch (the same arithmetic per copy,
            so the same result up to the convolution's float rounding; on 2 CPU cores it measured slower
            than one copy at a time, with about four times the memory: ``docs/results/nnunet_inference.md``).
    """

    step: float = 0.5
    mirroring: bool = True
    gaussian: bool = True
    batch_mirrors: bool = False


@dataclass
class NnUNetOutput:
    """Labels ``(Z, Y, X)`` (uint8, or uint16 with ≥ 255 labels) and probabilities ``(K, Z, Y, X)``
    float32 on the input grid: one channel per label (softmax) or per region (sigmoid)."""

    labels: np.ndarray
    probabilities: np.ndarray


@lru_cache(maxsize=4)
def gaussian_weights(patch: tuple[int, ...]) -> torch.Tensor:
    """nnU-Net's ``compute_gaussian``: σ = patch/8, max scaled to 10, float16, zeros replaced by the minimum."""
    tmp = np.zeros(patch)
    tmp[tuple(i // 2 for i in patch)] = 1
    g = gaussian_filter(tmp, [i / 8 for i in patch], 0, mode="constant", cval=0)
    g /= np.max(g) / 10
    t = torch.from_numpy(g).to(dtype=torch.float16)
    zero = t == 0
    t[zero] = torch.min(t[~zero])
    return t


def window_starts(size: tuple[int, ...], patch: tuple[int, ...], step: float) -> list[list[int]]:
    """nnU-Net's ``compute_steps_for_sliding_window``."""
    target = [p * step for p in patch]
    counts = [int(np.ceil((i - k) / j)) + 1 for i, j, k in zip(size, target, patch)]
    out = []
    for dim, n in enumerate(counts):
        largest = size[dim] - patch[dim]
        actual = largest / (n - 1) if n > 1 else 99999999999
        out.append([int(np.round(actual * i)) for i in range(n)])
    return out


def tile_slices(shape: tuple[int, ...], patch: tuple[int, ...], step: float) -> list[tuple]:
    """Every tile's slicer into ``(C, *shape)``; a 2D patch runs slice by slice along axis 0."""
    if len(patch) < len(shape):
        starts = window_starts(shape[1:], patch, step)
        return [
            (slice(None), d, *[slice(s, s + p) for s, p in zip(st, patch)]) for d in range(shape[0]) for st in itertools.product(*starts)
        ]
    starts = window_starts(shape, patch, step)
    return [(slice(None), *[slice(s, s + p) for s, p in zip(st, patch)]) for st in itertools.product(*starts)]


def pad_to(data: torch.Tensor, patch: tuple[int, ...]) -> tuple[torch.Tensor, tuple]:
    """Constant-0 padding to at least the patch, centred, the odd voxel above (acvl ``pad_nd_image``)."""
    spatial = list(data.shape[-len(patch) :])
    new = [max(p, s) for p, s in zip(patch, spatial)]
    below = [(n - s) // 2 for n, s in zip(new, spatial)]
    above = [(n - s) // 2 + (n - s) % 2 for n, s in zip(new, spatial)]
    pads = [v for pair in zip(below[::-1], above[::-1]) for v in pair]
    padded = torch.nn.functional.pad(data, pads, "constant", 0) if any(pads) else data
    lead = [slice(None)] * (data.ndim - len(patch))
    return padded, tuple(lead + [slice(b, b + s) for b, s in zip(below, spatial)])


def _mirror_combinations(axes: tuple[int, ...] | None) -> list[tuple[int, ...]]:
    if not axes:
        return []
    shifted = [a + 2 for a in axes]
    return [c for i in range(len(shifted)) for c in itertools.combinations(shifted, i + 1)]


@torch.inference_mode()
def mirrored_prediction(net: torch.nn.Module, x: torch.Tensor, axes: tuple[int, ...] | None, batch: bool) -> torch.Tensor:
    """``_internal_maybe_mirror_and_predict``: the tile plus every mirrored copy, summed in nnU-Net's
    order and divided by their count. With ``batch``, the copies run as one forward pass."""
    combos = _mirror_combinations(axes)
    if batch and combos:
        xs = torch.cat([x] + [torch.flip(x, c) for c in combos])
        outs = net(xs)
        prediction = outs[:1].clone()
        for i, c in enumerate(combos, start=1):
            prediction += torch.flip(outs[i : i + 1], c)
    else:
        prediction = net(x)
        for c in combos:
            prediction += torch.flip(net(torch.flip(x, c)), c)
    if combos:
        prediction /= len(combos) + 1
    out: torch.Tensor = prediction
    return out


@torch.inference_mode()
def sliding_window_logits(
    net: torch.nn.Module,
    data: torch.Tensor,
    patch: tuple[int, ...],
    n_out: int,
    mirror_axes: tuple[int, ...] | None,
    cfg: NnUNetRunConfig,
    progress: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """``predict_sliding_window_return_logits`` on CPU: float16 logits ``(K, *data.shape[1:])``."""
    padded, unpad = pad_to(data, patch)
    slicers = tile_slices(tuple(padded.shape[1:]), patch, cfg.step)
    logits = torch.zeros((n_out, *padded.shape[1:]), dtype=torch.half)
    counts = torch.zeros(padded.shape[1:], dtype=torch.half)
    weight = gaussian_weights(tuple(patch)) if cfg.gaussian else 1
    axes = mirror_axes if cfg.mirroring else None
    for sl in slicers:
        tile = torch.clone(padded[sl][None], memory_format=torch.contiguous_format)
        pred = mirrored_prediction(net, tile, axes, cfg.batch_mirrors)[0]
        if cfg.gaussian:
            pred *= weight
        logits[sl] += pred
        counts[sl[1:]] += weight
        if progress is not None:
            progress(1)
    torch.div(logits, counts, out=logits)
    if torch.any(torch.isinf(logits)):
        raise RuntimeError("infinite logits in the float16 accumulation (as nnU-Net would report)")
    return logits[(slice(None), *unpad[1:])]


def fold_logits(model: NnUNetModel, data: np.ndarray, cfg: NnUNetRunConfig, progress: Callable[[int], None] | None = None) -> torch.Tensor:
    """``predict_logits_from_preprocessed_data``: the folds' float16 logits summed in fold order and
    divided by the number of folds. Freed tensor memory is kept for reuse
    (:func:`~strokeseg.util.memory.keep_freed_memory`): the same arithmetic, without a page fault per
    fresh layer output (its share of the time: ``benchmarks/bench_nnunet.py``)."""
    keep_freed_memory()
    config = model.config
    net = build_network(config, data.shape[0], num_outputs(model.dataset)).eval()
    x = torch.from_numpy(data).to(dtype=torch.float32, memory_format=torch.contiguous_format)
    patch = tuple(int(p) for p in config["patch_size"])
    total: torch.Tensor | None = None
    for weights in model.weights:
        net.load_state_dict(weights)
        out = sliding_window_logits(net, x, patch, num_outputs(model.dataset), model.mirror_axes, cfg, progress)
        total = out if total is None else total + out
    assert total is not None
    if len(model.weights) > 1:
        total /= len(model.weights)
    return total


def segmentation(model: NnUNetModel, probs: np.ndarray) -> np.ndarray:
    """nnU-Net label values from ``(K, …)`` probabilities: the argmax over classes, or each region
    of ``regions_class_order`` painted where its probability exceeds 0.5, in order
    (``LabelManager.convert_probabilities_to_segmentation``)."""
    if model.has_regions:
        seg = np.zeros(probs.shape[1:], dtype=np.uint16)
        for i, c in enumerate(model.dataset["regions_class_order"]):
            seg[probs[i] > 0.5] = c
        return seg
    best: np.ndarray = probs.argmax(0)
    return best


def export(logits: torch.Tensor, pre: Preprocessed, model: NnUNetModel) -> NnUNetOutput:
    """``convert_predicted_logits_to_segmentation_with_correct_shape`` with probabilities: back to
    the input's (un-transposed, un-cropped) grid."""
    config, plans = model.config, model.plans
    fwd = [int(i) for i in plans.get("transpose_forward", [0, 1, 2])]
    bwd = [int(i) for i in plans.get("transpose_backward", [0, 1, 2])]
    spacing_t = [pre.spacing[i] for i in fwd]
    current = list(config["spacing"])
    if len(current) != len(pre.shape_after_cropping):
        current = [spacing_t[0], *current]
    kwargs = config.get("resampling_fn_probabilities_kwargs", {"order": 1, "order_z": 0, "force_separate_z": None})
    resampled = resample(logits.numpy(), pre.shape_after_cropping, current, spacing_t, kwargs)
    with torch.no_grad():
        t = torch.from_numpy(np.asarray(resampled)).float()
        probs = torch.sigmoid(t) if model.has_regions else torch.softmax(t, 0)
    seg = segmentation(model, probs.numpy())
    n_fg = len(model.dataset["regions_class_order"]) if model.has_regions else len(model.labels) - 1
    labels = np.zeros(pre.shape_before_cropping, dtype=np.uint8 if n_fg < 255 else np.uint16)
    full = torch.zeros((probs.shape[0], *pre.shape_before_cropping), dtype=probs.dtype)
    if not model.has_regions:
        full[0] = 1
    box = tuple(slice(a, b) for a, b in pre.bbox)
    labels[box] = seg
    full[(slice(None), *box)] = probs
    return NnUNetOutput(
        labels=np.ascontiguousarray(labels.transpose(bwd)),
        probabilities=np.ascontiguousarray(full.numpy().transpose([0, *[i + 1 for i in bwd]])),
    )


def predict_nnunet(
    model: NnUNetModel, images: np.ndarray, spacing, cfg: NnUNetRunConfig | None = None, progress: Callable[[int], None] | None = None
) -> NnUNetOutput:
    """Run an nnU-Net v2 model natively on one case.

    ``images`` ``(C, Z, Y, X)`` in ``dataset.json`` channel order, as SimpleITK reads them (the
    arrays of strokeseg volumes); ``spacing`` in mm in the same axis order. Returns labels and
    probabilities on the input grid, equal to ``nnUNetPredictor``'s.
    """
    cfg = cfg or NnUNetRunConfig()
    if images.ndim != 4 or images.shape[0] != len(model.channel_names):
        raise ValueError(f"expected {len(model.channel_names)} channels ({', '.join(model.channel_names)}), got shape {images.shape}")
    pre = preprocess(images, spacing, model.plans, model.config)
    logits = fold_logits(model, pre.data, cfg, progress)
    return export(logits, pre, model)
