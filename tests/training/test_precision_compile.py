"""Mixed precision, channels-last and torch.compile settings: what each does on CPU and where it applies."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
import torch

from strokeseg.errors import ConfigError
from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.device import amp_dtype, is_2d
from strokeseg.training.trainer import FitOptions, fit
from tests.training.test_resume import _setup


def test_amp_is_float32_on_cpu_and_follows_the_recipe_on_cuda(monkeypatch):
    assert amp_dtype("auto", torch.device("cpu")) is None and amp_dtype("bf16", torch.device("cpu")) is None
    cuda = torch.device("cuda")
    assert amp_dtype("off", cuda) is None and amp_dtype("fp16", cuda) is torch.float16 and amp_dtype("bf16", cuda) is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert amp_dtype("auto", cuda) is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert amp_dtype("auto", cuda) is torch.float16  # older GPUs: fp16 with loss scaling


def test_recipe_precision_is_checked():
    assert load_recipe("clerigues-ct-2d-fast", {"amp": "bf16"}).train.amp == "bf16"
    with pytest.raises(ConfigError, match="amp"):
        load_recipe("clerigues-ct-2d-fast", {"amp": "fp8"})


def test_channels_last_applies_to_2d_networks_only():
    from strokeseg.models import build_network

    assert is_2d(build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=4, depth=2))
    assert not is_2d(build_network("asym-resunet", in_channels=2, num_classes=2, dims=3, base_filters=4, depth=2))


def test_a_failing_compile_falls_back_to_the_eager_weights_with_a_note(tmp_path, tiny_recipe, monkeypatch, caplog):
    model_a, train, val = _setup(tiny_recipe)
    eager = fit(model_a, tiny_recipe.train, train, val, torch.device("cpu"), tmp_path / "a", FitOptions(seed=5))

    def broken(module, *a, **k):
        def fail(*args):
            raise RuntimeError("no C++ compiler (simulated)")

        return fail

    monkeypatch.setattr(torch, "compile", broken)
    model_b, train, val = _setup(tiny_recipe)
    with caplog.at_level(logging.WARNING, logger="strokeseg"):
        res = fit(model_b, replace(tiny_recipe.train, compile=True), train, val, torch.device("cpu"), tmp_path / "b", FitOptions(seed=5))
    assert any("torch.compile failed" in r.getMessage() and "training eagerly" in r.getMessage() for r in caplog.records)
    assert all(torch.equal(eager.best_state[k], res.best_state[k]) for k in eager.best_state)
