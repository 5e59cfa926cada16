"""Losses by name (recipes name them as data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.losses.segmentation import CrossEntropy, FocalLoss, FocalTversky, GDLCrossEntropy, empirical_class_weights
from strokeseg.util.registry import build_from

LOSSES: dict[str, Callable[..., nn.Module]] = {
    "focal": FocalLoss,
    "gdl+ce": GDLCrossEntropy,
    "ce": CrossEntropy,
    "weighted-ce": CrossEntropy,
    "focal-tversky": FocalTversky,
}


def compute_loss(loss_fn: nn.Module, logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The loss, with the per-sample lesion weights ``w`` ``(N,)`` where any differs from 1 (recipe.train.group_penalty)."""
    if bool((w != 1).any()):
        result: torch.Tensor = loss_fn(logits, y, w)
        return result
    result = loss_fn(logits, y)
    return result


def build_loss(name: str, class_frequencies: list[float] | None = None, **kwargs: Any) -> nn.Module:
    """The loss ``name``; ``weight: empirical`` becomes inverse class-frequency weights of the training set."""
    if kwargs.get("weight") == "empirical":
        if class_frequencies is None:
            raise ConfigError(f"loss {name!r}: weight 'empirical' needs the training set's class frequencies")
        kwargs["weight"] = empirical_class_weights(class_frequencies)
    module: nn.Module = build_from("loss", LOSSES, name, **kwargs)
    return module


__all__ = [
    "LOSSES",
    "CrossEntropy",
    "FocalLoss",
    "FocalTversky",
    "GDLCrossEntropy",
    "build_loss",
    "compute_loss",
    "empirical_class_weights",
]
