"""The networks of the published methods: output shapes, architecture facts, the NIHSS input."""

import pytest
import torch

from strokeseg.models import build_network
from strokeseg.models.backbones import count_parameters
from strokeseg.models.fusion import SlowFusionVGG16
from strokeseg.models.segnet import Discriminator, SegNetVGG11
from strokeseg.models.unets import UNet3D, VNet


@pytest.mark.parametrize(
    ("name", "kw", "shape", "out"),
    [
        ("segnet-vgg11", {"in_channels": 3, "num_classes": 3, "width_div": 8}, (2, 3, 96, 80), (2, 3, 96, 80)),
        ("segnet-vgg11", {"in_channels": 4, "num_classes": 3, "skip_concat": False, "width_div": 8}, (2, 4, 64, 64), (2, 3, 64, 64)),
        ("pspnet", {"in_channels": 5, "num_classes": 2, "width_div": 16}, (2, 5, 64, 64), (2, 2, 64, 64)),
        ("unet", {"in_channels": 10, "num_classes": 2, "channels": [4, 8, 16]}, (2, 10, 32, 32), (2, 2, 32, 32)),
        ("unet", {"in_channels": 5, "num_classes": 2, "dims": 3, "channels": [4, 8, 16]}, (1, 5, 2, 32, 32), (1, 2, 2, 32, 32)),
        ("vnet", {"in_channels": 5, "num_classes": 2, "base": 4}, (1, 5, 2, 32, 32), (1, 2, 2, 32, 32)),
        ("unet-3d", {"in_channels": 5, "num_classes": 2, "channels": [4, 8, 16, 32]}, (1, 5, 2, 32, 32), (1, 2, 2, 32, 32)),
        ("sumnet", {"in_channels": 3, "num_classes": 3, "width_div": 8}, (2, 3, 64, 64), (2, 3, 64, 64)),
        ("slow-fusion-vgg16", {"in_channels": 5, "num_classes": 3, "n_scalars": 1, "width_div": 16}, (2, 5, 64, 64), (2, 3, 64, 64)),
        ("early-fusion-vgg16", {"in_channels": 5, "num_classes": 3, "n_scalars": 1, "width_div": 16}, (2, 5, 64, 64), (2, 3, 64, 64)),
        ("inflated-fusion-vgg16", {"in_channels": 4, "num_classes": 3, "width_div": 16}, (2, 4, 64, 64), (2, 3, 64, 64)),
    ],
)
def test_output_shapes(name, kw, shape, out):
    net = build_network(name, **kw)
    assert tuple(net(torch.randn(*shape)).shape) == out


def test_full_size_parameter_counts():
    sf = build_network("slow-fusion-vgg16", in_channels=5, num_classes=3, n_scalars=1)
    assert isinstance(sf, SlowFusionVGG16)
    assert all(count_parameters(b) == 14_714_688 for b in sf.branches)  # four VGG-16 feature extractors
    assert len(sf.branches) == 4
    seg = build_network("segnet-vgg11", in_channels=3, num_classes=3)
    assert count_parameters(seg.encoder) == 9_225_984  # torchvision vgg11_bn features
    psp = build_network("pspnet", in_channels=5, num_classes=2)
    assert count_parameters(psp.backbone) == 23_508_032 and psp.ppm.out_channels == 4096
    assert count_parameters(psp.init) == 5 * 2 + 5 * 3 + 3  # BN over 5 channels + 1×1 conv 5 → 3


def test_segnet_unpools_with_the_encoder_indices():
    net = SegNetVGG11(3, 3, skip_concat=False, width_div=16).eval()
    x = torch.randn(1, 3, 32, 32)
    seen = []
    orig = torch.nn.functional.max_unpool2d

    def spy(inp, indices, *a, **k):
        seen.append(indices)
        return orig(inp, indices, *a, **k)

    torch.nn.functional.max_unpool2d = spy
    try:
        assert net(x).shape == (1, 3, 32, 32)
    finally:
        torch.nn.functional.max_unpool2d = orig
    # five unpoolings, each with the indices of the encoder pooling of the same level (deepest first)
    _, idx = torch.nn.functional.max_pool2d(net.encoder(x)[0], 2, 2, return_indices=True)
    assert len(seen) == 5 and torch.equal(seen[-1], idx)
    assert len(net.backbone_stages()) == 5


