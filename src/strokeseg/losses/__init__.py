"""Losses by name (recipes name them as data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.losses.segmentation import CrossEntropy, FocalLoss, GDLCrossEntropy

LOSSES: dict[str, Callable[..., nn.Module]] = {
    "focal": FocalLoss,
    "gdl+ce": GDLCrossEntropy,
    "ce": CrossEntropy,
    "weighted-ce": CrossEntropy,
}


def build_loss(name: str, **kwargs: Any) -> nn.Module:
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; available: {', '.join(sorted(LOSSES))}")
    try:
        return LOSSES[name](**kwargs)
    except TypeError as exc:
        raise ConfigError(f"loss {name!r}: {exc}") from None


__all__ = ["LOSSES", "CrossEntropy", "FocalLoss", "GDLCrossEntropy", "build_loss"]
