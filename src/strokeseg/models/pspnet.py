"""PSPNet with an initializer layer, for core from CT perfusion (ISLES'18: CT, CBF, CBV, MTT, Tmax).

* **Initializer layer:** batch norm over the input channels and a learned 1×1 convolution to
  3 channels, so a 3-channel ImageNet backbone can be used with 5 (or 10) perfusion channels.
* **Backbone:** ResNet-50 with torchvision's keys (under ``backbone.``), layers 3 and 4 dilated
  (output stride 8) as in PSPNet.
* **Pyramid pooling module:** adaptive average pooling to 1×1, 2×2, 3×3 and 6×6 bins, a 1×1
  convolution (+BN, ReLU) to ``C/4`` channels each, bilinear upsampling to the feature size,
  concatenation with the backbone features, then a 3×3 convolution, dropout 0.1 and a 1×1
  classifier; the scores are upsampled bilinearly to the input size.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from strokeseg.models.backbones import ResNet50
from strokeseg.models.layers import Initializer, PretrainedBackbone


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
        self, in_channels: int = 5, num_classes: int = 2, bins: Sequence[int] = (1, 2, 3, 6), width_div: int = 1, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.init = Initializer(in_channels)
        self.backbone = ResNet50((False, True, True), width_div=width_div)
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
        return [("backbone.", "resnet50")]

    def backbone_stages(self) -> list[list[nn.Parameter]]:
        b = self.backbone
        stem = [*b.conv1.parameters(), *b.bn1.parameters()]
        return [stem + list(b.layer1.parameters()), list(b.layer2.parameters()), list(b.layer3.parameters()), list(b.layer4.parameters())]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        f = self.backbone(self.init(x))
        return F.interpolate(self.head(self.ppm(f)), size=size, mode="bilinear", align_corners=False)