def test_discriminator_architecture():
    d = Discriminator(4)
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 5 and all(c.kernel_size == (4, 4) for c in convs)
    assert [c.out_channels for c in convs] == [32, 64, 128, 256, 1]
    assert d(torch.randn(3, 4, 64, 64)).shape == (3,)


def test_nihss_enters_the_bottleneck_and_is_read_despite_padding():
    torch.manual_seed(0)
    net = build_network("slow-fusion-vgg16", in_channels=3, num_classes=3, n_scalars=1, width_div=16).eval()
    x = torch.randn(1, 3, 64, 64)
    a, b = x.clone(), x.clone()
    a[:, 2], b[:, 2] = 0.2, 0.8
    with torch.no_grad():
        assert float((net(a) - net(b)).abs().max()) > 0  # the score changes the output
    s = torch.tensor(0.5, requires_grad=True)
    c = x.clone()
    c[:, 2] = 0
    out = net(c + s * torch.nn.functional.one_hot(torch.tensor(2), 3).view(1, 3, 1, 1).float())
    (grad,) = torch.autograd.grad(out.sum(), s)
    assert float(grad.abs()) > 0  # a gradient reaches the NIHSS input
    padded = a.clone()
    padded[:, 2, :, :10] = 0.0  # zero padding at the border does not change the scalar read back
    from strokeseg.models.fusion import _scalars

    assert torch.equal(_scalars(padded, 1)[1], _scalars(a, 1)[1])


@pytest.mark.parametrize("name", ["slow-fusion-vgg16", "early-fusion-vgg16", "inflated-fusion-vgg16"])
def test_random_initialised_fusion_nets_pass_gradient_to_their_deepest_encoder_layer(name):
    # without batch norm, PyTorch's default init of the decoder and bottleneck shrank the signal ~6x per layer: the
    # deepest VGG-16 convolution got 1e-7 of the first one's gradient (nothing to learn from); He's rule keeps > 1e-5
    torch.manual_seed(0)
    net = build_network(name, in_channels=5, num_classes=3, n_scalars=1, width_div=16, dropout=0.2)
    x = torch.randn(2, 5, 64, 64)
    x[:, -1] = 0.3
    out = net(x)
    (out.logsumexp(1).mean() - out[:, 0].mean()).backward()
    enc = [p for n, p in net.named_parameters() if n.startswith(("branches.", "encoder.")) and p.dim() >= 4]
    assert enc[-1].grad is not None and enc[0].grad is not None
    assert float(enc[-1].grad.norm()) > 1e-5 * float(enc[0].grad.norm())
    assert 0.05 < float(out.detach().std()) < 3.0  # the head keeps PyTorch's small default: logits start near 0, not saturated


def test_colour_coded_maps_follow_the_jet_scale_with_a_black_background():
    """Tomasetti fed colour-coded maps: z = lo is the scale's dark blue, hi its dark red, 0 (outside the brain) black."""
    from strokeseg.models.fusion import IMAGENET_MEAN, IMAGENET_SD, colour_coded, jet_table

    x = torch.tensor([-3.0, 3.0, 0.0, 1e-3, -10.0]).reshape(1, 1, 1, 5)
    y = colour_coded(x, jet_table(), (-3.0, 3.0))
    rgb = (y * torch.tensor(IMAGENET_SD)[None, :, None, None] + torch.tensor(IMAGENET_MEAN)[None, :, None, None])[0, :, 0].T
    torch.testing.assert_close(rgb[0], torch.tensor([0.0, 0.0, 0.5]), atol=1e-4, rtol=0)  # dark blue
    torch.testing.assert_close(rgb[1], torch.tensor([0.5, 0.0, 0.0]), atol=1e-4, rtol=0)  # dark red
    torch.testing.assert_close(rgb[2], torch.zeros(3), atol=1e-4, rtol=0)  # background
    assert rgb[3, 1] > 0.95 and rgb[3, 0] < 0.6 and rgb[3, 2] < 0.6  # mid-scale green
    torch.testing.assert_close(rgb[4], rgb[0])  # clipped to the window


