"""Multi-input VGG-16 encoder–decoders for core and penumbra from CT perfusion maps (Tomasetti et al.).

* :class:`SlowFusionVGG16` (the paper's proposed SF model) — one VGG-16 feature extractor per
  input map (CBF, CBV, TTP, Tmax, optionally MIP); each map is fed colour-coded (below) or as a grey
  image repeated on the three colour channels, so ImageNet weights apply unchanged. Each branch ends with two 3×3
  convolutions and dropout. The branches' bottlenecks are concatenated (fusion), and at every
  decoder level a transposed convolution's output is concatenated with the last convolution
  of the matching block of *every* branch (slow fusion through the skips), followed by two
  3×3 convolutions with ReLU; a 1×1 convolution gives the three class scores (softmax in
  the loss / at prediction).
* **Colour-coded maps** (``colour_maps = n``): the paper fed the colour-coded parametric maps clinicians read.
  The first ``n`` map channels (all of them where there are fewer) are rendered through matplotlib's ``jet`` scale (the rainbow scale of
  perfusion viewers; the paper names none) over the window :data:`COLOUR_WINDOW` in the channel's units (the
  dataset z-scores: ±3 sd) into RGB, and the RGB is normalised with ImageNet's mean and sd, as
  the pretrained VGG-16 expects. A value of exactly 0 (the background outside the brain mask) is black, as
  the paper's maps show only the brain. Further map channels (the MIP) stay grey on three channels.
* **NIHSS** (``n_scalars = 1``): the last input channel is a constant image holding the
  patient's scaled NIHSS (NIHSS / 42, see :func:`strokeseg.preprocessing.prepare.nihss_input`). The network reads the
  scalar back as that channel's spatial maximum (robust to zero padding) and broadcasts it as
  one constant feature map concatenated to the fused bottleneck.
* :class:`EarlyFusionVGG16` (EF) — the maps concatenated on the channel axis, one 3×3
  convolution to 3 channels, one VGG-16, the same decoder.
* :class:`InflatedFusionVGG16` (EFI) — the maps stacked along a new depth axis and one VGG-16
  inflated to 3D as in I3D (each 3×3 filter repeated over 3 depth taps and divided by 3;
  pooling 2×2×2 while the depth allows, then 1×2×2); the skips and the bottleneck are averaged
  over depth and decoded in 2D by the same decoder.

**Initialisation.** He's rule in every ReLU layer (PyTorch's default only for the class head, so the
logits start near zero). ``batch_norm = True`` uses torchvision's VGG-16-BN extractors (a ``vgg16_bn``
weight file loads with ``--pretrained``) and adds batch norm after every 3×3 convolution of the
bottlenecks and the decoder; the paper's nets are plain VGG-16 started from ImageNet, as the recipes
are (why: ``docs/explanation/experiments.md``).

``width_div`` divides every width (CPU-sized ``-fast`` variants, which cannot load ImageNet
weights); at ``width_div = 1`` each VGG-16 extractor has torchvision's 14.7 M parameters.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.models.backbones import VGGFeatures, he_init, load_pretrained
from strokeseg.models.layers import PretrainedBackbone


def _conv_relu(cin: int, cout: int, bn: bool = False) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1), *([nn.BatchNorm2d(cout)] if bn else []), nn.ReLU(inplace=True)]


class FusionDecoder(nn.Module):
    """Transposed convolutions + two convolutions per level, with concatenated multi-branch skips."""

    def __init__(self, bottleneck: int, skip_channels: list[int], widths: list[int], num_classes: int, bn: bool = False) -> None:
        super().__init__()
        self.ups = nn.ModuleList()
        self.convs = nn.ModuleList()
        c = bottleneck
        for lvl in reversed(range(len(skip_channels))):
            self.ups.append(nn.ConvTranspose2d(c, widths[lvl], 2, stride=2))
            self.convs.append(
                nn.Sequential(*_conv_relu(widths[lvl] + skip_channels[lvl], widths[lvl], bn), *_conv_relu(widths[lvl], widths[lvl], bn))
            )
            c = widths[lvl]
        self.head = nn.Conv2d(c, num_classes, 1)
        # He's rule in the ReLU stack, as in the VGG extractors; the head keeps PyTorch's smaller default (logits
        # near 0)
        he_init(self)
        self.head.reset_parameters()

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        for up, conv, s in zip(self.ups, self.convs, reversed(skips)):
            x = up(x)
            if x.shape[-2:] != s.shape[-2:]:
                x = nn.functional.pad(x, (0, s.shape[-1] - x.shape[-1], 0, s.shape[-2] - x.shape[-2]))
            x = conv(torch.cat([x, s], 1))
        result: torch.Tensor = self.head(x)
        return result


def _bottleneck(c: int, dropout: float, bn: bool = False) -> nn.Sequential:
    seq = nn.Sequential(*_conv_relu(c, c, bn), *_conv_relu(c, c, bn), nn.Dropout2d(dropout))
    he_init(seq)
    return seq


#: the window of the colour scale, in the whitened maps' units (sd about the dataset mean)
COLOUR_WINDOW = (-3.0, 3.0)
#: ImageNet's RGB mean and sd (torchvision's normalisation of the pretrained VGG-16 inputs)
IMAGENET_MEAN, IMAGENET_SD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def jet_table(n: int = 256) -> torch.Tensor:
    """matplotlib's ``jet`` colour scale as an ``(n, 3)`` RGB table in [0, 1]."""
    import numpy as np
    from matplotlib import colormaps

    return torch.as_tensor(colormaps["jet"](np.linspace(0.0, 1.0, n))[:, :3], dtype=torch.float32)


