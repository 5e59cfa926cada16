"""Relativistic adversarial losses (Jolicoeur-Martineau 2019, "RSGAN") for the adversarial SegNet.

With discriminator logits ``C(real)`` and ``C(fake)`` on a batch:

* discriminator: J_D = BCE(σ(C(real) − C(fake)), 1) — real maps must look *more* real than fakes;
* generator (segmenter): J_G = BCE(σ(C(fake) − C(real)), 1), the relativistic counterpart of
  the paper's −J_D term (maximising the discriminator's error with a non-saturating gradient);
* the channel-order discriminator D3 uses plain BCE on "is channel 0 the penumbra".
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def relativistic_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The relativistic discriminator loss: real logits should exceed fake ones."""
    return F.binary_cross_entropy_with_logits(real - fake, torch.ones_like(real))


def relativistic_g_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The relativistic generator loss (non-saturating): fake logits should exceed real ones."""
    return F.binary_cross_entropy_with_logits(fake - real, torch.ones_like(fake))


def bce_logits(logit: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of logits against a constant target."""
    return F.binary_cross_entropy_with_logits(logit, target.to(logit.dtype))
