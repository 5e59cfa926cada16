"""Segmentation losses on logits ``(N, K, ...)`` and integer targets ``(N, ...)``.

* :class:`FocalLoss` — FL = −α_t (1 − p_t)^γ log p_t averaged over voxels (Lin et al. 2017),
  multi-class with one α per class (γ = 2, α = 0.25 healthy / 0.75 lesion for MRI-3D).
* :class:`GDLCrossEntropy` — generalised Dice loss (Sudre 2017, MONAI's implementation, class
  weights 1/Σ_v r_kv², background included) plus cross-entropy (CT-2D).
* :class:`CrossEntropy` — plain or class-weighted cross-entropy.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from strokeseg.errors import ConfigError


class FocalLoss(nn.Module):
    """Multi-class focal loss (Lin et al.) on logits ``(B, K, ...)`` with optional class weights."""

    def __init__(self, gamma: float = 2.0, alpha: Sequence[float] | None = (0.25, 0.75)) -> None:
        super().__init__()
        self.gamma = float(gamma)
        self.register_buffer("alpha", None if alpha is None else torch.as_tensor(alpha, dtype=torch.float32))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        logp = F.log_softmax(logits, dim=1)
        logp_t = logp.gather(1, target.long().unsqueeze(1)).squeeze(1)
        p_t = logp_t.exp()
        loss = -((1.0 - p_t) ** self.gamma) * logp_t
        alpha = self.alpha
        if isinstance(alpha, torch.Tensor):
            loss = loss * alpha.to(logits.dtype)[target.long()]
        return loss.mean()


class GDLCrossEntropy(nn.Module):
    """Generalised Dice loss (MONAI) + cross-entropy, both on softmax probabilities."""

    def __init__(self, ce_weight: float = 1.0, gdl_weight: float = 1.0) -> None:
        super().__init__()
        from monai.losses import GeneralizedDiceLoss

        self.gdl = GeneralizedDiceLoss(include_background=True, to_onehot_y=True, softmax=True, w_type="square")
        self.ce_weight, self.gdl_weight = ce_weight, gdl_weight

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(logits, target.long())
        result: torch.Tensor = self.gdl_weight * self.gdl(logits, target.unsqueeze(1)) + self.ce_weight * ce
        return result


class CrossEntropy(nn.Module):
    """Cross-entropy on logits with optional class weights (``empirical``: inverse class frequencies of the training set)."""

    def __init__(self, weight: Sequence[float] | None = None) -> None:
        super().__init__()
        self.register_buffer("weight", None if weight is None else torch.as_tensor(weight, dtype=torch.float32))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        w = self.weight if isinstance(self.weight, torch.Tensor) else None
        return F.cross_entropy(logits, target.long(), weight=w)


class FocalTversky(nn.Module):
    """Focal Tversky loss (Abraham & Khan 2019), per class, averaged over the classes.

    TI_c = (Σ p_c g_c + ε) / (Σ p_c g_c + α Σ (1 − p_c) g_c + β Σ p_c (1 − g_c) + ε), sums over the
    batch and all voxels; FTL = mean_c (1 − TI_c)^(1/γ). α weighs false negatives, β false
    positives (α = 0.7, β = 0.3, γ = 4/3 by default). ``include_background`` adds class 0.

    ``smooth`` = 1 as in Abraham & Khan's reference code: it bounds the push on a class absent from
    the batch (TI = 1/(1 + β·Σp) instead of ε/(ε + β·Σp)). With a tiny ε that push grows without limit
    as the class's probabilities fall, which drives whole-slice training with mostly lesion-free
    slices into all-background saturation.

    ``weight`` (B,), optional: every voxel of sample b counts ``weight[b]`` times in the sums of the
    lesion classes (c ≥ 1), so their errors in those samples cost more (the slow-fusion paper's
    higher penalty for non-LVO patients); the background class stays unweighted.

    ``ce_weight`` > 0 adds ``ce_weight`` × the voxel-mean cross-entropy (weighted the same way), the
    region + voxel compound of nnU-Net (Dice + CE). Not in Abraham & Khan: a region term over the
    lesion classes alone gives each of the many background voxels almost no push, so a net that starts
    by calling the whole brain lesion can stay there; the cross-entropy pushes every voxel.
    """

    def __init__(
        self,
        alpha: float = 0.7,
        beta: float = 0.3,
        gamma: float = 4.0 / 3.0,
        include_background: bool = True,
        smooth: float = 1.0,
        ce_weight: float = 0.0,
    ) -> None:
        super().__init__()
        self.alpha, self.beta, self.gamma = float(alpha), float(beta), float(gamma)
        self.include_background, self.smooth = include_background, float(smooth)
        if ce_weight < 0:
            raise ConfigError(f"focal Tversky ce_weight must be >= 0, got {ce_weight}")
        self.ce_weight = float(ce_weight)

    def sums(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        """Per-class ``(4, K)`` sums TP, FN, FP and Σ −log p of the true class; sums of several batches add up."""
        logp = torch.log_softmax(logits.float(), dim=1)
        p = logp.exp()
        g = F.one_hot(target.long(), p.shape[1]).movedim(-1, 1).float()
        dims = [0, *list(range(2, p.ndim))]
        w = torch.ones((1, 1) + (1,) * (p.ndim - 2), device=p.device)
        if weight is not None:
            w = torch.ones(p.shape[:2], device=p.device)
            w[:, 1:] = weight.to(p.device, torch.float32)[:, None]
            w = w.view(*p.shape[:2], *([1] * (p.ndim - 2)))
        return torch.stack([(w * p * g).sum(dims), (w * (1 - p) * g).sum(dims), (w * p * (1 - g)).sum(dims), -(w * logp * g).sum(dims)])

    def from_sums(self, sums: torch.Tensor) -> torch.Tensor:
        """The loss of accumulated :meth:`sums` (a whole validation set is one Tversky index per class)."""
        tp, fn, fp, nll = sums
        ti = (tp + self.smooth) / (tp + self.alpha * fn + self.beta * fp + self.smooth)
        if not self.include_background:
            ti = ti[1:]
        # (1 − TI)^(1/γ) has an infinite slope at 0 for γ > 1 (a class absent from the batch and predicted
        # absent): a floor of 1e-6 keeps the gradient finite
        ftl = ((1 - ti).clamp_min(1e-6) ** (1.0 / self.gamma)).mean()
        if self.ce_weight == 0:
            result: torch.Tensor = ftl
            return result
        # every voxel is in exactly one class: Σ_c (TP_c + FN_c) is the (weighted) voxel count
        result = ftl + self.ce_weight * nll.sum() / (tp + fn).sum().clamp_min(1e-12)
        return result

    def forward(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        return self.from_sums(self.sums(logits, target, weight))


def empirical_class_weights(frequencies: Sequence[float]) -> list[float]:
    """Inverse-frequency class weights normalised so that Σ_c w_c f_c = 1 (mean voxel weight 1)."""
    f = torch.as_tensor(list(frequencies), dtype=torch.float64).clamp_min(1e-6)
    w = 1.0 / f
    w = w / (w * f).sum()
    return [float(v) for v in w]
