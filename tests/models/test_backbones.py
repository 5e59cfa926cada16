"""Backbones with torchvision's state_dict keys: parameter counts, key names, loading a weight file."""

import pytest
import torch

from strokeseg.errors import ConfigError
from strokeseg.models import build_network
from strokeseg.models.backbones import ResNet50, VGGFeatures, count_parameters, load_pretrained
from strokeseg.models.registry import apply_pretrained

VGG16_CONVS = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]  # torchvision vgg16 features indices of the convolutions


def test_parameter_counts_equal_torchvision():
    # torchvision: vgg16 138,357,544 − classifier 123,642,856; vgg11_bn 132,868,840 − classifier; resnet50 25,557,032
    # − fc 2,049,000
    assert count_parameters(VGGFeatures("vgg16")) == 14_714_688
    assert count_parameters(VGGFeatures("vgg11", batch_norm=True)) == 132_868_840 - 123_642_856
    assert count_parameters(ResNet50()) == 25_557_032 - 2_049_000


def test_state_dict_keys_are_torchvision_keys():
    keys = set(VGGFeatures("vgg16").state_dict())
    assert keys == {f"features.{i}.{p}" for i in VGG16_CONVS for p in ("weight", "bias")}
    rk = set(ResNet50().state_dict())
    for k in (
        "conv1.weight",
        "bn1.running_var",
        "layer1.0.downsample.0.weight",
        "layer1.0.downsample.1.bias",
        "layer3.5.conv2.weight",
        "layer4.2.bn3.num_batches_tracked",
    ):
        assert k in rk
    assert len([k for k in rk if k.endswith(".weight") and "conv" in k]) == 1 + 3 * (3 + 4 + 6 + 3)


def test_dilated_resnet_has_output_stride_8():
    r = ResNet50((False, True, True), width_div=16).eval()
    assert r(torch.zeros(1, 3, 64, 64)).shape[-2:] == (8, 8)
    assert ResNet50(width_div=16).eval()(torch.zeros(1, 3, 64, 64)).shape[-2:] == (2, 2)


def _torchvision_like_vgg16(path):
    sd = {k: torch.randn(v.shape) for k, v in VGGFeatures("vgg16").state_dict().items()}
    sd.update({"classifier.0.weight": torch.randn(4, 4), "classifier.0.bias": torch.randn(4)})  # a head we ignore
    torch.save(sd, path)
    return sd


def test_a_torchvision_vgg16_file_loads_into_every_slow_fusion_branch(tmp_path):
    sd = _torchvision_like_vgg16(tmp_path / "vgg16.pth")
    net = build_network("slow-fusion-vgg16", in_channels=3, num_classes=3, n_scalars=1)
    rec = apply_pretrained(net, tmp_path / "vgg16.pth")
    assert rec["pretrained"] and rec["ignored_keys"] == 2
    for b in range(2):
        assert torch.equal(net.state_dict()[f"branches.{b}.features.28.weight"], sd["features.28.weight"])


def test_a_torchvision_vgg16_bn_file_loads_into_batch_norm_slow_fusion_branches(tmp_path):
    # torchvision vgg16_bn: 138,365,992 parameters − classifier 123,642,856
    assert count_parameters(VGGFeatures("vgg16", batch_norm=True)) == 138_365_992 - 123_642_856
    sd = {k: torch.randn(v.shape) if v.is_floating_point() else v for k, v in VGGFeatures("vgg16", batch_norm=True).state_dict().items()}
    assert "features.41.running_var" in sd and "features.40.weight" in sd  # torchvision's last vgg16_bn conv / BN indices
    torch.save(sd, tmp_path / "vgg16_bn.pth")
    net = build_network("slow-fusion-vgg16", in_channels=3, num_classes=3, n_scalars=1, batch_norm=True)
    rec = apply_pretrained(net, tmp_path / "vgg16_bn.pth")
    assert rec["backbones"] == ["vgg16_bn", "vgg16_bn"] and rec["ignored_keys"] == 0
    for b in range(2):
        assert torch.equal(net.state_dict()[f"branches.{b}.features.41.running_var"], sd["features.41.running_var"])
    # the decoder and bottlenecks are normalised too (batch norm after every 3x3 convolution)
    n_conv = sum(isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3) for m in net.modules())
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) == n_conv
    # a plain vgg16 file does not fit a vgg16_bn branch: named, not silently half-loaded
    _torchvision_like_vgg16(tmp_path / "vgg16.pth")
    with pytest.raises(ConfigError, match=r"vgg16\.pth"):
        apply_pretrained(net, tmp_path / "vgg16.pth")


