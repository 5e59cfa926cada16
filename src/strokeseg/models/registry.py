"""Networks by name, so that a recipe names its network as data (name + keyword arguments)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.util.registry import build_from


def networks() -> dict[str, Callable[..., nn.Module]]:
    """Every network a recipe can name, by registry name (the same table style as losses and optimisers)."""
    from strokeseg.models.asym_resunet import AsymResUNet
    from strokeseg.models.fusion import EarlyFusionVGG16, InflatedFusionVGG16, SlowFusionVGG16
    from strokeseg.models.pspnet import PSPNet
    from strokeseg.models.segnet import SegNetVGG11, sumnet
    from strokeseg.models.unets import UNet3D, VNet, unet, unet_original

    return {
        "asym-resunet": AsymResUNet,
        "segnet-vgg11": SegNetVGG11,
        "sumnet": sumnet,
        "pspnet": PSPNet,
        "unet": unet,
        "unet-original": unet_original,
        "unet-3d": UNet3D,
        "vnet": VNet,
        "slow-fusion-vgg16": SlowFusionVGG16,
        "early-fusion-vgg16": EarlyFusionVGG16,
        "inflated-fusion-vgg16": InflatedFusionVGG16,
    }


def build_network(name: str, **kwargs: Any) -> nn.Module:
    """The network ``name`` built with the recipe's keyword arguments; an unknown name is a :class:`ConfigError`."""
    net: nn.Module = build_from("network", networks(), name, **kwargs)
    return net


#: what a bundle and its CV report say first when a paper's pretrained backbone started from random weights
RANDOM_INIT_NOTE = "random initialisation: not the paper's method (no 'pretrained' weight file for the backbone)"


def apply_pretrained(model: nn.Module, path: str | Path | None) -> dict[str, Any]:
    """Load a torchvision ImageNet weight file into every backbone of ``model``.

    Returns what was done (for the bundle and the report); without a path the weights stay
    randomly initialised and the returned record says so.
    """
    from strokeseg.models.backbones import load_pretrained, read_state_dict
    from strokeseg.models.layers import PretrainedBackbone

    if path is None:
        return {"pretrained": False, "note": RANDOM_INIT_NOTE}
    if not isinstance(model, PretrainedBackbone):
        raise ConfigError(f"{path}: this network has no ImageNet backbone to load pretrained weights into")
    sd = read_state_dict(path)  # read once, loaded into every backbone (one per map for slow fusion)
    loader = getattr(model, "load_backbone", None)
    if callable(loader):
        ignored = loader(path, sd)["ignored"]
    else:
        for prefix, _arch in model.backbones():
            ignored = load_pretrained(model, path, prefix, sd)["ignored"]
    return {"pretrained": True, "file": str(path), "backbones": [b for _, b in model.backbones()], "ignored_keys": len(ignored)}
