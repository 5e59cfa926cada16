"""Tracer kinetics shared by the phantom (forward model) and the parametric fit (its inverse):
residue functions, dispersion kernels and convolution on a fine time grid."""

from strokeseg.kinetics.residues import FINE_DT, Residue, dispersion_kernel, fft_convolve, residue_function

__all__ = ["FINE_DT", "Residue", "dispersion_kernel", "fft_convolve", "residue_function"]
