"""A whole PSPNet checkpoint in its authors' published format (hszhao/semseg) loads into strokeseg's PSPNet.

The ISLES'18 PSPNet paper fine-tuned a whole PSPNet pretrained on Pascal VOC. The checkpoint here is generated: a
module laid out as semseg's ``model/pspnet.py`` (``layer0`` = conv1, bn1, relu, conv2, bn2, relu, conv3, bn3,
relu, maxpool; ``layer1``–``layer4``; ``ppm.features``; ``cls`` with 21 classes; ``aux``), saved as semseg's
``train.py`` saves (``{"state_dict": ...}`` of a DataParallel model, keys under ``module.``), at CPU width.
"""

import pytest
import torch
from torch import nn

from strokeseg.errors import ConfigError
from strokeseg.models import build_network
from strokeseg.models.backbones import ResNet
from strokeseg.models.registry import apply_pretrained

WD = 16  # widths / 16: a small network with the real layout


class SemsegPSPNet(nn.Module):
    """semseg's PSPNet module layout (names and order), dilated as semseg dilates layer3 and layer4."""

    def __init__(self, depth: int = 50, classes: int = 21) -> None:
        super().__init__()
        r = ResNet((False, True, True), width_div=WD, depth=depth, deep_stem=True)
        self.layer0 = nn.Sequential(r.conv1, r.bn1, nn.ReLU(), r.conv2, r.bn2, nn.ReLU(), r.conv3, r.bn3, nn.ReLU(), r.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = r.layer1, r.layer2, r.layer3, r.layer4
        c, red = 2048 // WD, 2048 // WD // 4
        self.ppm = nn.Module()
        self.ppm.features = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(c, red, 1, bias=False), nn.BatchNorm2d(red), nn.ReLU()) for b in (1, 2, 3, 6)
        )
        mid = 512 // WD
        self.cls = nn.Sequential(
            nn.Conv2d(2 * c, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(), nn.Dropout2d(0.1), nn.Conv2d(mid, classes, 1)
        )
        self.aux = nn.Sequential(
            nn.Conv2d(1024 // WD, 256 // WD, 3, padding=1, bias=False),
            nn.BatchNorm2d(256 // WD),
            nn.ReLU(),
            nn.Dropout2d(0.1),
            nn.Conv2d(256 // WD, classes, 1),
        )

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer4(self.layer3(self.layer2(self.layer1(self.layer0(x)))))


def _checkpoint(tmp_path, depth=50, classes=21):
    torch.manual_seed(1)
    src = SemsegPSPNet(depth, classes)
    with torch.no_grad():
        for t in src.state_dict().values():
            if t.dtype.is_floating_point:
                t.copy_(torch.randn_like(t) * 0.1 + (1.0 if t.ndim == 1 else 0.0))
    sd = {f"module.{k}": v for k, v in src.state_dict().items()}
    path = tmp_path / f"voc2012_pspnet{depth}.pth"
    torch.save({"epoch": 50, "state_dict": sd}, path)
    return src.eval(), path


def test_a_semseg_voc_pspnet_loads_whole_and_computes_what_it_computed(tmp_path):
    src, path = _checkpoint(tmp_path)
    torch.manual_seed(0)
    net = build_network("pspnet", in_channels=5, num_classes=2, width_div=WD, deep_stem=True).eval()
    init_before = net.init.proj.weight.clone()
    head4_before = net.head[4].weight.clone()
    rec = apply_pretrained(net, path)
    assert rec["pretrained"] is True
    own = net.state_dict()
    ref = src.state_dict()
    assert torch.equal(own["backbone.conv2.weight"], ref["layer0.3.weight"]) and torch.equal(own["backbone.bn3.bias"], ref["layer0.7.bias"])
    assert torch.equal(own["ppm.stages.3.1.weight"], ref["ppm.features.3.1.weight"])
    assert torch.equal(own["head.0.weight"], ref["cls.0.weight"]) and torch.equal(own["head.1.running_var"], ref["cls.1.running_var"])
    assert torch.equal(net.head[4].weight, head4_before)  # 21 VOC classes: the class layer starts new, as in the paper
    assert torch.equal(net.init.proj.weight, init_before)  # the initializer layer is new
    x = torch.randn(1, 3, 65, 65)
    with torch.no_grad():
        torch.testing.assert_close(net.backbone(x), src.trunk(x))  # the same trunk, weight for weight
        feats = net.ppm(net.backbone(x))
        ref_feats = torch.cat(
            [src.trunk(x)] + [nn.functional.interpolate(f(src.trunk(x)), size=feats.shape[-2:], mode="bilinear") for f in src.ppm.features],
            1,
        )
        torch.testing.assert_close(feats, ref_feats)
    assert len(net.backbone_stages()) == 5  # the pyramid pooling and head are pretrained: frozen in the first stage too


def test_a_checkpoint_that_does_not_fit_is_refused_naming_the_file_and_key(tmp_path):
    _, path = _checkpoint(tmp_path)
    with pytest.raises(ConfigError, match=r"voc2012_pspnet50\.pth: a whole PSPNet checkpoint .*deep_stem=true"):
        apply_pretrained(build_network("pspnet", in_channels=5, num_classes=2, width_div=WD), path)
    with pytest.raises(ConfigError, match=r"voc2012_pspnet50\.pth: missing key for 'backbone\.layer3\.6\."):
        apply_pretrained(build_network("pspnet", in_channels=5, num_classes=2, width_div=WD, deep_stem=True, depth=101), path)
    with pytest.raises(ConfigError, match="has shape"):
        apply_pretrained(build_network("pspnet", in_channels=5, num_classes=2, width_div=WD // 2, deep_stem=True), path)


def test_a_two_class_checkpoint_keeps_its_class_layer(tmp_path):
    src, path = _checkpoint(tmp_path, classes=2)
    net = build_network("pspnet", in_channels=5, num_classes=2, width_div=WD, deep_stem=True)
    apply_pretrained(net, path)
    assert torch.equal(net.head[4].weight, src.cls[4].weight)
