"""PSPNet with an initializer layer, for core from CT perfusion (ISLES'18: CT, CBF, CBV, MTT, Tmax).

* **Initializer layer:** batch norm over the input channels and a learned 1×1 convolution to
  3 channels, so a 3-channel ImageNet backbone can be used with 5 (or 10) perfusion channels.
* **Backbone:** ResNet-50 (or -101) with torchvision's keys (under ``backbone.``), layers 3 and 4
  dilated (output stride 8) as in PSPNet; ``deep_stem`` gives the PSPNet authors' three-convolution stem.
* **Pyramid pooling module:** adaptive average pooling to 1×1, 2×2, 3×3 and 6×6 bins, a 1×1
  convolution (+BN, ReLU) to ``C/4`` channels each, bilinear upsampling to the feature size,
  concatenation with the backbone features, then a 3×3 convolution, dropout 0.1 and a 1×1
  classifier; the scores are upsampled bilinearly to the input size.

**Pretrained weights** (``--pretrained``): a torchvision ImageNet ResNet file loads into the backbone; a whole
PSPNet checkpoint in its authors' published format (hszhao/semseg: ``layer0``–``layer4``, ``ppm.features``,
``cls``, an unused ``aux`` head, optionally under ``module.`` and ``state_dict``), such as their Pascal VOC 2012
PSPNet, loads into the backbone, the pyramid pooling and the head (:meth:`PSPNet.load_backbone`), as the ISLES'18
PSPNet paper fine-tuned: only the new initializer layer and the class layer (21 VOC classes there, 2 here) start
random. Such a file needs ``deep_stem`` and the file's depth; what does not fit is refused, naming the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from strokeseg.errors import ConfigError
from strokeseg.models.backbones import ResNet, load_pretrained
from strokeseg.models.layers import Initializer, PretrainedBackbone

#: the semseg PSPNet's ``layer0`` (conv1, bn1, relu, conv2, bn2, relu, conv3, bn3, relu, maxpool) → the deep stem
_SEMSEG_STEM = {
    "layer0.0.": "conv1.",
    "layer0.1.": "bn1.",
    "layer0.3.": "conv2.",
    "layer0.4.": "bn2.",
    "layer0.6.": "conv3.",
    "layer0.7.": "bn3.",
}


def _semseg_key(k: str) -> str | None:
    """Our name of a semseg PSPNet key (``layer0.3.weight`` → ``backbone.conv2.weight``); None for its auxiliary head."""
    for old, new in _SEMSEG_STEM.items():
        if k.startswith(old):
            return "backbone." + new + k[len(old) :]
    if k.startswith(("layer1.", "layer2.", "layer3.", "layer4.")):
        return "backbone." + k
    if k.startswith("ppm.features."):
        return "ppm.stages." + k[len("ppm.features.") :]
    if k.startswith("cls."):
        return "head." + k[len("cls.") :]
    return None


class PyramidPooling(nn.Module):
    """PSPNet's pyramid pooling module: pooled context at several bin sizes, upsampled and concatenated."""

    def __init__(self, cin: int, bins: Sequence[int] = (1, 2, 3, 6)) -> None:
        super().__init__()
        red = cin // len(bins)
        self.bins = tuple(bins)
        self.stages = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(cin, red, 1, bias=False), nn.BatchNorm2d(red), nn.ReLU(inplace=True))
            for b in self.bins
        )
        self.out_channels = cin + red * len(self.bins)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        return torch.cat([x] + [F.interpolate(s(x), size=size, mode="bilinear", align_corners=False) for s in self.stages], 1)


class PSPNet(nn.Module, PretrainedBackbone):
    """PSPNet with a ResNet-50 backbone and an initializer layer mapping the input maps to three channels (ISLES'18 PSPNet paper)."""

    def __init__(
        self,
        in_channels: int = 5,
        num_classes: int = 2,
        bins: Sequence[int] = (1, 2, 3, 6),
        width_div: int = 1,
        dropout: float = 0.1,
        depth: int = 50,
        deep_stem: bool = False,
    ) -> None:
        super().__init__()
        self.init = Initializer(in_channels)
        self.backbone = ResNet((False, True, True), width_div=width_div, depth=depth, deep_stem=deep_stem)
        self.depth, self.whole_network_pretrained = depth, False
        c = self.backbone.out_channels
        self.ppm = PyramidPooling(c, bins)
        mid = max(512 // width_div, 8)
        self.head = nn.Sequential(
            nn.Conv2d(self.ppm.out_channels, mid, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Dropout2d(dropout),
            nn.Conv2d(mid, num_classes, 1),
        )

    def backbones(self) -> list[tuple[str, str]]:
        return [("backbone.", f"resnet{self.depth}")]

    def backbone_stages(self) -> list[list[nn.Parameter]]:
        """The pretrained parameter groups, input side first: the backbone's four stages and, once a whole PSPNet
        was loaded, its pyramid pooling and head (all but the new class layer) as the deepest group."""
        b = self.backbone
        stem = [p for m in b.stem() for p in m.parameters()]
        stages = [stem + list(b.layer1.parameters()), list(b.layer2.parameters()), list(b.layer3.parameters()), list(b.layer4.parameters())]
        if self.whole_network_pretrained:
            stages.append([*self.ppm.parameters(), *self.head[0].parameters(), *self.head[1].parameters()])
        return stages

    def load_backbone(self, path: str | Path, sd: dict[str, torch.Tensor] | None = None) -> dict[str, list[str]]:
        """Load a torchvision ResNet file into the backbone, or a whole semseg-format PSPNet checkpoint into the
        backbone, the pyramid pooling and the head (the class layer only where its shape fits)."""
        from strokeseg.models.backbones import read_state_dict

        sd = read_state_dict(path) if sd is None else sd
        sd = {k.removeprefix("module."): v for k, v in sd.items()}
        if not any(k.startswith(("ppm.features.", "layer0.")) for k in sd):
            return load_pretrained(self, path, "backbone.", sd)
        if not self.backbone.deep_stem:
            raise ConfigError(f"{path}: a whole PSPNet checkpoint (semseg format) needs network.kwargs.deep_stem=true")
        names = {k: _semseg_key(k) for k in sd}
        mapped = {new: sd[k] for k, new in names.items() if new is not None}
        own = self.state_dict()
        cls = "head.4."
        if any(tuple(mapped.get(k, torch.empty(0)).shape) != tuple(own[k].shape) for k in own if k.startswith(cls)):
            mapped = {k: v for k, v in mapped.items() if not k.startswith(cls)}  # 21 VOC classes: the class layer starts new
        wanted = [k for k in own if k.startswith(("backbone.", "ppm.", "head.0.", "head.1.")) and not k.endswith("num_batches_tracked")]
        for k in wanted:
            if k not in mapped:
                raise ConfigError(f"{path}: missing key for {k!r} (a PSPNet of depth {self.depth}?)")
            if tuple(mapped[k].shape) != tuple(own[k].shape):
                raise ConfigError(f"{path}: key for {k!r} has shape {tuple(mapped[k].shape)}, this network needs {tuple(own[k].shape)}")
        load = {k: v.to(own[k].dtype) for k, v in mapped.items() if k in own}
        self.load_state_dict(load, strict=False)
        self.whole_network_pretrained = True
        ignored = sorted(k for k, new in names.items() if new not in load)
        return {"loaded": sorted(load), "adapted_input": [], "ignored": ignored}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        f = self.backbone(self.init(x))
        return F.interpolate(self.head(self.ppm(f)), size=size, mode="bilinear", align_corners=False)
