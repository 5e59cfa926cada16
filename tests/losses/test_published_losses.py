"""Focal Tversky, empirical class weights, focal γ = 1 and the relativistic adversarial losses by hand."""

import math

import pytest
import torch

from strokeseg.errors import ConfigError
from strokeseg.losses import FocalTversky, build_loss, empirical_class_weights
from strokeseg.losses.adversarial import bce_logits, relativistic_d_loss, relativistic_g_loss

# 3 voxels, 3 classes
LOGITS = torch.tensor([[[2.0, 0.0, 0.5], [0.0, 1.0, 0.2], [0.1, 0.3, 1.5]]])  # (N=1, K=3, V=3)
TARGET = torch.tensor([[0, 1, 1]])


def test_focal_tversky_by_hand():
    p = torch.softmax(LOGITS[0], 0)  # (K, V)
    a, b, gam = 0.7, 0.3, 4.0 / 3.0
    terms = []
    for c in range(3):
        g = (TARGET[0] == c).float()
        tp = float((p[c] * g).sum())
        fn = float(((1 - p[c]) * g).sum())
        fp = float((p[c] * (1 - g)).sum())
        ti = (tp + 1.0) / (tp + a * fn + b * fp + 1.0)  # smooth 1 (the default)
        terms.append((1 - ti) ** (1 / gam))
    hand = sum(terms) / 3
    assert FocalTversky(a, b, gam)(LOGITS, TARGET).item() == pytest.approx(hand, rel=1e-5)
    no_bg = sum(terms[1:]) / 2
    assert FocalTversky(a, b, gam, include_background=False)(LOGITS, TARGET).item() == pytest.approx(no_bg, rel=1e-5)


def test_focal_tversky_is_zero_for_a_perfect_prediction_and_alpha_weighs_false_negatives():
    perfect = torch.full((1, 2, 4), -20.0)
    y = torch.tensor([[0, 1, 1, 0]])
    perfect[0, y[0], torch.arange(4)] = 20.0
    assert FocalTversky()(perfect, y).item() < 1e-3
    # a prediction that misses the lesion (false negatives) costs more with α = 0.7 than with α = 0.3
    miss = torch.zeros(1, 2, 4)
    miss[0, 0] = 3.0
    fg_only = {"include_background": False}
    assert FocalTversky(0.7, 0.3, 1.0, **fg_only)(miss, y) > FocalTversky(0.3, 0.7, 1.0, **fg_only)(miss, y)


def test_empirical_weights_make_the_mean_voxel_weight_one():
    f = [0.9, 0.08, 0.02]
    w = empirical_class_weights(f)
    assert sum(wi * fi for wi, fi in zip(w, f)) == pytest.approx(1.0)
    assert w[2] / w[0] == pytest.approx(0.9 / 0.02)
    loss = build_loss("weighted-ce", class_frequencies=f, weight="empirical")
    assert torch.allclose(loss.weight, torch.tensor(w, dtype=torch.float32))
    with pytest.raises(ConfigError, match="class frequencies"):
        build_loss("weighted-ce", weight="empirical")


def test_focal_gamma_one_by_hand():
    logits = torch.tensor([[[1.0, -1.0], [0.0, 0.5]]])
    y = torch.tensor([[1, 0]])
    p = torch.softmax(logits[0], 0)
    hand = (-(1 - p[1, 0]) * math.log(p[1, 0]) - (1 - p[0, 1]) * math.log(p[0, 1])) / 2
    assert build_loss("focal", gamma=1.0, alpha=None)(logits, y).item() == pytest.approx(float(hand), rel=1e-6)


def test_relativistic_losses_by_hand():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([1.0, 1.5])
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    d = (-math.log(sig(2.0 - 1.0)) - math.log(sig(0.5 - 1.5))) / 2
    g = (-math.log(sig(1.0 - 2.0)) - math.log(sig(1.5 - 0.5))) / 2
    assert relativistic_d_loss(real, fake).item() == pytest.approx(d, rel=1e-6)
    assert relativistic_g_loss(real, fake).item() == pytest.approx(g, rel=1e-6)
    assert bce_logits(torch.tensor([0.0]), torch.tensor([1.0])).item() == pytest.approx(math.log(2), rel=1e-6)


