import numpy as np

from strokeseg.perfusion.matrices import circulant_matrix, lag_weights, toeplitz_matrix


def test_toeplitz_is_causal_and_simpson_weighted():
    aif = np.array([0.0, 1.0, 4.0, 2.0, 0.5])
    a = toeplitz_matrix(aif, 2.0)
    assert np.allclose(np.triu(a, 1), 0)
    # lag 1 weight: Δt·(a0 + 4 a1 + a2)/6
    assert a[1, 0] == 2.0 * (0.0 + 4 * 1.0 + 4.0) / 6
    np.testing.assert_allclose(np.diag(a), lag_weights(aif, 2.0, 5)[0])


def test_circulant_shift_property():
    """A circular shift of the tissue curve only shifts the residue: why cSVD/oSVD ignore delay."""
    rng = np.random.default_rng(0)
    aif = np.r_[np.zeros(3), rng.random(12), np.zeros(5)]
    d = circulant_matrix(aif, 1.0)
    assert d.shape == (40, 40)
    k = np.zeros(40)
    k[:6] = np.exp(-np.arange(6) / 3)
    c = d @ k
    np.testing.assert_allclose(d @ np.roll(k, 4), np.roll(c, 4), atol=1e-12)
    # the matrix is circulant: every column is the previous one shifted by one
    np.testing.assert_allclose(d[:, 1], np.roll(d[:, 0], 1))
