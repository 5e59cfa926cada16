"""Batch norms folded into convolutions give the same probabilities; skipped windows change nothing inside the mask."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from strokeseg.inference.config import WindowConfig
from strokeseg.inference.fusion import fold_batch_norms
from strokeseg.inference.sliding_window import _grid, sliding_window_predict, windows_touching
from strokeseg.models import build_network


def _trained_like(net: torch.nn.Module) -> torch.nn.Module:
    """Batch norms with non-trivial running statistics and affine parameters (as after training)."""
    g = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.2)
    return net.eval()


@pytest.mark.parametrize(
    ("dims", "roi", "step", "shape"), [(2, (1, 32, 32), (1, 8, 8), (3, 50, 47)), (3, (8, 16, 16), (4, 8, 8), (10, 24, 26))]
)
def test_folded_network_predicts_the_same(dims, roi, step, shape):
    torch.manual_seed(0)
    net = _trained_like(build_network("asym-resunet", in_channels=3, num_classes=2, dims=dims, base_filters=8, depth=3, dropout=0.0))
    fused, n = fold_batch_norms(net)
    assert n > 0 and not any(isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)) for m in fused.modules())
    folded = [m.skip_in_body for m in fused.modules() if hasattr(m, "skip_in_body")]
    assert sum(folded) == 2 and len(folded) == 5  # the decoder's one-convolution blocks fold their identity skip
    assert any(isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm3d) for m in net.modules())  # the original is untouched
    x = np.random.default_rng(0).normal(size=(3, *shape)).astype(np.float32)
    cfg = WindowConfig(roi, step, batch_size=16)
    a = sliding_window_predict(x, [net], cfg).probs
    b = sliding_window_predict(x, [fused], cfg).probs
    assert np.abs(a - b).max() <= 1e-5


def test_windows_touching_matches_a_direct_check():
    rng = np.random.default_rng(2)
    mask = np.zeros((4, 40, 36), bool)
    mask[1:3, 5:12, 20:30] = True
    mask[3, 33, 2] = True
    starts = _grid(mask.shape, (1, 16, 16), (1, 4, 4))
    direct = np.array([mask[z : z + 1, y : y + 16, x : x + 16].any() for z, y, x in starts])
    assert np.array_equal(windows_touching(mask, starts, (1, 16, 16)), direct)
    assert not windows_touching(np.zeros_like(mask), starts, (1, 16, 16)).any()
    big = rng.random((6, 20, 20)) > 0.995
    st3 = _grid(big.shape, (4, 8, 8), (2, 4, 4))
    direct3 = np.array([big[z : z + 4, y : y + 8, x : x + 8].any() for z, y, x in st3])
    assert np.array_equal(windows_touching(big, st3, (4, 8, 8)), direct3)


def test_skipping_windows_outside_the_mask_keeps_the_probabilities_inside():
    torch.manual_seed(0)
    net = build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=4, depth=2, dropout=0.0).eval()
    x = np.random.default_rng(3).normal(size=(2, 3, 64, 60)).astype(np.float32)
    brain = np.zeros((3, 64, 60), bool)
    brain[:2, 10:30, 8:26] = True  # slice 2 has no brain at all
    cfg = WindowConfig((1, 16, 16), (1, 4, 4), batch_size=9)
    full = sliding_window_predict(x, [net], cfg)
    part = sliding_window_predict(x, [net], cfg, within=brain)
    np.testing.assert_allclose(part.probs[:, brain], full.probs[:, brain], atol=1e-6)
    assert np.all(part.probs[0, 2] == 1.0) and np.all(part.variance[2] == 0.0)  # no window there: background
    np.testing.assert_allclose(part.probs.sum(0), 1.0, atol=1e-5)
    empty = sliding_window_predict(x, [net], cfg, within=np.zeros_like(brain))
    assert np.all(empty.probs[0] == 1.0) and np.all(empty.probs[1] == 0.0)
