"""A run killed mid-epoch and resumed ends with exactly the weights of an uninterrupted run (CPU)."""

import pytest
import torch

from strokeseg.models import build_network
from strokeseg.preprocessing.normalization import Normalizer
from strokeseg.training.data import PatchData
from strokeseg.training.trainer import FitOptions, fit
from tests.helpers import synthetic_case


def _stop_after(n):
    def hook(done):
        if done >= n:
            raise KeyboardInterrupt("stopped on request (simulated interruption)")

    return hook


def _setup(recipe):
    cases = [synthetic_case(i) for i in range(3)]
    norm = Normalizer(cases[0].channels).fit((c.x, c.brain) for c in cases)
    train = PatchData(cases[:2], recipe.sampling_plan, norm, seed=3)
    val = PatchData(cases[2:], recipe.sampling_plan, norm, seed=4, augment=False)
    torch.manual_seed(0)
    model = build_network("asym-resunet", in_channels=2, num_classes=2, **recipe.train.network.kwargs)
    return model, train, val


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, tiny_recipe):
    model_a, train, val = _setup(tiny_recipe)
    res_a = fit(model_a, tiny_recipe.train, train, val, torch.device("cpu"), tmp_path / "a", FitOptions(seed=5))
    model_b, train, val = _setup(tiny_recipe)
    per_epoch = (len(train) + tiny_recipe.train.batch_size - 1) // tiny_recipe.train.batch_size
    with pytest.raises(KeyboardInterrupt):
        fit(
            model_b,
            tiny_recipe.train,
            train,
            val,
            torch.device("cpu"),
            tmp_path / "b",
            FitOptions(seed=5, on_batch=_stop_after(per_epoch + 2)),
        )
    model_c, train, val = _setup(tiny_recipe)
    res_c = fit(model_c, tiny_recipe.train, train, val, torch.device("cpu"), tmp_path / "b", FitOptions(resume=True, seed=5))
    for k, v in model_a.state_dict().items():
        assert torch.equal(v, model_c.state_dict()[k]), k
    assert res_a.best_epoch == res_c.best_epoch and len(res_c.rows) == tiny_recipe.train.epochs
    for k, v in res_a.best_state.items():
        assert torch.equal(v, res_c.best_state[k]), k
    log = (tmp_path / "b" / "log.csv").read_text(encoding="utf-8").splitlines()
    header = log[0].split(",")
    assert header[:2] == ["epoch", "train_loss"] and len(log) == 4
    assert {"val_loss", "val_l1", "val_error", "val_dice", "val_metric", "stage", "lr", "grad_norm_max"} <= set(header)
    assert (tmp_path / "a" / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_a_run_that_hit_its_epoch_cap_continues_when_resumed_with_more_epochs(tmp_path, tiny_recipe):
    from dataclasses import replace

    long = replace(tiny_recipe, train=replace(tiny_recipe.train, epochs=3, patience=100))
    short = replace(long, train=replace(long.train, epochs=2))
    model_a, train, val = _setup(long)
    res_a = fit(model_a, long.train, train, val, torch.device("cpu"), tmp_path / "a", FitOptions(seed=5))
    model_b, train, val = _setup(short)
    assert len(fit(model_b, short.train, train, val, torch.device("cpu"), tmp_path / "b", FitOptions(seed=5)).rows) == 2
    model_c, train, val = _setup(long)
    res_c = fit(model_c, long.train, train, val, torch.device("cpu"), tmp_path / "b", FitOptions(resume=True, seed=5))
    assert [r["epoch"] for r in res_c.rows] == [1, 2, 3] and res_c.best_epoch == res_a.best_epoch
    for k, v in model_a.state_dict().items():
        assert torch.equal(v, model_c.state_dict()[k]), k
    # resumed again with the same cap, the finished run is returned as it is
    model_d, train, val = _setup(long)
    res_d = fit(model_d, long.train, train, val, torch.device("cpu"), tmp_path / "b", FitOptions(resume=True, seed=5))
    assert len(res_d.rows) == 3 and res_d.best_epoch == res_c.best_epoch


def test_early_stopping_keeps_the_best_weights(tmp_path, tiny_recipe):
    from dataclasses import replace

    recipe = replace(tiny_recipe, train=replace(tiny_recipe.train, epochs=6, patience=1))
    model, train, val = _setup(recipe)
    res = fit(model, recipe.train, train, val, torch.device("cpu"), tmp_path, FitOptions(seed=1))
    metrics = [r["val_metric"] for r in res.rows]
    assert res.best_epoch == 1 + metrics.index(min(metrics))
    assert len(res.rows) <= recipe.train.epochs
    if res.stopped_early:
        assert len(res.rows) == res.best_epoch + recipe.train.patience


def test_a_diverged_loss_stops_training_with_a_clear_error(tmp_path, tiny_recipe, monkeypatch):
    from strokeseg.errors import TrainingError
    from strokeseg.training import trainer

    class NaNLoss(torch.nn.Module):
        def forward(self, logits, target):
            return logits.sum() * float("nan")

    monkeypatch.setattr(trainer, "build_loss", lambda *a, **k: NaNLoss())
    model, train, val = _setup(tiny_recipe)
    with pytest.raises(TrainingError, match="training diverged"):
        trainer.fit(model, tiny_recipe.train, train, val, torch.device("cpu"), tmp_path / "nan", trainer.FitOptions(seed=1))
