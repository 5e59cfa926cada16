"""Fine-tuning stages: which backbone blocks train, and the switch to the next stage on patience."""

from strokeseg.models import build_network
from strokeseg.recipes.recipe import load_recipe
from strokeseg.training.trainer import configure_stage, stopping_metric


def _recipe(stages):
    return load_recipe("slow-fusion-vgg16-fast", {"fine_tuning": stages})


def test_frozen_half_and_all_stages():
    net = build_network("slow-fusion-vgg16", in_channels=3, num_classes=3, n_scalars=1, width_div=16)
    r = _recipe([{"unfrozen": 0.0}, {"unfrozen": 0.5}, {"unfrozen": 1.0}])
    blocks = net.backbone_stages()
    head = list(net.decoder.parameters())
    configure_stage(net, r.train, 0)
    assert not any(p.requires_grad for b in blocks for p in b) and all(p.requires_grad for p in head)
    configure_stage(net, r.train, 1)  # half of the weights: VGG-16's last block (two blocks would be 88 %)
    assert [all(p.requires_grad for p in b) for b in blocks] == [False, False, False, False, True]
    share = sum(p.numel() for p in blocks[-1]) / sum(p.numel() for b in blocks for p in b)
    assert 0.4 < share < 0.6
    configure_stage(net, r.train, 2)
    assert all(p.requires_grad for p in net.parameters())


def test_pspnet_two_stage_learning_rates_and_dice_stopping():
    from strokeseg.training.trainer import _optimizer

    r = load_recipe("pspnet-ct-fast", {"network.kwargs.width_div": 16})
    net = build_network("pspnet", in_channels=5, num_classes=2, width_div=16)
    opt0 = _optimizer(net, r.train, 0)
    n_new = sum(p.numel() for g in opt0.param_groups for p in g["params"])
    assert opt0.param_groups[0]["lr"] == 0.01
    assert n_new == sum(p.numel() for m in (net.init, net.ppm, net.head) for p in m.parameters())
    opt1 = _optimizer(net, r.train, 1)
    assert opt1.param_groups[0]["lr"] == 0.001 and sum(p.numel() for p in opt1.param_groups[0]["params"]) == sum(
        p.numel() for p in net.parameters()
    )
    assert abs(stopping_metric(r.train, {"train_loss": 1.0, "val_loss": 0.5, "val_dice": 0.8}) - 0.2) < 1e-9  # 1 − Dice


def test_frozen_batch_norm_keeps_its_running_statistics():
    import torch

    from strokeseg.training.trainer import train_mode

    net = build_network("segnet-vgg11", in_channels=3, num_classes=3, width_div=16)
    r = load_recipe("adversarial-segnet-fast", {"fine_tuning": [{"unfrozen": 0.0}, {"unfrozen": 1.0}]})
    bns = [m for m in net.encoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns, "the VGG-11-BN encoder has batch norm"
    configure_stage(net, r.train, 0)
    train_mode(net, keep_frozen_statistics=False)  # a random backbone: statistics still follow the data
    assert all(b.training for b in bns)
    train_mode(net)  # a pretrained one: frozen layers keep theirs
    before = [b.running_mean.clone() for b in bns]
    net(torch.randn(2, 3, 32, 32) * 5 + 3)
    assert all(not b.training for b in bns)
    assert all(torch.equal(a, b.running_mean) for a, b in zip(before, bns))
    configure_stage(net, r.train, 1)  # unfrozen: statistics update again
    train_mode(net)
    net(torch.randn(2, 3, 32, 32) * 5 + 3)
    assert all(b.training for b in bns) and not torch.equal(before[0], bns[0].running_mean)


def test_non_lvo_penalty_weights_the_samples_of_non_lvo_cases():
    import numpy as np
    import pytest

    from strokeseg.errors import ConfigError
    from strokeseg.preprocessing.normalization import Normalizer
    from strokeseg.training.data import PatchData
    from tests.helpers import synthetic_case

    r = load_recipe("slow-fusion-vgg16-fast", {"sampling.patch_size": [1, 40, 40], "inference.step": [1, 40, 40], "batch_size": 4})
    assert r.train.group_penalty == {"non-LVO": 2.0}
    cases = [synthetic_case(i) for i in range(2)]  # c0 non-LVO, c1 LVO
    norm = Normalizer(cases[0].channels).fit((c.x, c.brain) for c in cases)
    data = PatchData(cases, r.sampling_plan, norm, seed=0, augment=False)
    seen = np.concatenate([w.numpy() for _x, _y, w in data.batches(0, 4, shuffle=False)])
    expect = np.where(data.patches.case_index == 0, 2.0, 1.0)
    np.testing.assert_array_equal(seen, expect)
    with pytest.raises(ConfigError, match="group_penalty needs a loss that takes sample weights"):
        load_recipe("slow-fusion-vgg16-fast", {"loss": {"name": "ce", "kwargs": {}}})


def test_frozen_stages_are_skipped_for_a_random_backbone_unless_asked_to_keep_them():
    from strokeseg.recipes.specs import FineTuningStage

    stages = [{"unfrozen": 0.0, "lr": 0.01}, {"unfrozen": 0.5}, {"unfrozen": 1.0, "lr": 1e-4}]
    typed = (FineTuningStage(0.0, 0.01), FineTuningStage(0.5, None), FineTuningStage(1.0, 1e-4))
    r = _recipe(stages)
    assert r.stages_for(pretrained=True) == typed == r.train.fine_tuning
    assert r.stages_for(pretrained=False) == (FineTuningStage(1.0, 1e-4),)
    keep = load_recipe("slow-fusion-vgg16-fast", {"fine_tuning": stages, "fine_tuning_without_pretrained": "keep"})
    assert keep.stages_for(pretrained=False) == typed
