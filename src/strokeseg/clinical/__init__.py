"""Clinical threshold read-out: core/penumbra by RAPID-style thresholds, mismatch, DEFUSE-3/EXTEND."""

from strokeseg.clinical.config import Reference, ThresholdConfig
from strokeseg.clinical.readout import Readout, compute_readout
from strokeseg.clinical.thresholds import ThresholdResult, TissueMasks, threshold_diffusion, threshold_perfusion

__all__ = [
    "Readout",
    "Reference",
    "ThresholdConfig",
    "ThresholdResult",
    "TissueMasks",
    "compute_readout",
    "threshold_diffusion",
    "threshold_perfusion",
]
