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
* :func:`sumnet` — SUMNet (Nandamuri et al. 2019), the paper's baseline BL3 and the network its proposed
  method adds batch norm to: the same encoder–decoder with skips, but VGG-11 without batch norm
  (torchvision ``vgg11`` keys), ReLU after every convolution, a 1×1 convolution + ReLU to 3 channels before
  the encoder (for any number of inputs), and 32 channels in the last decoder convolution, as the
  authors' public implementation builds it.
* :class:`Discriminator` — five 4×4 convolutions, 32 channels doubling per layer, batch norm
  and leaky ReLU between them; one logit per image (the sigmoid is applied in the loss).
"""

from __future__ import annotations

import torch
from torch import nn

from strokeseg.models.backbones import VGGFeatures
from strokeseg.models.layers import Initializer, PretrainedBackbone


def _conv_bn(cin: int, cout: int, bn: bool = True) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1), *([nn.BatchNorm2d(cout)] if bn else []), nn.ReLU(inplace=True)]


class _PreConv(nn.Module):
    """SUMNet's input layer: a 1×1 convolution to 3 channels, then ReLU."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = nn.functional.relu(self.proj(x))
        return result


class SegNetVGG11(nn.Module, PretrainedBackbone):
    """SegNet with a VGG-11 encoder and pooling-index decoder, as in the adversarial SegNet paper.

    ``batch_norm``: after every convolution (the paper's networks; SUMNet has none); ``last_width``: the
    channels of the last decoder convolution (default: the first block's); ``preconv``: SUMNet's 1×1
    convolution + ReLU to 3 channels instead of the batch-norm initializer. Input ``(B, C, H, W)`` with H and W
    divisible by 32 for exact unpooling (others are unpooled to the recorded sizes); output ``(B, classes, H, W)``.
    """

    encoder: VGGFeatures

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 3,
        skip_concat: bool = True,
        width_div: int = 1,
        batch_norm: bool = True,
        last_width: int | None = None,
        preconv: bool = False,
    ) -> None:
        super().__init__()
        self.init: nn.Module = _PreConv(in_channels) if preconv else Initializer(in_channels) if in_channels != 3 else nn.Identity()
        self.encoder = VGGFeatures("vgg11", batch_norm=batch_norm, width_div=width_div)
        self.skip_concat = skip_concat
        ch = self.encoder.out_channels  # per block
        feats = list(self.encoder.features)
        n_convs = [sum(isinstance(m, nn.Conv2d) for m in feats[a:b]) for a, b in self.encoder.stage_slices()]
        outs = [last_width or ch[0], *ch[:-1]]  # each decoder block ends with the channels of the block above
        self.decoder = nn.ModuleList()
        for lvl in reversed(range(5)):
            cin = ch[lvl] * (2 if skip_concat else 1)
            layers: list[nn.Module] = []
            for i in range(n_convs[lvl]):
                cout = outs[lvl] if i == n_convs[lvl] - 1 else ch[lvl]
                layers += _conv_bn(cin, cout, batch_norm)
                cin = cout
            self.decoder.append(nn.Sequential(*layers))
        self.head = nn.Conv2d(outs[0], num_classes, 1)

    def backbones(self) -> list[tuple[str, str]]:
        return [("encoder.", self.encoder.arch)]

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


def sumnet(in_channels: int = 3, num_classes: int = 3, width_div: int = 1) -> SegNetVGG11:
    """SUMNet (module docstring): VGG-11 without batch norm, pooling indices and skips, pre-convolution, 32 last channels."""
    return SegNetVGG11(in_channels, num_classes, True, width_div, batch_norm=False, last_width=max(32 // width_div, 4), preconv=True)


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
