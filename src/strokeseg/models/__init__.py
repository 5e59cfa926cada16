"""Networks (one file per architecture) and the registry recipes name them through."""

from strokeseg.models.registry import build_network, networks

__all__ = ["build_network", "networks"]
