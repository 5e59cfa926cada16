"""Tracer kinetics shared by the phantom (forward model) and the parametric fit (its inverse):
residue functions, dispersion kernels and convolution on a fine time grid
(:mod:`strokeseg.kinetics.residues`), and the tissue constants (:mod:`strokeseg.kinetics.constants`)."""
