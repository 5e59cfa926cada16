import numpy as np
import pytest
import torch

from strokeseg.inference.config import WindowConfig
from strokeseg.inference.sliding_window import entropy, sliding_window_predict, window_starts
from strokeseg.models import build_network


def test_window_starts_match_monai_scan():
    assert window_starts(256, 64, 16) == list(range(0, 193, 16))
    assert window_starts(70, 64, 16) == [0, 6]
    assert window_starts(10, 64, 16) == [0]


def _monai(x, net, roi, step):
    from monai.inferers import sliding_window_inference

    overlap = [1 - s / r for s, r in zip(step, roi)]
    inp = torch.from_numpy(x)[None]

    def predictor(t):
        if roi[0] == 1:
            return torch.softmax(net(t[:, :, 0]), 1).unsqueeze(2)
        return torch.softmax(net(t), 1)

    with torch.no_grad():
        return sliding_window_inference(inp, roi, 7, predictor, overlap=overlap, mode="constant")[0].numpy()


@pytest.mark.parametrize(
    ("roi", "step", "shape"),
    [((1, 16, 16), (1, 4, 4), (3, 40, 37)), ((8, 16, 16), (4, 8, 8), (13, 30, 33)), ((8, 16, 16), (4, 8, 8), (5, 20, 20))],
)
def test_equals_monai_sliding_window_inference(roi, step, shape):
    torch.manual_seed(0)
    dims = 2 if roi[0] == 1 else 3
    net = build_network("asym-resunet", in_channels=3, num_classes=2, dims=dims, base_filters=4, depth=2, dropout=0.0)
    net.eval()
    x = np.random.default_rng(0).normal(size=(3, *shape)).astype(np.float32)
    ours = sliding_window_predict(x, [net], WindowConfig(roi, step, batch_size=5)).probs
    theirs = _monai(x, net, roi, step)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_constant_model_stitches_to_a_constant():
    class Const(torch.nn.Module):
        def forward(self, t):
            out = torch.zeros(t.shape[0], 2, *t.shape[2:])
            out[:, 1] = 2.0
            return out

    x = np.zeros((1, 4, 50, 45), np.float32)
    res = sliding_window_predict(x, [Const()], WindowConfig((1, 16, 16), (1, 5, 7), batch_size=11))
    np.testing.assert_allclose(res.probs[1], torch.softmax(torch.tensor([0.0, 2.0]), 0)[1].item(), atol=1e-6)
    assert np.all(res.variance < 1e-12)


def test_mc_dropout_and_ensembles_give_variance():
    torch.manual_seed(0)
    nets = [
        build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=4, depth=3, dropout=0.5, mc_levels=2)
        for _ in range(2)
    ]
    x = np.random.default_rng(1).normal(size=(2, 2, 24, 24)).astype(np.float32)
    det = sliding_window_predict(x, nets[:1], WindowConfig((1, 16, 16), (1, 8, 8), mc_passes=1))
    assert np.all(det.variance < 1e-10) and det.samples == 1
    mc = sliding_window_predict(x, nets, WindowConfig((1, 16, 16), (1, 8, 8), mc_passes=3, mc_dropout=0.1, tta_flip=True))
    assert mc.samples == 12 and mc.variance.max() > 0
    np.testing.assert_allclose(mc.probs.sum(0), 1.0, atol=1e-5)
    ent = entropy(mc.probs)
    assert ent.shape == (2, 24, 24) and 0 <= ent.min() and ent.max() <= 1


def test_mc_dropout_is_reproducible_and_leaves_the_callers_random_state_alone():
    torch.manual_seed(0)
    net = build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=4, depth=3, dropout=0.5, mc_levels=2)
    x = np.random.default_rng(1).normal(size=(2, 2, 24, 24)).astype(np.float32)
    state = torch.get_rng_state()
    a = sliding_window_predict(x, [net], WindowConfig((1, 16, 16), (1, 8, 8), mc_passes=3, mc_dropout=0.3))
    assert torch.equal(torch.get_rng_state(), state)
    torch.rand(100)  # whatever ran before does not change the Monte-Carlo masks
    b = sliding_window_predict(x, [net], WindowConfig((1, 16, 16), (1, 8, 8), mc_passes=3, mc_dropout=0.3))
    c = sliding_window_predict(x, [net], WindowConfig((1, 16, 16), (1, 8, 8), mc_passes=3, mc_dropout=0.3, seed=1))
    np.testing.assert_array_equal(a.probs, b.probs)
    assert np.abs(a.probs - c.probs).max() > 1e-4 and a.variance.max() > 0


def test_mc_draws_do_not_depend_on_the_threads(monkeypatch):
    import strokeseg.inference.sliding_window as sw

    torch.manual_seed(0)
    net = build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=4, depth=3, dropout=0.5, mc_levels=2)
    x = np.random.default_rng(1).normal(size=(2, 3, 40, 40)).astype(np.float32)
    cfg = WindowConfig((1, 16, 16), (1, 8, 8), batch_size=5, mc_passes=3, mc_dropout=0.3)
    threads = torch.get_num_threads()
    runs = []
    for workers in (1, 2):
        monkeypatch.setattr(sw, "_workers", lambda device, n, w=workers: w)
        runs.append(sliding_window_predict(x, [net], cfg))
        assert torch.get_num_threads() == threads  # the threads are given back
    # the same masks: equal up to the float rounding of one- against two-thread convolutions, far below the MC noise
    np.testing.assert_allclose(runs[0].probs, runs[1].probs, atol=1e-6)
    np.testing.assert_allclose(runs[0].variance, runs[1].variance, atol=1e-6)
    other_seed = sliding_window_predict(x, [net], WindowConfig((1, 16, 16), (1, 8, 8), batch_size=5, mc_passes=3, mc_dropout=0.3, seed=1))
    assert np.abs(other_seed.probs - runs[0].probs).max() > 1e-3 and runs[0].variance.max() > 0


def test_dropout_masks_come_from_the_given_generator():
    from strokeseg.models.layers import MCDropout, dropout_masks_from

    layer = MCDropout(0.5)
    layer.mc = True
    layer.eval()
    x = torch.ones(1000)
    with torch.inference_mode():
        with dropout_masks_from(torch.Generator().manual_seed(3)):
            a = layer(x.clone())
        with dropout_masks_from(torch.Generator().manual_seed(3)):
            b = layer(x.clone())
        c = layer(x.clone())  # the global generator again
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert set(a.unique().tolist()) == {0.0, 2.0} and 400 < int((a == 0).sum()) < 600
