"""Clinical threshold read-out: core/penumbra by RAPID-style thresholds, mismatch, DEFUSE-3/EXTEND."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use, so that the configuration's enums load without NumPy/SciPy)
_API = {
    "Reference": "strokeseg.clinical.config",
    "ThresholdConfig": "strokeseg.clinical.config",
    "Readout": "strokeseg.clinical.readout",
    "compute_readout": "strokeseg.clinical.readout",
    "ThresholdResult": "strokeseg.clinical.thresholds",
    "TissueMasks": "strokeseg.clinical.thresholds",
    "threshold_diffusion": "strokeseg.clinical.thresholds",
    "threshold_perfusion": "strokeseg.clinical.thresholds",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
