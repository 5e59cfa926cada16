"""Adversarial training of a three-class segmenter with three discriminators (adversarial SegNet).

Per iteration, as in the paper's five phases:

1. a segmentation step on the cross-entropy J_seg;
2.–4. updates of D1 (penumbra: ground truth vs prediction, relativistic), D2 (core, the same)
   and D3 (which of two shuffled channels holds the penumbra; trained on ground-truth maps);
5. a segmentation step on the adversarial objective (α = β = γ = 0.001), with the discriminators fixed:

   * ``paper`` (the default): J_Adv = −α·J_D1 − β·J_D2 − γ·J_D3, as the paper writes it: the segmenter
     maximises the discriminators' own losses on its predicted maps (J_D3 on the shuffled *predicted* channels);
   * ``nonsaturating``: J_seg + α·J_G1 + β·J_G2 + γ·J_D3, where J_G1/J_G2 are the relativistic non-saturating
     generator losses and D3's loss is *minimised* (strokeseg's earlier form).

Every discriminator sees the image channels concatenated with the map(s) it judges.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.losses.adversarial import bce_logits, relativistic_d_loss, relativistic_g_loss
from strokeseg.models.segnet import Discriminator
from strokeseg.recipes.specs import AdversarialSpec


class AdversarialPhases:
    """The three discriminators of the adversarial SegNet and their optimiser; ``step`` runs the five phases of one iteration."""

    def __init__(self, in_channels: int, num_classes: int, cfg: AdversarialSpec, device: torch.device) -> None:
        if num_classes != 3:
            raise ConfigError("adversarial training needs the three-class target (penumbra and core)")
        base = cfg.base
        self.weights, self.objective = list(cfg.weights), cfg.objective
        self.d = nn.ModuleList(
            [Discriminator(in_channels + 1, base), Discriminator(in_channels + 1, base), Discriminator(in_channels + 2, base)]
        ).to(device)
        self.opt = torch.optim.Adam(self.d.parameters(), lr=cfg.lr, betas=cfg.betas)

    def state_dict(self) -> dict[str, Any]:
        return {"d": self.d.state_dict(), "opt": self.opt.state_dict()}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        self.d.load_state_dict(sd["d"])
        self.opt.load_state_dict(sd["opt"])

    @staticmethod
    def _shuffle(pen: torch.Tensor, core: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        first = (torch.rand(pen.shape[0], generator=gen) < 0.5).to(pen.device)  # 1: penumbra in channel 0
        f = first.view(-1, 1, 1, 1).to(pen.dtype)
        return torch.cat([f * pen + (1 - f) * core, f * core + (1 - f) * pen], 1), first.float()

    def segmenter_objective(
        self, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor, seg_loss: nn.Module, gen: torch.Generator
    ) -> torch.Tensor:
        """Phase 5's loss of the segmenter's ``logits`` ``(B, 3, H, W)`` on images ``x`` with labels ``y``, the
        discriminators fixed: ``paper`` −α·J_D1 − β·J_D2 − γ·J_D3, or ``nonsaturating`` J_seg + α·J_G1 + β·J_G2 + γ·J_D3."""
        g = nn.functional.one_hot(y.long(), 3).movedim(-1, 1).float()
        p = torch.softmax(logits, 1)
        a, b, c = self.weights
        with torch.no_grad():
            r1 = self.d[0](torch.cat([x, g[:, 1:2]], 1))
            r2 = self.d[1](torch.cat([x, g[:, 2:3]], 1))
        f1, f2 = self.d[0](torch.cat([x, p[:, 1:2]], 1)), self.d[1](torch.cat([x, p[:, 2:3]], 1))
        sh, t = self._shuffle(p[:, 1:2], p[:, 2:3], gen)
        j3 = bce_logits(self.d[2](torch.cat([x, sh], 1)), t.to(x.device))
        if self.objective == "paper":
            result: torch.Tensor = -(a * relativistic_d_loss(r1, f1) + b * relativistic_d_loss(r2, f2) + c * j3)
        else:
            result = seg_loss(logits, y) + a * relativistic_g_loss(r1, f1) + b * relativistic_g_loss(r2, f2) + c * j3
        return result

    def step(
        self, model: nn.Module, opt: torch.optim.Optimizer, seg_loss: nn.Module, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator
    ) -> float:
        # phase 1: segmentation
        """One iteration (segmentation step, D1–D3 updates, adversarial segmentation step); returns the segmentation loss."""
        opt.zero_grad(set_to_none=True)
        loss = seg_loss(model(x), y)
        loss.backward()
        opt.step()
        g = nn.functional.one_hot(y.long(), 3).movedim(-1, 1).float()
        # phases 2-4: discriminators
        with torch.no_grad():
            p = torch.softmax(model(x), 1)
        self.d.train()
        self.opt.zero_grad(set_to_none=True)
        ld = relativistic_d_loss(self.d[0](torch.cat([x, g[:, 1:2]], 1)), self.d[0](torch.cat([x, p[:, 1:2]], 1)))
        ld = ld + relativistic_d_loss(self.d[1](torch.cat([x, g[:, 2:3]], 1)), self.d[1](torch.cat([x, p[:, 2:3]], 1)))
        sh, t = self._shuffle(g[:, 1:2], g[:, 2:3], gen)
        ld = ld + bce_logits(self.d[2](torch.cat([x, sh], 1)), t.to(x.device))
        ld.backward()
        self.opt.step()
        # phase 5: segmentation + adversarial terms (discriminators fixed)
        for prm in self.d.parameters():
            prm.requires_grad_(False)
        opt.zero_grad(set_to_none=True)
        total = self.segmenter_objective(model(x), x, y, seg_loss, gen)
        total.backward()
        opt.step()
        for prm in self.d.parameters():
            prm.requires_grad_(True)
        return float(total.detach()) + (float(loss.detach()) if self.objective == "paper" else 0.0)
