"""The adversarial SegNet's phase-5 objective (training.adversarial): the paper's J_Adv or the non-saturating form."""

import pytest
import torch
from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.losses.adversarial import bce_logits, relativistic_d_loss
from strokeseg.recipes import load_recipe
from strokeseg.recipes.specs import AdversarialSpec
from strokeseg.training.adversarial import AdversarialPhases


class _Seg(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def _d_losses(ph: AdversarialPhases, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """D1's and D3's losses on the segmenter's predicted maps (D3 on a fixed channel order)."""
    g = nn.functional.one_hot(y.long(), 3).movedim(-1, 1).float()
    with torch.no_grad():
        p = torch.softmax(model(x), 1)
        d1 = relativistic_d_loss(ph.d[0](torch.cat([x, g[:, 1:2]], 1)), ph.d[0](torch.cat([x, p[:, 1:2]], 1)))
        d3 = bce_logits(ph.d[2](torch.cat([x, p[:, 1:3]], 1)), torch.ones(x.shape[0]))
    return float(d1), float(d3)


def _phase5_effect(objective: str, weights: tuple[float, float, float]) -> tuple[float, float]:
    """How phase 5 alone (discriminators fixed, no segmentation loss) moves D1's and D3's losses on the predicted maps."""
    torch.manual_seed(0)
    x = torch.randn(4, 2, 32, 32)
    y = torch.randint(0, 3, (4, 32, 32))
    model = _Seg()
    ph = AdversarialPhases(2, 3, AdversarialSpec(weights=weights, base=4, objective=objective), torch.device("cpu"))
    ph.d.eval()
    before = _d_losses(ph, model, x, y)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for prm in ph.d.parameters():
        prm.requires_grad_(False)
    no_seg = lambda logits, _y: logits.sum() * 0.0  # noqa: E731  (the adversarial terms alone)
    for k in range(5):
        opt.zero_grad()
        ph.segmenter_objective(model(x), x, y, no_seg, torch.Generator().manual_seed(k)).backward()
        opt.step()
    after = _d_losses(ph, model, x, y)
    return after[0] - before[0], after[1] - before[1]


def test_both_objectives_fool_d1_and_only_the_papers_also_fools_d3():
    """J_Adv = −αJ_D1 − βJ_D2 − γJ_D3 minimised makes every discriminator err more; the non-saturating form fools D1
    and D2 too, but minimises D3's loss (the opposite sign of the paper's γ term)."""
    assert _phase5_effect("paper", (1.0, 0.0, 0.0))[0] > 0 and _phase5_effect("nonsaturating", (1.0, 0.0, 0.0))[0] > 0
    assert _phase5_effect("paper", (0.0, 0.0, 1.0))[1] > 0 > _phase5_effect("nonsaturating", (0.0, 0.0, 1.0))[1]


def test_one_iteration_of_either_objective_trains_and_stays_finite():
    torch.manual_seed(0)
    x, y = torch.randn(2, 2, 32, 32), torch.randint(0, 3, (2, 32, 32))
    for objective in ("paper", "nonsaturating"):
        model = _Seg()
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        ph = AdversarialPhases(2, 3, AdversarialSpec(base=4, objective=objective), torch.device("cpu"))
        w0 = model.conv.weight.clone()
        loss = ph.step(model, opt, nn.CrossEntropyLoss(), x, y, torch.Generator().manual_seed(0))
        assert torch.isfinite(torch.tensor(loss)) and not torch.equal(model.conv.weight, w0)


def test_the_recipe_uses_the_papers_objective_and_refuses_an_unknown_one():
    assert load_recipe("adversarial-segnet").train.adversarial.objective == "paper"
    assert load_recipe("adversarial-segnet-fast").train.adversarial.objective == "paper"
    with pytest.raises(ConfigError, match=r"adversarial\.objective must be one of paper, nonsaturating"):
        load_recipe("adversarial-segnet", ["adversarial.objective=wgan"]).train  # noqa: B018
