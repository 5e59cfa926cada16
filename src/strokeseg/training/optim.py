"""Optimisers by name: Adadelta (both Clèrigues papers), Adam, RMSProp, SGD."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from strokeseg.util.registry import build_from

OPTIMIZERS = {"adadelta": torch.optim.Adadelta, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop, "sgd": torch.optim.SGD}


def build_optimizer(name: str, params: Iterable[torch.nn.Parameter], **kwargs: Any) -> torch.optim.Optimizer:
    """The optimiser ``name`` (adadelta, adam, rmsprop, sgd) over ``params``; an unknown name is a ConfigError."""
    opt: torch.optim.Optimizer = build_from("optimizer", OPTIMIZERS, name, params, **kwargs)
    return opt