def test_focal_tversky_gradient_is_finite_when_a_class_is_absent_and_predicted_absent():
    logits = torch.full((1, 3, 6), -30.0)
    logits[0, 0] = 30.0  # everything confidently background; classes 1 and 2 absent from the target
    logits.requires_grad_(True)
    loss = FocalTversky(0.7, 0.3, 4.0 / 3.0)(logits, torch.zeros(1, 6, dtype=torch.long))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def test_focal_tversky_sample_weights_by_hand():
    """Sample weights scale the lesion classes' sums of that sample; background stays unweighted."""
    logits = torch.cat([LOGITS, LOGITS.flip(-1)])  # (2, 3, 3)
    target = torch.cat([TARGET, torch.tensor([[2, 0, 1]])])
    w = torch.tensor([1.0, 3.0])
    p = torch.softmax(logits, 1)
    a, b, gam = 0.7, 0.3, 4.0 / 3.0
    terms = []
    for c in range(3):
        g = (target == c).float()
        ws = torch.ones(2) if c == 0 else w
        tp = float((ws[:, None] * p[:, c] * g).sum())
        fn = float((ws[:, None] * (1 - p[:, c]) * g).sum())
        fp = float((ws[:, None] * p[:, c] * (1 - g)).sum())
        terms.append((1 - (tp + 1.0) / (tp + a * fn + b * fp + 1.0)) ** (1 / gam))
    assert FocalTversky(a, b, gam)(logits, target, w).item() == pytest.approx(sum(terms) / 3, rel=1e-5)
    assert FocalTversky(a, b, gam)(logits, target, torch.ones(2)).item() == pytest.approx(
        FocalTversky(a, b, gam)(logits, target).item(), rel=1e-6
    )


def test_focal_tversky_smoothing_gives_lesion_free_batches_a_graded_loss():
    """A lesion-free batch: with smooth 1 the loss falls steadily as the false positives shrink; with a tiny ε it
    sits at 1 (no signal) until the false-positive mass is below ε, then drops off a cliff whose gradients
    saturated whole-slice training."""
    y = torch.zeros(2, 64, 64, dtype=torch.long)

    def loss(level, smooth):
        logits = torch.zeros(2, 2, 64, 64)
        logits[:, 1] = level  # the same small lesion probability everywhere
        return FocalTversky(0.7, 0.3, 4.0 / 3.0, include_background=False, smooth=smooth)(logits, y).item()

    graded = [loss(v, 1.0) for v in (-5.0, -9.0, -13.0)]
    assert graded[0] > graded[1] > graded[2] and graded[1] < 0.5
    assert loss(-9.0, 1e-6) > 0.999 and loss(-13.0, 1e-6) > 0.999


def test_focal_tversky_sums_of_batches_pool_to_the_loss_of_their_union():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 3, 5, 5, generator=g)
    target = torch.randint(0, 3, (6, 5, 5), generator=g)
    ftl = FocalTversky(0.7, 0.3, 4.0 / 3.0, include_background=False)
    pooled = ftl.sums(logits[:2], target[:2]) + ftl.sums(logits[2:], target[2:])
    assert ftl.from_sums(pooled).item() == pytest.approx(ftl(logits, target).item(), rel=1e-6)


def test_focal_tversky_ce_term_adds_the_voxel_mean_cross_entropy_and_pools():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 3, 6, 6, generator=g)
    target = torch.randint(0, 3, (4, 6, 6), generator=g)
    plain = FocalTversky(0.7, 0.3, 4.0 / 3.0, include_background=False)
    compound = FocalTversky(0.7, 0.3, 4.0 / 3.0, include_background=False, ce_weight=0.5)
    expected = plain(logits, target).item() + 0.5 * torch.nn.functional.cross_entropy(logits, target).item()
    assert compound(logits, target).item() == pytest.approx(expected, rel=1e-6)
    pooled = compound.sums(logits[:1], target[:1]) + compound.sums(logits[1:], target[1:])
    assert compound.from_sums(pooled).item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ConfigError, match="ce_weight"):
        FocalTversky(ce_weight=-1.0)


def test_focal_tversky_ce_term_pushes_background_voxels_of_an_all_lesion_start():
    """A net calling every voxel core: without the CE term a background voxel's logit gets a gradient that shrinks
    with the voxel count; with it, each background voxel gets a push of order 1/N toward background at least."""
    target = torch.zeros(1, 32, 32, dtype=torch.long)
    target[0, :2, :2] = 2
    logits = torch.zeros(1, 3, 32, 32)
    logits[:, 2] = 4.0
    grads = []
    for w in (0.0, 1.0):
        x = logits.clone().requires_grad_(True)
        FocalTversky(include_background=False, ce_weight=w)(x, target).backward()
        grads.append(-x.grad[0, 0, 20, 20].item())  # descent direction of a background voxel's background logit
    assert grads[1] > 5 * grads[0] > 0
