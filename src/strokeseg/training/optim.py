"""Optimisers by name: Adadelta (both Clèrigues papers), Adam, RMSProp, SGD."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from strokeseg.errors import ConfigError

OPTIMIZERS = {"adadelta": torch.optim.Adadelta, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop, "sgd": torch.optim.SGD}


def build_optimizer(name: str, params: Iterable[torch.nn.Parameter], **kwargs: Any) -> torch.optim.Optimizer:
    if name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; available: {', '.join(sorted(OPTIMIZERS))}")
    try:
        return OPTIMIZERS[name](params, **kwargs)
    except TypeError as exc:
        raise ConfigError(f"optimizer {name!r}: {exc}") from None
