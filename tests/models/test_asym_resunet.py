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
