"""Balanced patch sampling, vectorised extraction and batch augmentation."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "SamplingConfig": "strokeseg.sampling.config",
    "AugmentConfig": "strokeseg.sampling.config",
    "SamplingPlan": "strokeseg.sampling.config",
    "sample_centers": "strokeseg.sampling.balanced",
    "extract_patches": "strokeseg.sampling.extract",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
