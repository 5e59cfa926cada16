"""Convolution matrices of the indicator-dilution model C_t = Δt · A · k.

Both use Østergaard's (1996) weighting for curves varying linearly between samples, which
Wu et al. (2003) carry over to the block-circulant matrix:
``a(l) = Δt · (C_a[l−1] + 4 C_a[l] + C_a[l+1]) / 6`` for lag ``l``.

* :func:`toeplitz_matrix` — lower-triangular (causal) ``T × T`` matrix of standard SVD. It is
  *not* delay-insensitive: a tissue curve arriving before the AIF has no causal solution.
* :func:`circulant_matrix` — the full ``N × N`` (N = 2T) block-circulant matrix of the
  zero-padded AIF (Wu 2003). A circular shift of the tissue curve only shifts the residue,
  which is what makes cSVD/oSVD insensitive to arrival delay. (A "circulant" matrix that
  keeps only its lower-left triangle is just the Toeplitz one again.)
"""

from __future__ import annotations

import numpy as np


def lag_weights(aif: np.ndarray, dt: float, length: int) -> np.ndarray:
    """``Δt·(a[l−1] + 4a[l] + a[l+1])/6`` for lags 0…length−1 of the zero-padded AIF."""
    a = np.zeros(length + 2)
    a[1 : 1 + min(len(aif), length)] = np.asarray(aif, dtype=float)[:length]
    return dt * (a[:-2] + 4.0 * a[1:-1] + a[2:]) / 6.0


def toeplitz_matrix(aif: np.ndarray, dt: float) -> np.ndarray:
    """Lower-triangular ``T × T`` matrix: ``A[i, j] = w(i − j)`` for ``i ≥ j``."""
    t = len(aif)
    w = lag_weights(aif, dt, t)
    i, j = np.indices((t, t))
    return np.where(i >= j, w[np.clip(i - j, 0, t - 1)], 0.0)


def circulant_matrix(aif: np.ndarray, dt: float, n: int | None = None) -> np.ndarray:
    """Block-circulant ``N × N`` matrix of the AIF zero-padded to ``N`` (default ``2T``)."""
    n = 2 * len(aif) if n is None else n
    w = lag_weights(aif, dt, n)
    # circular wrap of the Simpson weights: lag −1 contributes a[0]/6 to lag N−1
    w[n - 1] += dt * float(np.asarray(aif)[0]) / 6.0
    i, j = np.indices((n, n))
    result: np.ndarray = w[(i - j) % n]
    return result
