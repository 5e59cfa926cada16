"""Precise batch norm: running statistics recomputed from the current weights' population."""

import torch
from torch import nn

from strokeseg.training.trainer import recalibrate_batch_norm


def _batches(data: torch.Tensor, size: int):
    for i in range(0, len(data), size):
        x = data[i : i + size]
        yield x, torch.zeros(len(x), dtype=torch.long), torch.ones(len(x))


def test_recalibration_gives_the_population_statistics_not_the_moving_average():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Conv2d(3, 1, 1))
    data = torch.randn(64, 2, 8, 8) * 3.0 + 1.0
    net.train()
    with torch.no_grad():
        for x, _, _ in _batches(data[:8] * 10.0, 4):  # a moving average polluted by outlying batches
            net(x)
    used = recalibrate_batch_norm(net, _batches(data, 16), samples=48, device=torch.device("cpu"))
    assert used == 48
    with torch.no_grad():
        feats = net[0](data[:48])
    bn = net[1]
    torch.testing.assert_close(bn.running_mean, feats.mean((0, 2, 3)), rtol=1e-4, atol=1e-5)
    # the cumulative average of per-batch unbiased variances, as batch norm accumulates them
    per_batch = torch.stack([feats[i : i + 16].var((0, 2, 3), unbiased=True) for i in range(0, 48, 16)])
    torch.testing.assert_close(bn.running_var, per_batch.mean(0), rtol=1e-4, atol=1e-5)
    assert bn.momentum == 0.1  # restored


def test_layers_in_eval_mode_are_left_alone():
    net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2))
    net.train()
    net[1].eval()  # e.g. a frozen pretrained backbone's batch norm
    before = net[1].running_mean.clone()
    assert recalibrate_batch_norm(net, _batches(torch.randn(8, 1, 4, 4) + 5, 4), 8, torch.device("cpu")) == 0
    assert torch.equal(net[1].running_mean, before)
