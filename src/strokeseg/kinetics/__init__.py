"""Tracer kinetics shared by the phantom (forward model) and the parametric fit (its inverse):
residue functions, dispersion kernels and convolution on a fine time grid
(:mod:`strokeseg.kinetics.residues`), and the tissue constants (:mod:`strokeseg.kinetics.constants`)."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "Residue": "strokeseg.kinetics.residues",
    "residue_function": "strokeseg.kinetics.residues",
    "dispersion_kernel": "strokeseg.kinetics.residues",
    "fft_convolve": "strokeseg.kinetics.residues",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
