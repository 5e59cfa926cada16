"""CUDA paths (mixed-precision training, sliding windows on the device, parallel folds sharing one GPU).

Skipped on machines without CUDA (CI); run on a GPU machine with ``pytest -m gpu``.
"""

import numpy as np
import pytest
import torch

from strokeseg.inference.config import WindowConfig
from strokeseg.inference.sliding_window import sliding_window_predict
from strokeseg.models import build_network
from strokeseg.training.cv import cross_validate
from strokeseg.training.device import select_device, use_amp
from tests.helpers import synthetic_case

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_auto_device_is_cuda_with_mixed_precision():
    dev = select_device("auto")
    assert dev.type == "cuda" and use_amp(dev)


def test_sliding_window_on_cuda_matches_cpu():
    torch.manual_seed(0)
    net = build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=4, depth=3, dropout=0.1, mc_levels=2)
    x = np.random.default_rng(1).normal(size=(2, 3, 40, 36)).astype(np.float32)
    cpu = sliding_window_predict(x, [net], WindowConfig((1, 16, 16), (1, 8, 8), batch_size=7))
    gpu = sliding_window_predict(x, [net], WindowConfig((1, 16, 16), (1, 8, 8), batch_size=7), "cuda")
    np.testing.assert_allclose(gpu.probs, cpu.probs, atol=1e-4)


def test_mc_dropout_on_cuda_draws_from_the_batch_generators():
    torch.manual_seed(0)
    net = build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=4, depth=3, dropout=0.5, mc_levels=2)
    x = np.random.default_rng(1).normal(size=(2, 3, 40, 36)).astype(np.float32)
    cfg = WindowConfig((1, 16, 16), (1, 8, 8), batch_size=7, mc_passes=3, mc_dropout=0.3)
    a = sliding_window_predict(x, [net], cfg, "cuda")
    b = sliding_window_predict(x, [net], cfg, "cuda")
    np.testing.assert_array_equal(a.probs, b.probs)  # reproducible from cfg.seed on the device
    assert a.variance.max() > 0 and np.isfinite(a.probs).all()


def test_parallel_folds_train_with_amp_on_one_gpu(tmp_path, tiny_recipe):
    cases = [synthetic_case(i) for i in range(6)]
    bundle, result = cross_validate(cases, tiny_recipe, tmp_path / "m", torch.device("cuda"), log=lambda *_: None, jobs=2)
    assert bundle.meta["device"].startswith("cuda") and len(bundle.folds) == 2
    assert all(f["epochs_run"] >= 1 for f in bundle.folds)
    assert np.isfinite([r["dice"] for r in result.rows]).all()
    assert np.mean([r["dice"] for r in result.rows]) > 0.3  # the bright lesion is learnt in 3 short epochs


def test_batches_assembled_on_the_gpu_match_the_cpu(tiny_recipe):
    from strokeseg.preprocessing.normalization import Normalizer
    from strokeseg.training.data import PatchData

    cases = [synthetic_case(i) for i in range(3)]
    norm = Normalizer(cases[0].channels, "dataset")
    norm.fit((c.x, c.brain) for c in cases)
    cpu = list(PatchData(cases, tiny_recipe.sampling_plan, norm, 1).batches(1, 8, seed=2))
    gpu = list(PatchData(cases, tiny_recipe.sampling_plan, norm, 1).to("cuda").batches(1, 8, seed=2))
    assert len(cpu) == len(gpu) and gpu[0][0].is_cuda
    for (xa, ya, _), (xb, yb, _) in zip(cpu, gpu):
        torch.testing.assert_close(xb.cpu(), xa, atol=1e-4, rtol=1e-4)
        assert (yb.cpu() != ya).float().mean() < 0.01  # nearest-neighbour labels may flip on a rounding tie


def test_mixed_precision_trains_as_well_as_float32_on_a_reduced_run(tmp_path, tiny_recipe):
    from dataclasses import replace

    cases = [synthetic_case(i) for i in range(6)]
    dice = {}
    for amp in ("off", "auto"):
        recipe = replace(tiny_recipe, train=replace(tiny_recipe.train, amp=amp))
        _, result = cross_validate(cases, recipe, tmp_path / amp, torch.device("cuda"), log=lambda *_: None)
        dice[amp] = float(np.mean([r["dice"] for r in result.rows]))
    assert abs(dice["auto"] - dice["off"]) < 0.05, dice


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices")
def test_folds_trained_at_once_go_to_different_gpus(tmp_path, tiny_recipe):
    from strokeseg.training.cv import fold_devices

    assert fold_devices(torch.device("cuda"), 2, torch.cuda.device_count()) == ["cuda:0", "cuda:1"]
    bundle, _ = cross_validate(
        [synthetic_case(i) for i in range(6)], tiny_recipe, tmp_path / "m", torch.device("cuda"), log=lambda *_: None, jobs=2
    )
    assert len(bundle.folds) == 2


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices")
def test_ddp_over_two_gpus_trains_the_weights_of_one(tmp_path):
    from tests.helpers import small_ct_cohort
    from tests.training import test_distributed as td

    data = small_ct_cohort(tmp_path / "ph", 4, seed=4)
    common = [*td.TINY, "--data", str(data), "--epochs", "2", "--device", "cuda", "--set", "amp=off"]
    td._train([*common, "--out", str(tmp_path / "one")], 1)
    td._train([*common, "--out", str(tmp_path / "two")], 2)
    assert td._max_weight_diff(tmp_path / "one", tmp_path / "two") < 1e-4  # cuDNN kernels are not bit-reproducible


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices")
def test_a_predictor_moved_to_another_gpu_predicts_the_same(tmp_path, tiny_recipe):
    from strokeseg.prediction.engine import PredictOptions, Predictor

    cases = [synthetic_case(i) for i in range(6)]
    bundle, _ = cross_validate(cases, tiny_recipe, tmp_path / "m", torch.device("cuda"), log=lambda *_: None)
    first = Predictor([bundle], PredictOptions(device="cuda:0"))
    second = first.on("cuda:1")
    assert str(second.device) == "cuda:1" and next(second.models[0][0].parameters()).device.index == 1