def test_inflated_vgg16_takes_2d_weights_the_i3d_way(tmp_path):
    sd = _torchvision_like_vgg16(tmp_path / "vgg16.pth")
    net = build_network("inflated-fusion-vgg16", in_channels=4, num_classes=3)
    apply_pretrained(net, tmp_path / "vgg16.pth")
    w3 = net.state_dict()["encoder.features.0.weight"]
    assert w3.shape == (64, 3, 3, 3, 3)
    assert torch.allclose(w3.sum(2), sd["features.0.weight"], atol=1e-5)  # 3 depth taps of w/3 sum back to w


def test_resnet50_file_loads_into_pspnet_and_bad_files_are_named(tmp_path):
    sd = {k: torch.randn(v.shape) if v.dtype.is_floating_point else v for k, v in ResNet50().state_dict().items()}
    sd["fc.weight"], sd["fc.bias"] = torch.randn(1000, 2048), torch.randn(1000)
    torch.save(sd, tmp_path / "r50.pth")
    net = build_network("pspnet", in_channels=5, num_classes=2)
    apply_pretrained(net, tmp_path / "r50.pth")
    assert torch.equal(net.state_dict()["backbone.layer4.2.conv3.weight"], sd["layer4.2.conv3.weight"])
    # a VGG file for a ResNet network, a truncated file, a missing file: one clear error naming the file
    _torchvision_like_vgg16(tmp_path / "vgg16.pth")
    with pytest.raises(ConfigError, match=r"vgg16\.pth: missing key 'conv1\.weight'"):
        apply_pretrained(net, tmp_path / "vgg16.pth")
    (tmp_path / "bad.pth").write_bytes(b"not a torch file")
    with pytest.raises(ConfigError, match=r"bad\.pth: not a readable PyTorch state dict"):
        load_pretrained(net, tmp_path / "bad.pth", "backbone.")
    with pytest.raises(ConfigError, match=r"nope\.pth: pretrained weight file not found"):
        load_pretrained(net, tmp_path / "nope.pth", "backbone.")
    small = build_network("pspnet", in_channels=5, num_classes=2, width_div=8)
    with pytest.raises(ConfigError, match="has shape"):
        apply_pretrained(small, tmp_path / "r50.pth")


def test_networks_without_a_backbone_refuse_a_weight_file(tmp_path):
    _torchvision_like_vgg16(tmp_path / "vgg16.pth")
    with pytest.raises(ConfigError, match="no ImageNet backbone"):
        apply_pretrained(build_network("unet", in_channels=2, num_classes=2), tmp_path / "vgg16.pth")
    assert apply_pretrained(build_network("pspnet", in_channels=2, num_classes=2, width_div=16), None)["pretrained"] is False


def test_a_torchvision_vgg11_file_loads_into_sumnet(tmp_path):
    sd = {k: torch.randn(v.shape) for k, v in VGGFeatures("vgg11").state_dict().items()}
    torch.save(sd, tmp_path / "vgg11.pth")
    net = build_network("sumnet", in_channels=3, num_classes=3)
    rec = apply_pretrained(net, tmp_path / "vgg11.pth")
    assert rec["pretrained"] and rec["backbones"] == ["vgg11"]
    assert torch.equal(net.state_dict()["encoder.features.18.weight"], sd["features.18.weight"])
