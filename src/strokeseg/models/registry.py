"""Networks by name, so that a recipe names its network as data (name + keyword arguments)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from strokeseg.errors import ConfigError

NETWORKS: dict[str, Callable[..., nn.Module]] = {}


def register(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    def deco(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        NETWORKS[name] = fn
        return fn

    return deco


def build_network(name: str, **kwargs: Any) -> nn.Module:
    _load_all()
    if name not in NETWORKS:
        raise ConfigError(f"unknown network {name!r}; available: {', '.join(sorted(NETWORKS))}")
    try:
        return NETWORKS[name](**kwargs)
    except TypeError as exc:
        raise ConfigError(f"network {name!r}: {exc}") from None


def _load_all() -> None:
    from strokeseg.models.asym_resunet import AsymResUNet

    NETWORKS.setdefault("asym-resunet", AsymResUNet)
