"""Residue functions, dispersion kernels and FFT convolution on a fine time grid.

The pieces of the indicator-dilution model ``C_t = CBF · (C_a ⊗ h_β ⊗ R)(t − d)`` shared by the
digital phantom (which synthesises curves with them) and the parametric deconvolution (which
fits them): ``R`` is the residue function with mean transit time MTT (exponential, box or the
survival function of a gamma transit-time distribution), ``h_β`` the exponential dispersion
kernel.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from strokeseg.kinetics.modes import Residue

FINE_DT = 0.1  # s


def dispersion_kernel(t: np.ndarray, beta: float) -> np.ndarray:
    """Exponential dispersion ``exp(−t/β)/β`` on the fine grid ``t``, unit area (a delta for β = 0).

    Sampled at the interval midpoints and normalised so that ``sum · FINE_DT = 1`` exactly.
    """
    k = np.zeros_like(np.asarray(t, dtype=float))
    if beta <= 0:
        k[0] = 1.0 / FINE_DT
        return k
    k = np.exp(-(np.asarray(t, float) + 0.5 * FINE_DT) / beta) / beta
    result: np.ndarray = k / (k.sum() * FINE_DT)
    return result


def residue_function(t: np.ndarray, mtt: np.ndarray | float, kind: Residue | str, shape: float = 3.0) -> np.ndarray:
    """R(t) for mean transit time ``mtt`` (broadcasts ``mtt[..., None]`` against ``t``)."""
    kind = Residue(kind)
    m = np.asarray(mtt, float)[..., None]
    tt = np.asarray(t, float)
    if kind is Residue.EXPONENTIAL:
        result: np.ndarray = np.exp(-tt / m)
        return result
    if kind is Residue.BOX:
        return (tt < m).astype(float)
    result = special.gammaincc(shape, tt * shape / m)
    return result


def fft_convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Linear convolution along the last axis, truncated to ``a``'s length (broadcasting)."""
    n = a.shape[-1] + b.shape[-1]
    nfft = 1 << int(np.ceil(np.log2(n)))
    out = np.fft.irfft(np.fft.rfft(a, nfft) * np.fft.rfft(b, nfft), nfft)
    return out[..., : a.shape[-1]]
