"""Gradient reaching the deepest VGG-16 convolution of the random-initialised fusion nets at initialisation.

For each fusion net (width / 16, 5 inputs incl. NIHSS, a 2×64×64 random batch, seeds 0–2) it prints
the logit spread and the gradient norm of the first and of the deepest encoder convolution, with
strokeseg's initialisation (He's rule in the decoder, bottlenecks and inflated encoder) and with
PyTorch's default put back in those layers (the initialisation before the fix).

    .venv/bin/python benchmarks/bench_fusion_init_gradients.py
"""

from __future__ import annotations

import torch
from torch import nn

from strokeseg.models import build_network


def _pytorch_default(net: nn.Module) -> None:
    """PyTorch's default initialisation in every layer outside the VGG-16 extractors (and in the inflated encoder)."""
    for name, m in net.named_modules():
        if name.startswith("branches.") or not isinstance(m, (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d)):
            continue
        m.reset_parameters()


def main() -> None:
    print(f"{'net':>22} {'init':>15} {'seed':>4} {'logit std':>9} {'first conv grad':>15} {'deepest conv grad':>17} {'ratio':>9}")
    for name in ("slow-fusion-vgg16", "early-fusion-vgg16", "inflated-fusion-vgg16"):
        for init in ("strokeseg", "pytorch default"):
            for seed in range(3):
                torch.manual_seed(seed)
                net = build_network(name, in_channels=5, num_classes=3, n_scalars=1, width_div=16, dropout=0.2)
                if init != "strokeseg":
                    _pytorch_default(net)
                x = torch.randn(2, 5, 64, 64)
                x[:, -1] = 0.3
                out = net(x)
                (out.logsumexp(1).mean() - out[:, 0].mean()).backward()
                enc = [p for n, p in net.named_parameters() if n.startswith(("branches.", "encoder.")) and p.dim() >= 4]
                assert enc[0].grad is not None and enc[-1].grad is not None
                g0, g1 = float(enc[0].grad.norm()), float(enc[-1].grad.norm())
                print(f"{name:>22} {init:>15} {seed:>4} {float(out.detach().std()):9.3f} {g0:15.3g} {g1:17.3g} {g1 / g0:9.2g}")


if __name__ == "__main__":
    main()
