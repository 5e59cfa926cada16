"""Layer types by dimensionality, so one network definition serves 2D and 3D (nnU-Net style)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from strokeseg.errors import ConfigError


@dataclass(frozen=True)
class Ops:
    """The 2D or 3D convolution, transposed convolution, pooling, norm and dropout classes."""

    conv: type[nn.Module]
    conv_t: type[nn.Module]
    pool: type[nn.Module]
    norm: type[nn.Module]
    dropout: type[nn.Module]


def ops(dims: int) -> Ops:
    """The layer classes of ``dims`` (2 or 3)."""
    if dims == 2:
        return Ops(nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.BatchNorm2d, nn.Dropout2d)
    if dims == 3:
        return Ops(nn.Conv3d, nn.ConvTranspose3d, nn.MaxPool3d, nn.BatchNorm3d, nn.Dropout3d)
    raise ConfigError(f"dims must be 2 or 3, got {dims}")


class MCDropout(nn.Module):
    """Voxel-wise dropout that can stay active at prediction time (Monte-Carlo dropout).

    ``mc = True`` keeps it sampling in ``eval()`` mode; the rate can be changed for prediction
    (the CT-2D paper trains with one rate and predicts with 10 %). When no gradient is recorded
    (prediction) the mask is applied in place: the input must be a layer's fresh output, as it is
    in every strokeseg network.
    """

    def __init__(self, p: float, mc_layer: bool = True) -> None:
        super().__init__()
        self.p = float(p)
        self.mc = False
        self.mc_layer = bool(mc_layer)  # only these layers sample at prediction time (and take a new rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p <= 0 or not (self.training or self.mc):
            return x
        # voxel-wise inverted dropout; a uniform draw is ~2× faster on a CPU than bernoulli_ (F.dropout)
        gen = getattr(_MASKS, "generator", None)
        u = torch.rand_like(x) if gen is None else torch.empty_like(x).uniform_(generator=gen)
        if torch.is_grad_enabled():
            return x * (u >= self.p) * (1.0 / (1.0 - self.p))
        return x.masked_fill_(u < self.p, 0.0).mul_(1.0 / (1.0 - self.p))  # prediction: in place, into the layer's fresh output


_MASKS = threading.local()


@contextlib.contextmanager
def dropout_masks_from(generator: torch.Generator) -> Iterator[None]:
    """Inside the block, :class:`MCDropout` layers run by this thread draw their masks from
    ``generator`` instead of torch's global one: a prediction can then seed every batch of windows
    by itself, so its Monte-Carlo draws do not depend on which thread or in which order the
    batches ran."""
    previous = getattr(_MASKS, "generator", None)
    _MASKS.generator = generator
    try:
        yield
    finally:
        _MASKS.generator = previous


def set_mc_dropout(model: nn.Module, active: bool, rate: float | None = None) -> int:
    """Switch Monte-Carlo dropout on/off (optionally with a new rate) in the layers built for it
    (``mc_layer``; e.g. only the deepest resolution steps of the CT-2D network); returns their number."""
    n = 0
    for m in model.modules():
        if isinstance(m, MCDropout) and m.mc_layer:
            m.mc = active
            if rate is not None:
                m.p = float(rate)
            n += 1
    return n


class Initializer(nn.Module):
    """Batch norm over the input channels, then a learned 1×1 convolution to the 3 channels a
    pretrained ImageNet backbone expects (the PSPNet paper's "initializer layer")."""

    def __init__(self, in_channels: int, out_channels: int = 3) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.proj = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.proj(self.norm(x))
        return result


@runtime_checkable
class PretrainedBackbone(Protocol):
    """What a network with ImageNet backbones provides (networks declare it by subclassing).

    ``backbones()`` lists ``(attribute prefix, torchvision architecture)`` pairs a weight file
    can be loaded into; ``backbone_stages()`` lists the backbone's parameter groups from the
    input side up (fine-tuning stages unfreeze the deepest blocks first, then everything).
    """

    def backbones(self) -> list[tuple[str, str]]: ...

    def backbone_stages(self) -> list[list[nn.Parameter]]: ...
