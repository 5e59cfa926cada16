"""Gradient-norm clipping of one training step, its logging and its recipe field."""

import csv

import pytest
import torch
from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.logs import write_log
from strokeseg.training.trainer import backward_step


def _step(clip: float):
    torch.manual_seed(0)
    net = nn.Linear(4, 1)
    before = [p.detach().clone() for p in net.parameters()]
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    x = torch.randn(8, 4) * 100.0
    loss = (net(x) ** 2).mean()
    norm = backward_step(loss, opt, scaler, clip)
    step = torch.sqrt(sum(((p.detach() - b) ** 2).sum() for p, b in zip(net.parameters(), before)))
    return norm, float(step)


def test_the_step_is_the_gradient_norm_unclipped_and_the_clip_when_clipped():
    norm, step = _step(0.0)
    assert norm > 10.0 and step == pytest.approx(norm, rel=1e-5)  # SGD lr 1: the step is the gradient
    norm_c, step_c = _step(0.5)
    assert norm_c == pytest.approx(norm, rel=1e-5)  # the norm before clipping is reported
    assert step_c == pytest.approx(0.5, rel=1e-4)


def test_grad_clip_is_validated():
    assert load_recipe("slow-fusion-vgg16-fast", ["grad_clip=2.5"]).train.grad_clip == 2.5
    assert load_recipe("clerigues-ct-2d-fast").train.grad_clip == 0.0
    with pytest.raises(ConfigError, match="grad_clip must be a gradient norm >= 0"):
        load_recipe("clerigues-ct-2d-fast", ["grad_clip=-1"])
    with pytest.raises(ConfigError, match="grad_clip is not supported with adversarial training"):
        load_recipe("adversarial-segnet-fast", ["grad_clip=1"])


def test_the_log_holds_every_column_of_every_row(tmp_path):
    rows = [{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.4, "grad_norm_max": 3.0}]
    write_log(tmp_path / "log.csv", rows)
    got = list(csv.DictReader((tmp_path / "log.csv").open(encoding="utf-8")))
    assert got[0]["grad_norm_max"] == "" and got[1]["grad_norm_max"] == "3.0"
