"""VGG-11 encoder–decoder with pooling indices (SegNet / SUMNet) and the patch discriminators of
the adversarial SegNet method (core and penumbra from ISLES'15 SPES MRI).

* :class:`SegNetVGG11` — encoder with VGG-11's layer definitions and batch norm after every
  convolution (torchvision ``vgg11_bn`` keys under ``encoder.``, so ImageNet weights load);
  max-pooling indices are passed to the decoder for unpooling; with ``skip_concat`` (the
  paper's proposed network) the encoder features of the matching level are concatenated
  after unpooling, without it the network is the plain SegNet of the baselines BL1/BL2.
  The decoder mirrors the encoder's convolutions (BN + ReLU); a 1×1 convolution gives the
  class scores. Inputs with another number of channels than 3 go through an initializer
  layer (batch norm + 1×1 convolution to 3 channels) first.
* :class:`Discriminator` — five 4×4 convolutions, 32 channels doubling per layer, batch norm
  and leaky ReLU between them; one logit per image (the sigmoid is applied in the loss).
"""

from __future__ import annotations

import torch
from torch import nn

from strokeseg.models.backbones import VGGFeatures
from strokeseg.models.layers import Initializer, PretrainedBackbone


def _conv_bn(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SegNetVGG11(nn.Module, PretrainedBackbone):
    """SegNet with a VGG-11 (batch-norm) encoder and pooling-index decoder, as in the adversarial SegNet paper."""

    encoder: VGGFeatures

    def __init__(self, in_channels: int = 3, num_classes: int = 3, skip_concat: bool = True, width_div: int = 1) -> None:
        super().__init__()
        self.init = Initializer(in_channels) if in_channels != 3 else nn.Identity()
        self.encoder = VGGFeatures("vgg11", batch_norm=True, width_div=width_div)
        self.skip_concat = skip_concat
        ch = self.encoder.out_channels  # per block
        n_convs = [b - a for a, b in self.encoder.stage_slices()]
        n_convs = [n // 3 for n in n_convs]  # conv, bn, relu per convolution
        outs = [ch[0], *ch[:-1]]  # each decoder block ends with the channels of the block above
        self.decoder = nn.ModuleList()
        for lvl in reversed(range(5)):
            cin = ch[lvl] * (2 if skip_concat else 1)
            layers: list[nn.Module] = []
            for i in range(n_convs[lvl]):
                cout = outs[lvl] if i == n_convs[lvl] - 1 else ch[lvl]
                layers += _conv_bn(cin, cout)
                cin = cout
            self.decoder.append(nn.Sequential(*layers))
        self.head = nn.Conv2d(ch[0], num_classes, 1)

    def backbones(self) -> list[tuple[str, str]]:
        return [("encoder.", "vgg11_bn")]

    def backbone_stages(self) -> list[list[nn.Parameter]]:
        return [[p for m in list(self.encoder.features)[a:b] for p in m.parameters()] for a, b in self.encoder.stage_slices()]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.init(x)
        feats, idxs, shapes = [], [], []
        for a, b in self.encoder.stage_slices():
            for m in list(self.encoder.features)[a:b]:
                x = m(x)
            feats.append(x)
            shapes.append(x.shape[-2:])
            x, idx = nn.functional.max_pool2d(x, 2, 2, return_indices=True)
            idxs.append(idx)
        for j, lvl in enumerate(reversed(range(5))):
            x = nn.functional.max_unpool2d(x, idxs[lvl], (2, 2), (2, 2), output_size=list(shapes[lvl]))
            if self.skip_concat:
                x = torch.cat([x, feats[lvl]], 1)
            x = self.decoder[j](x)
        result: torch.Tensor = self.head(x)
        return result


class Discriminator(nn.Module):
    """Five 4×4 convolutions (32, 64, 128, 256 channels, stride 2, then one to a logit map),
    batch norm and leaky ReLU between them; the logit map is averaged to one logit per image."""

    def __init__(self, in_channels: int, base: int = 32, layers: int = 5) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        c = in_channels
        for i in range(layers - 1):
            w = base * 2**i
            mods += [nn.Conv2d(c, w, 4, stride=2, padding=1)]
            if i > 0:
                mods.append(nn.BatchNorm2d(w))
            mods.append(nn.LeakyReLU(0.2, inplace=True))
            c = w
        mods.append(nn.Conv2d(c, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.net(x).mean(dim=(1, 2, 3))
        return result
