"""Asymmetric residual encoder–decoder (Clèrigues et al. 2019, 2020).

* Residual blocks with **two** convolutions in the encoder and **one** in the decoder, so that
  the encoder holds roughly 75 % of the parameters and the decoder 25 %;
* short residual connections inside every block, long residual connections (addition) from
  each encoder level to the decoder level of the same resolution;
* PReLU non-linearities, batch normalisation;
* downsampling by concatenating a max-pooling and a strided convolution (Szegedy), which
  doubles the channels without a representational bottleneck;
* 3×3 transposed-convolution upsampling; whole-patch (dense) prediction with a softmax head;
* dropout in the deepest resolution steps, kept active at prediction for MC-dropout.

``AsymResUNet(dims=2, base_filters=8, depth=5)`` is the CT-2D network (64×64 patches → a
128×4×4 latent space); ``AsymResUNet(dims=3, base_filters=32, depth=4)`` the MRI-3D one
(24×24×16 patches).
"""

from __future__ import annotations

import torch
from torch import nn

from strokeseg.models.layers import MCDropout, Ops, ops


def _add(fresh: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """``fresh + other``; in place into ``fresh`` (a layer's new output) when no gradient is recorded
    (prediction): the same values without allocating a third tensor."""
    if torch.is_grad_enabled():
        return fresh + other
    return fresh.add_(other)


class ResBlock(nn.Module):
    """``n_convs`` 3×3(×3) convolutions with BN/PReLU and a short residual connection."""

    def __init__(self, o: Ops, cin: int, cout: int, n_convs: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = cin
        for i in range(n_convs):
            layers += [o.conv(c, cout, 3, padding=1, bias=False), o.norm(cout)]
            if i < n_convs - 1:
                layers.append(nn.PReLU(cout))
            c = cout
        self.body = nn.Sequential(*layers)
        self.skip = nn.Identity() if cin == cout else o.conv(cin, cout, 1, bias=False)
        self.act = nn.PReLU(cout)
        self.skip_in_body = False  # set by fold_identity_skip(): the body's convolution adds its input itself

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        result: torch.Tensor = self.act(y if self.skip_in_body else _add(y, self.skip(x)))
        return result

    def fold_identity_skip(self) -> bool:
        """For prediction: fold an identity short connection around a single convolution into that
        convolution (``conv(x) + x`` is the convolution with 1 added to its centre tap's diagonal);
        the same function with one memory pass fewer. Only for a block whose body is one convolution
        (its batch norm already folded, :func:`strokeseg.inference.fusion.fold_batch_norms`) and whose
        skip is the identity; returns whether it folded."""
        convs = [m for m in self.body if not isinstance(m, nn.Identity)]
        if self.skip_in_body or not isinstance(self.skip, nn.Identity) or len(convs) != 1:
            return False
        conv = convs[0]
        if not isinstance(conv, nn.Conv2d | nn.Conv3d) or conv.in_channels != conv.out_channels or conv.groups != 1:
            return False
        centre = tuple(k // 2 for k in conv.kernel_size)
        with torch.no_grad():
            idx = torch.arange(conv.out_channels)
            conv.weight[(idx, idx, *centre)] += 1.0  # type: ignore[index]
        self.skip_in_body = True
        return True


class Down(nn.Module):
    """Concatenation of max-pooling and a strided convolution: C → 2C channels, half resolution."""

    def __init__(self, o: Ops, c: int) -> None:
        super().__init__()
        self.pool = o.pool(2)
        self.conv = nn.Sequential(o.conv(c, c, 3, stride=2, padding=1, bias=False), o.norm(c), nn.PReLU(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.pool(x), self.conv(x)], dim=1)


class AsymResUNet(nn.Module):
    """Asymmetric residual U-Net.

    Args:
        in_channels: input channels (modalities, with their symmetric copies).
        num_classes: output classes (2 for a binary target).
        dims: 2 or 3.
        base_filters: channels of the first resolution step (doubled at each step).
        depth: number of resolution steps (4 for MRI-3D, 5 for CT-2D).
        dropout: rate of the dropout layers in the ``mc_levels`` deepest steps.
        mc_levels: how many of the deepest resolution steps carry dropout.

    Shapes: input ``(N, C, H, W)`` or ``(N, C, D, H, W)`` with every spatial size divisible by
    ``2**(depth-1)``; output logits ``(N, num_classes, …)`` of the same spatial size.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int = 2,
        dims: int = 2,
        base_filters: int = 8,
        depth: int = 5,
        dropout: float = 0.1,
        mc_levels: int = 2,
    ) -> None:
        super().__init__()
        o = ops(dims)
        self.depth = depth
        chans = [base_filters * 2**i for i in range(depth)]
        self.stem = nn.Sequential(o.conv(in_channels, chans[0], 3, padding=1, bias=False), o.norm(chans[0]), nn.PReLU(chans[0]))
        self.enc = nn.ModuleList([ResBlock(o, c, c, n_convs=2) for c in chans])
        self.down = nn.ModuleList([Down(o, c) for c in chans[:-1]])
        deep = [i >= depth - mc_levels for i in range(depth)]
        self.enc_drop = nn.ModuleList([MCDropout(dropout if deep[i] else 0.0, deep[i]) for i in range(depth)])
        # 3×3 transposed convolutions: with them the decoder holds ~25 % of the parameters, as published
        self.up = nn.ModuleList([o.conv_t(chans[i + 1], chans[i], 3, stride=2, padding=1, output_padding=1) for i in range(depth - 1)])
        self.dec = nn.ModuleList([ResBlock(o, chans[i], chans[i], n_convs=1) for i in range(depth - 1)])
        self.dec_drop = nn.ModuleList([MCDropout(dropout if deep[i] else 0.0, deep[i]) for i in range(depth - 1)])
        self.head = o.conv(chans[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        h = self.stem(x)
        for i in range(self.depth):
            h = self.enc_drop[i](self.enc[i](h))
            if i < self.depth - 1:
                skips.append(h)
                h = self.down[i](h)
        for i in reversed(range(self.depth - 1)):
            h = _add(self.up[i](h), skips[i])  # long residual connection
            h = self.dec_drop[i](self.dec[i](h))
        result: torch.Tensor = self.head(h)
        return result

    def forward_mc(self, x: torch.Tensor, passes: int) -> torch.Tensor:
        """``passes`` Monte-Carlo forward passes ``(passes, N, K, …)`` that compute the deterministic
        part once: every layer before the first active dropout (the high-resolution encoder levels
        and their skips) runs once, and only the rest runs once per pass (on the same batch size,
        which is faster on a CPU than one pass on a ``passes``-times larger batch). Equal in
        distribution to ``passes`` calls of :meth:`forward`."""

        def active(d: nn.Module) -> bool:
            return isinstance(d, MCDropout) and d.p > 0 and (d.training or d.mc)

        k = next((i for i in range(self.depth) if active(self.enc_drop[i])), self.depth - 1)
        skips0: list[torch.Tensor] = []
        h0 = self.stem(x)
        for i in range(k):
            h0 = self.enc_drop[i](self.enc[i](h0))
            skips0.append(h0)
            h0 = self.down[i](h0)
        outs = []
        for _ in range(passes):
            h, skips = h0, list(skips0)
            for i in range(k, self.depth):
                h = self.enc_drop[i](self.enc[i](h))
                if i < self.depth - 1:
                    skips.append(h)
                    h = self.down[i](h)
            for i in reversed(range(self.depth - 1)):
                h = _add(self.up[i](h), skips[i])
                h = self.dec_drop[i](self.dec[i](h))
            outs.append(self.head(h))
        return torch.stack(outs)

    def parameter_split(self) -> dict[str, int]:
        """Parameters in the encoder (stem, encoder blocks, downsampling) and decoder (upsampling, blocks, head)."""
        count = lambda mods: sum(p.numel() for m in mods for p in m.parameters())  # noqa: E731
        return {"encoder": count([self.stem, self.enc, self.down]), "decoder": count([self.up, self.dec, self.head])}