def colour_coded(x: torch.Tensor, table: torch.Tensor, window: tuple[float, float]) -> torch.Tensor:
    """A one-channel map ``(B, 1, H, W)`` rendered through ``table`` (``(n, 3)``) over ``window`` into ImageNet-normalised
    RGB ``(B, 3, H, W)``; exact zeros (background) are black."""
    lo, hi = window
    t = ((x[:, 0] - lo) / (hi - lo)).clamp(0.0, 1.0)
    rgb = table[(t * (table.shape[0] - 1)).round().long()]  # (B, H, W, 3)
    rgb = torch.where((x[:, 0] == 0)[..., None], torch.zeros_like(rgb), rgb).permute(0, 3, 1, 2)
    mean = torch.tensor(IMAGENET_MEAN, dtype=rgb.dtype, device=rgb.device)[None, :, None, None]
    sd = torch.tensor(IMAGENET_SD, dtype=rgb.dtype, device=rgb.device)[None, :, None, None]
    return ((rgb - mean) / sd).to(x.dtype)


def _scalars(x: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    if n == 0:
        return x, None
    return x[:, :-n], x[:, -n:].amax(dim=(-2, -1))


def _with_scalars(b: torch.Tensor, s: torch.Tensor | None) -> torch.Tensor:
    if s is None:
        return b
    return torch.cat([b, s[:, :, None, None].to(b.dtype).expand(-1, -1, *b.shape[-2:])], 1)


class _VGGStages(PretrainedBackbone):
    branches: nn.ModuleList

    def _vggs(self) -> list[VGGFeatures]:
        return [b for b in self.branches if isinstance(b, VGGFeatures)]

    def backbones(self) -> list[tuple[str, str]]:
        return [(f"branches.{i}.", br.arch) for i, br in enumerate(self._vggs())]

    def backbone_stages(self) -> list[list[nn.Parameter]]:
        stages: list[list[nn.Parameter]] = []
        for k in range(5):
            ps: list[nn.Parameter] = []
            for br in self._vggs():
                a, b = br.stage_slices()[k]
                ps += [p for m in list(br.features)[a:b] for p in m.parameters()]
            stages.append(ps)
        return stages


class SlowFusionVGG16(nn.Module, _VGGStages):
    """Tomasetti's multi-input slow-fusion VGG-16: one VGG-16 branch per map, fused late with skip connections, optional NIHSS input."""

    colour_table: torch.Tensor

    def __init__(
        self,
        in_channels: int,
        num_classes: int = 3,
        n_scalars: int = 0,
        width_div: int = 1,
        dropout: float = 0.5,
        batch_norm: bool = False,
        colour_maps: int = 0,
    ) -> None:
        super().__init__()
        self.n_maps, self.n_scalars = in_channels - n_scalars, n_scalars
        if self.n_maps < 1:
            raise ConfigError("SlowFusionVGG16 needs at least one map channel")
        if colour_maps < 0:
            raise ConfigError(f"SlowFusionVGG16: colour_maps must be ≥ 0, not {colour_maps}")
        self.colour_maps = min(int(colour_maps), self.n_maps)  # a recipe run on fewer maps colours all of them
        self.register_buffer("colour_table", jet_table(), persistent=False)
        branches = [VGGFeatures("vgg16", batch_norm=batch_norm, width_div=width_div) for _ in range(self.n_maps)]
        self.branches = nn.ModuleList(branches)
        ch = branches[0].out_channels
        self.bottlenecks = nn.ModuleList(_bottleneck(ch[-1], dropout, batch_norm) for _ in range(self.n_maps))
        self.decoder = FusionDecoder(ch[-1] * self.n_maps + n_scalars, [c * self.n_maps for c in ch], ch, num_classes, batch_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps, s = _scalars(x, self.n_scalars)
        skips: list[list[torch.Tensor]] = [[] for _ in range(5)]
        bots = []
        for i, (br, bn) in enumerate(zip(self._vggs(), self.bottlenecks)):
            one = maps[:, i : i + 1]
            feats = br(colour_coded(one, self.colour_table, COLOUR_WINDOW) if i < self.colour_maps else one.expand(-1, 3, -1, -1))
            for k, f in enumerate(feats):
                skips[k].append(f)
            bots.append(bn(nn.functional.max_pool2d(feats[-1], 2, 2)))
        b = _with_scalars(torch.cat(bots, 1), s)
        result: torch.Tensor = self.decoder(b, [torch.cat(sk, 1) for sk in skips])
        return result


class EarlyFusionVGG16(nn.Module, _VGGStages):
    """The early-fusion comparator: every map stacked as channels of one VGG-16."""

    def __init__(
        self, in_channels: int, num_classes: int = 3, n_scalars: int = 0, width_div: int = 1, dropout: float = 0.5, batch_norm: bool = False
    ) -> None:
        super().__init__()
        self.n_scalars = n_scalars
        self.fuse = nn.Conv2d(in_channels - n_scalars, 3, 3, padding=1)
        he_init(self.fuse)
        vgg = VGGFeatures("vgg16", batch_norm=batch_norm, width_div=width_div)
        self.branches = nn.ModuleList([vgg])
        ch = vgg.out_channels
        self.bottleneck = _bottleneck(ch[-1], dropout, batch_norm)
        self.decoder = FusionDecoder(ch[-1] + n_scalars, ch, ch, num_classes, batch_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps, s = _scalars(x, self.n_scalars)
        feats = self._vggs()[0](self.fuse(maps))
        b = _with_scalars(self.bottleneck(nn.functional.max_pool2d(feats[-1], 2, 2)), s)
        result: torch.Tensor = self.decoder(b, feats)
        return result


class InflatedVGG16(nn.Module):
    """VGG-16 features inflated to 3D (I3D): depth pooling while the depth is > 1."""

    features: nn.Sequential

    def __init__(self, depth: int, width_div: int = 1) -> None:
        super().__init__()
        ref = VGGFeatures("vgg16", width_div=width_div)
        self.slices = ref.stage_slices()
        self.out_channels = ref.out_channels
        layers: list[nn.Module] = []
        for m in ref.features:
            if isinstance(m, nn.Conv2d):
                layers.append(nn.Conv3d(m.in_channels, m.out_channels, 3, padding=1))
            elif isinstance(m, nn.ReLU):
                layers.append(nn.ReLU(inplace=True))
            else:
                layers.append(nn.Identity())  # pooling is done in forward (depth-dependent)
        self.features = nn.Sequential(*layers)
        he_init(self)  # as the 2D extractor (replaced by the inflated ImageNet filters with --pretrained)
        self.depth = depth

    def inflate_from(self, vgg2d: VGGFeatures) -> None:
        """Copy 2D VGG-16 weights into the 3D filters the I3D way (repeated over time, divided by the depth)."""
        with torch.no_grad():
            for m3, m2 in zip(self.features, vgg2d.features):
                if isinstance(m3, nn.Conv3d) and isinstance(m2, nn.Conv2d):
                    m3.weight.copy_(m2.weight[:, :, None].expand(-1, -1, 3, -1, -1) / 3.0)
                    assert m3.bias is not None and m2.bias is not None
                    m3.bias.copy_(m2.bias)

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Per-block features averaged over depth, and the pooled last block (averaged over depth)."""
        feats = []
        for a, b in self.slices:
            for m in list(self.features)[a:b]:
                x = m(x)
            feats.append(x.mean(2))  # skips averaged over depth
            k = (2 if x.shape[2] > 1 else 1, 2, 2)
            x = nn.functional.max_pool3d(x, k, k)
        return feats, x.mean(2)


class InflatedFusionVGG16(nn.Module, PretrainedBackbone):
    """The inflated-fusion comparator: a 3D (I3D-inflated) VGG-16 over the maps as a time axis."""

    encoder: InflatedVGG16

    def __init__(self, in_channels: int, num_classes: int = 3, n_scalars: int = 0, width_div: int = 1, dropout: float = 0.5) -> None:
        super().__init__()
        self.n_scalars = n_scalars
        self.n_maps = in_channels - n_scalars
        enc = InflatedVGG16(self.n_maps, width_div)
        self.encoder = enc
        ch = enc.out_channels
        self.bottleneck = _bottleneck(ch[-1], dropout)
        self.decoder = FusionDecoder(ch[-1] + n_scalars, ch, ch, num_classes)

    def backbones(self) -> list[tuple[str, str]]:
        return [("encoder.", "vgg16 (inflated to 3D)")]

    def backbone_stages(self) -> list[list[nn.Parameter]]:
        return [[p for m in list(self.encoder.features)[a:b] for p in m.parameters()] for a, b in self.encoder.slices]

    def load_backbone(self, path: str | Path, sd: dict[str, torch.Tensor] | None = None) -> dict[str, list[str]]:
        """Load torchvision VGG-16 weights, inflated into the 3D filters."""
        ref = VGGFeatures("vgg16")
        info = load_pretrained(ref, path, sd=sd)
        self.encoder.inflate_from(ref)
        return info

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps, s = _scalars(x, self.n_scalars)
        vol = maps[:, None].expand(-1, 3, -1, -1, -1)  # (B, 3, depth = maps, H, W)
        feats, last = self.encoder(vol)
        b = _with_scalars(self.bottleneck(last), s)
        result: torch.Tensor = self.decoder(b, feats)
        return result
