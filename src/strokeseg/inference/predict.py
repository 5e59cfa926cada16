"""Whole-case prediction with a model bundle: ensemble of fold models, MC-dropout, TTA,
post-processing, canonical labels and volumes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from strokeseg.inference.config import WindowConfig
from strokeseg.inference.sliding_window import sliding_window_predict
from strokeseg.io.labels import CORE, PENUMBRA, Target
from strokeseg.postprocess.components import binarize
from strokeseg.preprocessing.normalization import Normalizer
from strokeseg.preprocessing.prepare import PreparedCase


def foreground_classes(num_classes: int) -> tuple[int, ...]:
    """Classes whose summed probability is the lesion probability: (1,) for binary models, else 1…K−1."""
    return (1,) if num_classes == 2 else tuple(range(1, num_classes))


def predict_probs(
    case: PreparedCase,
    models: list[tuple[torch.nn.Module, Normalizer]],
    cfg: WindowConfig,
    device: torch.device | str = "cpu",
    progress: Callable[[int], None] | None = None,
    brain_only: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean class probabilities ``(K, Z, Y, X)`` over the models (each whitening ``case.x`` with its
    own statistics) and the total variance ``(Z, Y, X)`` of the lesion probability (the law of total
    variance: the mean within-model variance plus the variance between the models' means).

    With ``brain_only``, windows wholly outside ``case.brain`` are skipped and every voxel outside
    the brain is background with zero variance."""
    probs: np.ndarray | None = None
    var_within: np.ndarray | None = None
    means = []
    for model, norm in models:
        x = norm(case.x, case.brain)
        res = sliding_window_predict(x, [model], cfg, device, progress, within=case.brain if brain_only else None)
        if brain_only:
            outside = ~np.asarray(case.brain, bool)
            res.probs[:, outside] = 0.0
            res.probs[0, outside] = 1.0
            res.variance[outside] = 0.0
        probs = res.probs if probs is None else probs + res.probs
        var_within = res.variance if var_within is None else var_within + res.variance
        means.append(res.probs[list(cfg.foreground)].sum(0))
    assert probs is not None and var_within is not None
    n = len(models)
    mean_fg = np.mean(means, axis=0)
    between = np.mean([(m - mean_fg) ** 2 for m in means], axis=0) if n > 1 else np.zeros_like(mean_fg)
    return probs / n, (var_within / n + between).astype(np.float32)


def labels_from_probs(
    probs: np.ndarray, brain: np.ndarray, threshold: float, min_size: int, target: Target, output_label: int, num_classes: int
) -> np.ndarray:
    """Post-processed canonical labels from class probabilities."""
    fg = probs[list(foreground_classes(num_classes))].sum(0)
    lesion = binarize(fg, threshold, min_size, brain)
    out = np.zeros(lesion.shape, np.uint8)
    if target == Target.THREE_CLASS:
        core = probs[2] >= probs[1]
        out[lesion & ~core] = PENUMBRA
        out[lesion & core] = CORE
    else:
        out[lesion] = output_label
    return out


def labels_argmax(probs: np.ndarray, brain: np.ndarray, target: Target, output_label: int) -> np.ndarray:
    """Canonical labels from each voxel's most probable class (``probs`` ``(K, Z, Y, X)``), inside ``brain``;
    no threshold and no component filter. Three classes: background, penumbra (1), core (2)."""
    arg = np.argmax(probs, axis=0)
    out = np.zeros(arg.shape, np.uint8)
    inside = np.asarray(brain, bool) & (arg > 0)
    if target == Target.THREE_CLASS:
        out[inside & (arg == 1)] = PENUMBRA
        out[inside & (arg == 2)] = CORE
    else:
        out[inside] = output_label
    return out


def volumes(labels: np.ndarray, voxel_ml: float, target: Target = Target.THREE_CLASS, output_label: int = CORE) -> dict[str, float | None]:
    """Region volumes in ml of a canonical label map; a region the model's ``target`` cannot
    produce is ``None`` (a core-only model says nothing about penumbra or hypoperfusion)."""
    core = float((labels == CORE).sum() * voxel_ml)
    pen = float((labels == PENUMBRA).sum() * voxel_ml)
    if target == Target.THREE_CLASS:
        return {"core_ml": core, "penumbra_ml": pen, "hypoperfused_ml": core + pen}
    if target == Target.CORE or (target == Target.LESION and output_label == CORE):
        return {"core_ml": core, "penumbra_ml": None, "hypoperfused_ml": None}
    return {"core_ml": None, "penumbra_ml": None, "hypoperfused_ml": core + pen}  # hypoperfused / lesion as penumbra