def test_the_slow_fusion_net_colours_only_its_first_maps_and_keeps_its_weights_keys():
    torch.manual_seed(0)
    grey = build_network("slow-fusion-vgg16", in_channels=3, num_classes=3, n_scalars=1, width_div=16).eval()
    torch.manual_seed(0)
    colour = build_network("slow-fusion-vgg16", in_channels=3, num_classes=3, n_scalars=1, width_div=16, colour_maps=1).eval()
    assert set(colour.state_dict()) == set(grey.state_dict())  # the colour table is not a weight: checkpoints load either way
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert colour(x).shape == (1, 3, 64, 64)
        assert not torch.allclose(colour(x), grey(x))  # the first map is coloured
    from strokeseg.errors import ConfigError

    with pytest.raises(ConfigError, match="colour_maps"):
        build_network("slow-fusion-vgg16", in_channels=3, num_classes=3, n_scalars=1, width_div=16, colour_maps=-1)
    assert build_network("slow-fusion-vgg16", in_channels=3, num_classes=3, n_scalars=1, width_div=16, colour_maps=4).colour_maps == 2


def _without_batch_norm(net: torch.nn.Module) -> int:
    bn = sum(p.numel() for m in net.modules() if isinstance(m, torch.nn.BatchNorm3d | torch.nn.BatchNorm2d) for p in m.parameters())
    return count_parameters(net) - bn


def test_3d_unet_is_cicek_s():
    # Çiçek et al. 2016 give 19,069,955 parameters for 3 inputs and 3 classes (their batch norm has no
    # learned scale in that count; the up-convolutions have no bias)
    assert _without_batch_norm(UNet3D(3, 3, pool=2)) == 19_069_955
    net = UNet3D(5, 2)  # the PSPNet paper's (2×2×1): Z is never pooled
    pools = []
    orig = torch.nn.functional.max_pool3d

    def spy(x, k, *a, **kw):
        pools.append(tuple(k))
        return orig(x, k, *a, **kw)

    torch.nn.functional.max_pool3d = spy
    try:
        assert net(torch.randn(1, 5, 2, 16, 16)).shape == (1, 2, 2, 16, 16)
    finally:
        torch.nn.functional.max_pool3d = orig
    assert pools == [(1, 2, 2)] * 3
    assert [m.kernel_size for m in net.up] == [(1, 2, 2)] * 3 and all(m.bias is None for m in net.up)
    first = [m for m in net.enc[0].modules() if isinstance(m, torch.nn.Conv3d)]
    assert [c.out_channels for c in first] == [32, 64]  # the first convolution of a level has half its width


def test_vnet_is_milletari_s_with_the_paper_s_changes():
    net = VNet(5, 2)
    k = [m.kernel_size for m in net.modules() if isinstance(m, torch.nn.Conv3d) and m.kernel_size != (1, 1, 1)]
    assert k[0] == (3, 3, 3)  # the paper's input stage
    assert [m[0].kernel_size for m in net.down] == [(1, 2, 2)] * 4 and [m[0].stride for m in net.up] == [(1, 2, 2)] * 4
    body = [x for x in k[1:] if x != (1, 2, 2)]
    assert set(body) == {(5, 5, 5)} and len(body) == (2 + 3 + 3) + 3 + (3 + 3 + 2 + 1)
    assert not any(isinstance(m, torch.nn.BatchNorm3d) for m in net.modules())  # Milletari names no normalisation
    assert [s.body[0].in_channels for s in net.dec] == [256, 128, 64, 32]  # decoder stages at the concatenated width
    assert net.head.in_channels == 32
    assert net(torch.randn(1, 5, 2, 32, 32)).shape == (1, 2, 2, 32, 32)


def test_sumnet_is_the_authors_network():
    # the authors' public SUMNet (1 input, 1 output): VGG-11 features + 1×1 pre-convolution + their decoder
    net = build_network("sumnet", in_channels=1, num_classes=1)
    assert count_parameters(net) == 23_857_799
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert net.backbones() == [("encoder.", "vgg11")]
    assert net.head.in_channels == 32 and count_parameters(net.encoder) == 9_220_480  # torchvision vgg11 features
