"""Perfusion analysis: brain mask, bolus arrival, signal → concentration, AIF, deconvolution, maps.

:func:`strokeseg.perfusion.maps.compute_maps` turns a 4D :class:`~strokeseg.io.volume.Series`
into CBF (ml/100 g/min), CBV (ml/100 g), MTT (s), Tmax (s) and TTP (s) maps, configured by
:class:`strokeseg.perfusion.config.PerfusionConfig`.
"""
