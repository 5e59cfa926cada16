"""Perfusion analysis: brain mask, bolus arrival, signal → concentration, AIF, deconvolution, maps.

:func:`strokeseg.perfusion.maps.compute_maps` turns a 4D :class:`~strokeseg.io.volume.Series`
into CBF (ml/100 g/min), CBV (ml/100 g), MTT (s), Tmax (s) and TTP (s) maps, configured by
:class:`strokeseg.perfusion.config.PerfusionConfig`.
"""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "PerfusionConfig": "strokeseg.perfusion.config",
    "compute_maps": "strokeseg.perfusion.maps",
    "PerfusionResult": "strokeseg.perfusion.maps",
    "MotionConfig": "strokeseg.perfusion.motion",
    "correct_motion": "strokeseg.perfusion.motion",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
