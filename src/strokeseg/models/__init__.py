"""Networks (one file per architecture) and the registry recipes name them through."""

from strokeseg.models.registry import NETWORKS, build_network

__all__ = ["NETWORKS", "build_network"]
