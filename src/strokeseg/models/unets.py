"""The PSPNet paper's comparators: 2D U-Net, 3D U-Net with (2×2×1) pooling, and V-Net with (2×2×1) down/up-convolutions.

Tensors are ``(B, C, Z, Y, X)``, so the paper's (2×2×1) in x, y, z is ``(1, 2, 2)`` here.

* :func:`unet_original` — the 2D U-Net "as described in" Ronneberger et al. 2015, the paper's 2D comparator:
  two 3×3 convolutions with ReLU per level, 2×2 max pooling, 2×2 transposed-convolution upsampling,
  concatenated skips, 64–1024 channels, no normalisation (MONAI's ``BasicUNet``; "same" padding where the
  original cropped).
* :class:`UNet3D` — the 3D U-Net of Çiçek et al. 2016, the base the paper modified: per level two 3×3×3
  convolutions (the first to half the level's width), batch norm before each ReLU, max pooling; per
  decoder level a transposed convolution that keeps the channels, the skip concatenated, two 3×3×3
  convolutions; a 1×1×1 convolution to the classes. The paper's change: pooling and upsampling of
  (2×2×1). Its convolution stacks are ``dynamic_network_architectures``' ``StackedConvBlocks`` (nnU-Net's).
  With 3 inputs and 3 classes it has Çiçek's 19 069 955 parameters, batch-norm scales aside.
* :func:`unet` — MONAI's ``UNet`` (strided convolutions, no pooling), kept for 2D/3D experiments.
* :class:`VNet` — Milletari et al. 2016, built here because MONAI's ``VNet`` hard-codes 2×2×2 sampling:
  residual stages of 1, 2, 3, 3 convolutions and a bottom stage of 3, 5×5×5 kernels and PReLU,
  downsampling by strided convolutions that double the channels; per decoder stage a transposed
  convolution to half the channels, the skip concatenated, and a residual stage at the concatenated
  width (3, 3, 2, 1 convolutions); a 1×1×1 convolution to the classes. The paper's changes: a 3×3×3
  input stage with unit padding, and (2×2×1) down/up-convolutions. Milletari's input stage adds its
  one-channel input to all 16 channels; with several channels a 1×1×1 convolution does that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

_POOL = (1, 2, 2)


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
    """MONAI's 2D or 3D ``UNet`` (strided convolutions): not a paper's comparator since :class:`UNet3D`."""
    from monai.networks.nets import UNet

    if strides is None:
        strides = [2] * (len(channels) - 1) if dims == 2 else [(1, 2, 2)] * (len(channels) - 1)
    st: list[Any] = [tuple(s) if isinstance(s, (list, tuple)) else s for s in strides]
    return UNet(dims, in_channels, num_classes, channels=tuple(channels), strides=tuple(st), num_res_units=num_res_units, dropout=dropout)


def _triple(v: int | Sequence[int]) -> tuple[int, int, int]:
    t = (int(v), int(v), int(v)) if isinstance(v, int) else tuple(int(x) for x in v)
    if len(t) != 3:
        raise ValueError(f"a 3D size needs 3 values, not {list(t)}")
    return (t[0], t[1], t[2])


class UNet3D(nn.Module):
    """Çiçek's 3D U-Net (module docstring); ``channels`` per level (the output of its second convolution),
    ``pool`` the (Z, Y, X) pooling and upsampling factor between levels.

    Input ``(B, in_channels, Z, Y, X)`` with Y and X divisible by 2**(levels − 1) (Z by the pool's Z power);
    output ``(B, num_classes, Z, Y, X)`` logits.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        channels: Sequence[int] = (64, 128, 256, 512),
        pool: int | Sequence[int] = _POOL,
        dropout: float = 0.0,
    ) -> None:
        from dynamic_network_architectures.building_blocks.simple_conv_blocks import StackedConvBlocks

        super().__init__()
        ch = [int(c) for c in channels]
        self.pool = _triple(pool)
        bn = {"eps": 1e-5, "affine": True}

        def stack(cin: int, widths: list[int]) -> nn.Module:
            blocks: nn.Module = StackedConvBlocks(
                len(widths), nn.Conv3d, cin, widths, 3, 1, True, nn.BatchNorm3d, bn, None, None, nn.ReLU, {"inplace": True}
            )
            return blocks

        self.enc = nn.ModuleList([stack(in_channels if i == 0 else ch[i - 1], [c // 2, c]) for i, c in enumerate(ch)])
        self.up = nn.ModuleList([nn.ConvTranspose3d(c, c, self.pool, stride=self.pool, bias=False) for c in ch[:0:-1]])
        self.dec = nn.ModuleList([stack(ch[i + 1] + ch[i], [ch[i], ch[i]]) for i in reversed(range(len(ch) - 1))])
        self.drop = nn.Dropout3d(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Conv3d(ch[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, enc in enumerate(self.enc):
            if i:
                x = nn.functional.max_pool3d(x, self.pool, self.pool)
            x = enc(x)
            skips.append(x)
        x = self.drop(skips.pop())
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([up(x), skips.pop()], 1))
        result: torch.Tensor = self.head(x)
        return result


class _Stage(nn.Module):
    """``n_convs`` convolutions (``kernel``, "same" padding; batch norm if ``norm``; PReLU) plus the stage's input."""

    def __init__(self, cin: int, cout: int, n_convs: int, kernel: int = 5, norm: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = cin
        for _ in range(n_convs):
            layers += [nn.Conv3d(c, cout, kernel, padding=kernel // 2), nn.BatchNorm3d(cout) if norm else nn.Identity(), nn.PReLU(cout)]
            c = cout
        self.body = nn.Sequential(*layers)
        self.skip = nn.Identity() if cin == cout else nn.Conv3d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.body(x) + self.skip(x)
        return result


class VNet(nn.Module):
    """Milletari's V-Net with the PSPNet paper's changes (module docstring).

    ``base`` channels at full resolution, doubling per level; ``convs`` per encoder stage (the bottom stage
    repeats the last); ``kernels``: the input stage's cubic kernel, then every other stage's; ``down`` the
    (Z, Y, X) down/up-convolution kernel and stride; ``norm`` adds batch norm after each convolution (Milletari
    names none). Input ``(B, C, Z, Y, X)``; output ``(B, num_classes, Z, Y, X)`` logits.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        base: int = 16,
        convs: Sequence[int] = (1, 2, 3, 3),
        down: int | Sequence[int] = _POOL,
        kernels: Sequence[int] = (3, 5),
        norm: bool = False,
    ) -> None:
        super().__init__()
        n = len(convs)
        ch = [base * 2**i for i in range(n + 1)]
        d = _triple(down)
        kernel = int(kernels[1])
        kern = [int(kernels[0]), *[kernel] * (n - 1)]
        self.enc = nn.ModuleList([_Stage(in_channels if i == 0 else ch[i], ch[i], convs[i], kern[i], norm) for i in range(n)])
        self.down = nn.ModuleList([nn.Sequential(nn.Conv3d(ch[i], ch[i + 1], d, stride=d), nn.PReLU(ch[i + 1])) for i in range(n)])
        self.bottom = _Stage(ch[n], ch[n], convs[-1], kernel, norm)
        # decoder stage i works at 2·ch[i] (half up-convolved, half skip); its input comes from ch[n] or 2·ch[i+1]
        up_in = [ch[n], *[2 * ch[i + 1] for i in reversed(range(n - 1))]]
        levels = list(reversed(range(n)))
        self.up = nn.ModuleList([nn.Sequential(nn.ConvTranspose3d(c, ch[i], d, stride=d), nn.PReLU(ch[i])) for c, i in zip(up_in, levels)])
        self.dec = nn.ModuleList([_Stage(2 * ch[i], 2 * ch[i], convs[i], kernel, norm) for i in levels])
        self.head = nn.Conv3d(2 * ch[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for enc, down in zip(self.enc, self.down):
            x = enc(x)
            skips.append(x)
            x = down(x)
        x = self.bottom(x)
        for up, dec, s in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), s], 1))
        result: torch.Tensor = self.head(x)
        return result
