"""ImageNet backbones defined in strokeseg with torchvision's module layout and state_dict keys.

torchvision is not a dependency (its build matching our torch is several GB), but its weight
files are what users have. These classes reproduce torchvision's module trees exactly — VGG
``features.<i>`` (``vgg11``, ``vgg11_bn``, ``vgg16``, ``vgg16_bn``) and ResNet-50 ``conv1``,
``bn1``, ``layer1.0.conv1`` … ``layer4.2.downsample.1`` — so a file saved from
``torchvision.models.vgg16(weights=...).state_dict()`` loads with :func:`load_pretrained`.
The classifier heads (``classifier.*``, ``fc.*``) are not built; their keys are ignored.

ResNet-50 takes ``replace_stride_with_dilation`` like torchvision (PSPNet uses
``(False, True, True)``: output stride 8).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from strokeseg.errors import ConfigError

VGG_CFGS: dict[str, list[int | str]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def he_init(module: nn.Module, mode: Literal["fan_in", "fan_out"] = "fan_out") -> None:
    """torchvision's initialisation of its VGG and ResNet models: He-normal convolutions (ReLU gain),
    zero biases, batch norm at identity. PyTorch's default (He-uniform with a = √5) gives each
    layer a third of the variance He's rule keeps, so a deep plain ReLU stack such as VGG-16
    without batch norm starts with nearly constant outputs and Adam then blows its last layers up."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            nn.init.kaiming_normal_(m.weight, mode=mode, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class VGGFeatures(nn.Module):
    """torchvision's ``VGG.features`` as ``self.features`` (so keys read ``features.<i>.weight``).

    ``width_div`` > 1 divides every width (CPU-sized variants; such a trunk cannot load ImageNet weights).

    ``stages()`` gives the index ranges of the five convolution blocks (each ending before its
    max-pooling), which the segmentation networks use for skip connections.
    """

    features: nn.Sequential
    out_channels: list[int]

    def __init__(self, arch: str = "vgg16", batch_norm: bool = False, in_channels: int = 3, width_div: int = 1) -> None:
        super().__init__()
        if arch not in VGG_CFGS:
            raise ConfigError(f"unknown VGG {arch!r}; available: {', '.join(VGG_CFGS)}")
        layers: list[nn.Module] = []
        c = in_channels
        for v in VGG_CFGS[arch]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                w = max(int(v) // width_div, 4)
                layers.append(nn.Conv2d(c, w, 3, padding=1))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(w))
                layers.append(nn.ReLU(inplace=True))
                c = w
        self.features = nn.Sequential(*layers)
        self.arch = arch + ("_bn" if batch_norm else "")
        self.out_channels = [max(v // width_div, 4) for v in (64, 128, 256, 512, 512)]
        he_init(self)

    def stage_slices(self) -> list[tuple[int, int]]:
        """(start, end) module indices of each block's convolutions; the pool is at ``end``."""
        out, start = [], 0
        for i, m in enumerate(self.features):
            if isinstance(m, nn.MaxPool2d):
                out.append((start, i))
                start = i + 1
        return out

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Features of each block *before* its pooling (5 tensors, strides 1, 2, 4, 8, 16)."""
        feats = []
        for a, b in self.stage_slices():
            for m in list(self.features)[a:b]:
                x = m(x)
            feats.append(x)
            x = nn.functional.max_pool2d(x, 2, 2)
        return feats


class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck (stride on the 3×3 convolution)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None, dilation: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        result: torch.Tensor = self.relu(out + idt)
        return result


class ResNet(nn.Module):
    """torchvision's ``resnet50``/``resnet101`` trunk (no ``avgpool``/``fc``), optionally dilated.

    ``deep_stem`` replaces the 7×7 stem by three 3×3 convolutions (64, 64, 128 channels; ``conv1``–``conv3``,
    ``bn1``–``bn3``), the "deep base" of the PSPNet authors' ResNets (hszhao/semseg), whose Pascal VOC PSPNet
    weights then load. ``width_div`` > 1 divides every width (CPU-sized variants; such a trunk cannot load
    pretrained weights).
    """

    BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}

    def __init__(
        self,
        replace_stride_with_dilation: Sequence[bool] = (False, False, False),
        in_channels: int = 3,
        width_div: int = 1,
        depth: int = 50,
        deep_stem: bool = False,
    ) -> None:
        super().__init__()
        if depth not in self.BLOCKS:
            raise ConfigError(f"ResNet depth must be one of {', '.join(map(str, self.BLOCKS))}, not {depth}")
        self.wd, self.deep_stem = width_div, bool(deep_stem)
        self.inplanes, self.dilation = 64 // width_div, 1
        if self.deep_stem:
            c = self.inplanes
            self.conv1 = nn.Conv2d(in_channels, c, 3, stride=2, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c)
            self.conv3 = nn.Conv2d(c, 2 * c, 3, padding=1, bias=False)
            self.bn3 = nn.BatchNorm2d(2 * c)
            self.inplanes = 2 * c
        else:
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, 7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        rs, n = list(replace_stride_with_dilation), self.BLOCKS[depth]
        self.layer1 = self._make_layer(64, n[0])
        self.layer2 = self._make_layer(128, n[1], 2, rs[0])
        self.layer3 = self._make_layer(256, n[2], 2, rs[1])
        self.layer4 = self._make_layer(512, n[3], 2, rs[2])
        self.out_channels = 2048 // width_div
        self.output_stride = 32 // (2 ** sum(bool(r) for r in rs))
        he_init(self)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1, dilate: bool = False) -> nn.Sequential:
        planes //= self.wd
        previous = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        down = None
        if stride != 1 or self.inplanes != planes * 4:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * 4, 1, stride=stride, bias=False), nn.BatchNorm2d(planes * 4))
        layers = [Bottleneck(self.inplanes, planes, stride, down, previous)]
        self.inplanes = planes * 4
        layers += [Bottleneck(self.inplanes, planes, dilation=self.dilation) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def stem(self) -> list[nn.Module]:
        """The stem's convolutions and batch norms, input side first."""
        names = ("conv1", "bn1", "conv2", "bn2", "conv3", "bn3") if self.deep_stem else ("conv1", "bn1")
        return [getattr(self, n) for n in names]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        if self.deep_stem:
            x = self.relu(self.bn3(self.conv3(self.relu(self.bn2(self.conv2(x))))))
        x = self.maxpool(x)
        result: torch.Tensor = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return result


class ResNet50(ResNet):
    """torchvision's ``resnet50`` trunk (:class:`ResNet` at depth 50 with the 7×7 stem)."""

    def __init__(
        self, replace_stride_with_dilation: Sequence[bool] = (False, False, False), in_channels: int = 3, width_div: int = 1
    ) -> None:
        super().__init__(replace_stride_with_dilation, in_channels, width_div)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A weight file's state dict (also inside a ``{"state_dict": ...}`` checkpoint); errors name the file."""
    p = Path(path)
    try:
        sd = torch.load(p, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ConfigError(f"{p}: pretrained weight file not found") from None
    except Exception as exc:
        raise ConfigError(f"{p}: not a readable PyTorch state dict ({type(exc).__name__})") from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict):
        raise ConfigError(f"{p}: expected a state dict (mapping of parameter names to tensors)")
    return sd


def load_pretrained(
    module: nn.Module, path: str | Path, prefix: str = "", sd: dict[str, torch.Tensor] | None = None
) -> dict[str, list[str]]:
    """Load a torchvision weight file into ``module`` (a backbone, or a network holding one under ``prefix``).

    ``sd`` is the file's state dict when the caller has read it already (several backbones, one read).
    Every backbone parameter and buffer must be in the file with the same shape; extra keys
    (classifier heads) are ignored. A first convolution with another number of input channels
    than the file's 3 is initialised with the mean RGB filter repeated (the common adaptation).
    Raises :class:`ConfigError` naming the file on any mismatch.
    """
    p = Path(path)
    if sd is None:
        sd = read_state_dict(p)
    own = module.state_dict()
    keys = [k for k in own if k.startswith(prefix)]
    new: dict[str, torch.Tensor] = {}
    adapted: list[str] = []
    for k in keys:
        src = k[len(prefix) :]
        if src not in sd:
            if src.endswith("num_batches_tracked"):
                continue
            raise ConfigError(f"{p}: missing key {src!r} for this backbone (is it the right architecture?)")
        t = sd[src]
        if tuple(t.shape) != tuple(own[k].shape):
            if t.ndim == 4 and own[k].ndim == 4 and t.shape[0] == own[k].shape[0] and t.shape[2:] == own[k].shape[2:]:
                t = t.mean(1, keepdim=True).expand(-1, own[k].shape[1], -1, -1) * (t.shape[1] / own[k].shape[1])
                adapted.append(src)
            else:
                raise ConfigError(f"{p}: key {src!r} has shape {tuple(t.shape)}, this backbone needs {tuple(own[k].shape)}")
        new[k] = t.to(own[k].dtype)
    module.load_state_dict(new, strict=False)
    ignored = sorted(set(sd) - {k[len(prefix) :] for k in keys})
    return {"loaded": sorted(new), "adapted_input": adapted, "ignored": ignored}


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """The number of trainable parameters of ``model``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
