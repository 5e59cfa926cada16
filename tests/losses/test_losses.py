"""Each loss against a hand computation on a tiny tensor (and MONAI where it computes the same)."""

import math

import pytest
import torch

from strokeseg.losses import CrossEntropy, FocalLoss, GDLCrossEntropy, build_loss

# two voxels, two classes: logits give p = softmax
LOGITS = torch.tensor([[[2.0, 0.0], [0.0, 1.0]]])  # (N=1, K=2, V=2): voxel 0 → class 0 likely; voxel 1 → class 1 likely
TARGET = torch.tensor([[0, 0]])  # voxel 1 is wrong


def probs():
    p0 = torch.softmax(LOGITS[0, :, 0], 0)
    p1 = torch.softmax(LOGITS[0, :, 1], 0)
    return p0, p1


def test_focal_by_hand():
    p0, p1 = probs()
    g, a = 2.0, (0.25, 0.75)
    hand = (-a[0] * (1 - p0[0]) ** g * math.log(p0[0]) - a[0] * (1 - p1[0]) ** g * math.log(p1[0])) / 2
    assert FocalLoss(g, a)(LOGITS, TARGET).item() == pytest.approx(float(hand), rel=1e-6)


def test_focal_matches_monai_without_alpha():
    from monai.losses import FocalLoss as MonaiFocal

    torch.manual_seed(0)
    logits = torch.randn(2, 3, 5, 4)
    target = torch.randint(0, 3, (2, 5, 4))
    ours = FocalLoss(gamma=2.0, alpha=None)(logits, target)
    theirs = MonaiFocal(gamma=2.0, to_onehot_y=True, use_softmax=True, include_background=True, reduction="none")(
        logits, target.unsqueeze(1)
    )
    # MONAI keeps every class's term; with softmax, the non-target terms are zero: sum over classes, mean over voxels
    assert ours.item() == pytest.approx(theirs.sum(1).mean().item(), rel=1e-5)


def test_gdl_ce_by_hand():
    p0, p1 = probs()
    ce = (-math.log(p0[0]) - math.log(p1[0])) / 2
    # GDL with squared-volume weights: w_k = 1/(Σ r_k)²; r: class 0 has 2 voxels, class 1 none (MONAI: w → max weight)
    r = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    p = torch.stack([torch.stack([p0[0], p1[0]]), torch.stack([p0[1], p1[1]])])
    w = 1.0 / r.sum(1) ** 2
    w[torch.isinf(w)] = w[~torch.isinf(w)].max()
    inter = (w * (p * r).sum(1)).sum()
    denom = (w * (p + r).sum(1)).sum()
    gdl = 1 - 2 * inter / denom
    got = GDLCrossEntropy()(LOGITS, TARGET).item()
    assert got == pytest.approx(float(gdl + ce), rel=1e-4)


def test_weighted_ce_by_hand():
    p0, p1 = probs()
    w = (0.2, 0.8)
    # torch weighted mean: Σ w_t·(−log p_t) / Σ w_t
    hand = (w[0] * -math.log(p0[0]) + w[0] * -math.log(p1[0])) / (2 * w[0])
    assert CrossEntropy(w)(LOGITS, TARGET).item() == pytest.approx(float(hand), rel=1e-6)
    t = torch.tensor([[0, 1]])
    hand = (w[0] * -math.log(p0[0]) + w[1] * -math.log(p1[1])) / (w[0] + w[1])
    assert CrossEntropy(w)(LOGITS, t).item() == pytest.approx(float(hand), rel=1e-6)


def test_registry():
    assert isinstance(build_loss("focal", gamma=2.0), FocalLoss)
    from strokeseg.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown loss"):
        build_loss("nope")
