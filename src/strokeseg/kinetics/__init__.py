"""Tracer kinetics shared by the phantom (forward model) and the parametric fit (its inverse):
residue functions, dispersion kernels and convolution on a fine time grid, and the tissue constants."""

from strokeseg.kinetics.residues import FINE_DT, Residue, dispersion_kernel, fft_convolve, residue_function

TISSUE_DENSITY = 1.04  # ρ, g/ml of brain tissue
HEMATOCRIT_FACTOR = 0.73  # kH = (1 − Hct_large)/(1 − Hct_small)
MR_SKIP_FRAMES = 2  # DSC-MRI frames before the signal reaches its steady state

__all__ = [
    "FINE_DT",
    "HEMATOCRIT_FACTOR",
    "MR_SKIP_FRAMES",
    "TISSUE_DENSITY",
    "Residue",
    "dispersion_kernel",
    "fft_convolve",
    "residue_function",
]
