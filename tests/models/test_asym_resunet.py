import torch

from strokeseg.models import build_network
from strokeseg.models.layers import set_mc_dropout


def test_ct2d_shapes_latent_and_parameter_split():
    net = build_network("asym-resunet", in_channels=10, num_classes=2, dims=2, base_filters=8, depth=5)
    x = torch.randn(2, 10, 64, 64)
    assert net(x).shape == (2, 2, 64, 64)
    h = net.stem(x)
    for i in range(5):
        h = net.enc[i](h)
        if i < 4:
            h = net.down[i](h)
    assert h.shape == (2, 128, 4, 4)  # latent space 128×4×4
    split = net.parameter_split()
    frac = split["encoder"] / (split["encoder"] + split["decoder"])
    assert 0.70 <= frac <= 0.80  # ≈ 75 % encoder / 25 % decoder


def test_mri3d_shapes():
    net = build_network("asym-resunet", in_channels=14, num_classes=2, dims=3, base_filters=32, depth=4)
    assert net(torch.randn(1, 14, 16, 24, 24)).shape == (1, 2, 16, 24, 24)


def test_mc_dropout_stays_active_in_eval():
    net = build_network("asym-resunet", in_channels=2, num_classes=2, dims=2, base_filters=4, depth=3, dropout=0.5)
    net.eval()
    x = torch.randn(1, 2, 16, 16)
    with torch.no_grad():
        assert torch.equal(net(x), net(x))  # deterministic without MC
        assert set_mc_dropout(net, True) > 0
        assert not torch.equal(net(x), net(x))  # sampling with MC on
        set_mc_dropout(net, False)
        assert torch.equal(net(x), net(x))


def test_forward_mc_shares_the_deterministic_layers_and_matches_forward():
    from strokeseg.models.asym_resunet import AsymResUNet
    from strokeseg.models.layers import set_mc_dropout

    torch.manual_seed(0)
    net = AsymResUNet(3, 2, dims=2, base_filters=4, depth=4, dropout=0.3, mc_levels=2).eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        det = net(x)
        assert torch.allclose(net.forward_mc(x, 3), det.expand(3, *det.shape), atol=1e-6)  # no dropout active
        set_mc_dropout(net, True)
        mc = net.forward_mc(x, 400)
        assert mc.shape == (400, 2, 2, 16, 16) and not torch.allclose(mc[0], mc[1])
        ref = torch.stack([net(x) for _ in range(400)])
    # same distribution: the Monte-Carlo means and spreads agree within sampling error
    assert torch.allclose(mc.mean(0), ref.mean(0), atol=0.05 * float(ref.std()) + 0.02)
    assert abs(float(mc.std(0).mean()) / float(ref.std(0).mean()) - 1) < 0.1
