"""Losses by name (recipes name them as data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.losses.segmentation import (
    CrossEntropy,
    FocalLoss,
    FocalTversky,
    GDLCrossEntropy,
    empirical_class_weights,
)

LOSSES: dict[str, Callable[..., nn.Module]] = {
    "focal": FocalLoss,
    "gdl+ce": GDLCrossEntropy,
    "ce": CrossEntropy,
    "weighted-ce": CrossEntropy,
    "focal-tversky": FocalTversky,
}


def build_loss(name: str, class_frequencies: list[float] | None = None, **kwargs: Any) -> nn.Module:
    """The loss ``name``; ``weight: empirical`` becomes inverse class-frequency weights of the training set."""
    if kwargs.get("weight") == "empirical":
        if class_frequencies is None:
            raise ConfigError(f"loss {name!r}: weight 'empirical' needs the training set's class frequencies")
        kwargs["weight"] = empirical_class_weights(class_frequencies)
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; available: {', '.join(sorted(LOSSES))}")
    try:
        return LOSSES[name](**kwargs)
    except TypeError as exc:
        raise ConfigError(f"loss {name!r}: {exc}") from None


__all__ = ["LOSSES", "CrossEntropy", "FocalLoss", "FocalTversky", "GDLCrossEntropy", "build_loss", "empirical_class_weights"]
