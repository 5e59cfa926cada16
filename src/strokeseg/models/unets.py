"""The PSPNet paper's comparators: 2D U-Net, 3D U-Net with (2×2×1) down/up-sampling, and V-Net.

* :func:`unet_original` — the 2D U-Net "as described in" Ronneberger et al. 2015, the paper's 2D comparator:
  two 3×3 convolutions with ReLU per level, 2×2 max pooling, 2×2 transposed-convolution upsampling,
  concatenated skips, 64–1024 channels, no normalisation (MONAI's ``BasicUNet``; "same" padding where the
  original cropped).
* :func:`unet` — MONAI's ``UNet`` (it accepts per-axis strides, so the 3D variant downsamples
  in-plane only: 2-slice ISLES'18 slabs work). Tensors are ``(B, C, Z, Y, X)``, so the
  paper's (2×2×1) is ``(1, 2, 2)`` here. MONAI downsamples with strided convolutions.
* :class:`VNet` — built here because MONAI's ``VNet`` hard-codes 2×2×2 downsampling and
  5×5×5 kernels: residual stages of 1, 2, 3, 3 convolutions (PReLU), 3×3×3 kernels (the
  paper's choice), downsampling by (1, 2, 2)-strided convolutions that double the channels,
  transposed-convolution upsampling and concatenated skips, as in Milletari et al. 2016.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


def unet_original(
    in_channels: int, num_classes: int, channels: Sequence[int] = (64, 128, 256, 512, 1024), dropout: float = 0.0
) -> nn.Module:
    """Ronneberger's 2D U-Net (:func:`unet_original` in the module docstring); ``channels`` per level, five levels."""
    from monai.networks.nets import BasicUNet

    if len(channels) != 5:
        raise ValueError(f"the original U-Net has five levels: channels needs 5 widths, not {list(channels)}")
    feats = (*(int(c) for c in channels), int(channels[0]))
    no_norm: Any = None  # MONAI's ADN takes None (no normalisation); its annotation does not say so
    return BasicUNet(
        2, in_channels, num_classes, features=feats, act=("relu", {"inplace": True}), norm=no_norm, dropout=dropout, upsample="deconv"
    )


def unet(
    in_channels: int,
    num_classes: int,
    dims: int = 2,
    channels: Sequence[int] = (64, 128, 256, 512, 1024),
    strides: Sequence[int | Sequence[int]] | None = None,
    num_res_units: int = 0,
    dropout: float = 0.0,
) -> nn.Module:
    """The 2D or 3D U-Net comparator of the PSPNet paper (MONAI's BasicUNet channels)."""
    from monai.networks.nets import UNet

    if strides is None:
        strides = [2] * (len(channels) - 1) if dims == 2 else [(1, 2, 2)] * (len(channels) - 1)
    st: list[Any] = [tuple(s) if isinstance(s, (list, tuple)) else s for s in strides]
    return UNet(dims, in_channels, num_classes, channels=tuple(channels), strides=tuple(st), num_res_units=num_res_units, dropout=dropout)


class _Stage(nn.Module):
    def __init__(self, cin: int, cout: int, n_convs: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = cin
        for _ in range(n_convs):
            layers += [nn.Conv3d(c, cout, 3, padding=1), nn.BatchNorm3d(cout), nn.PReLU(cout)]
            c = cout
        self.body = nn.Sequential(*layers)
        self.skip = nn.Identity() if cin == cout else nn.Conv3d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.body(x) + self.skip(x)
        return result


class VNet(nn.Module):
    """The V-Net comparator of the PSPNet paper (residual 3D stages, PReLU)."""

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        base: int = 16,
        convs: Sequence[int] = (1, 2, 3, 3),
        down: Sequence[int] = (1, 2, 2),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        n = len(convs)
        ch = [base * 2**i for i in range(n + 1)]
        d = (int(down[0]), int(down[1]), int(down[2]))
        self.enc = nn.ModuleList([_Stage(in_channels if i == 0 else ch[i], ch[i], convs[i]) for i in range(n)])
        self.down = nn.ModuleList([nn.Sequential(nn.Conv3d(ch[i], ch[i + 1], d, stride=d), nn.PReLU(ch[i + 1])) for i in range(n)])
        self.bottom = _Stage(ch[n], ch[n], convs[-1])
        self.drop = nn.Dropout3d(dropout) if dropout > 0 else nn.Identity()
        self.up = nn.ModuleList(
            [nn.Sequential(nn.ConvTranspose3d(ch[i + 1], ch[i], d, stride=d), nn.PReLU(ch[i])) for i in reversed(range(n))]
        )
        self.dec = nn.ModuleList([_Stage(2 * ch[i], ch[i], convs[i]) for i in reversed(range(n))])
        self.head = nn.Conv3d(ch[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for enc, down in zip(self.enc, self.down):
            x = enc(x)
            skips.append(x)
            x = down(x)
        x = self.drop(self.bottom(x))
        for up, dec, s in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), s], 1))
        result: torch.Tensor = self.head(x)
        return result
