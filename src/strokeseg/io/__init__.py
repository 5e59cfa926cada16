"""Cases and volumes: readers, writers, dataset layouts.

Arrays are ``(Z, Y, X)`` (4D series ``(Z, Y, X, T)``); geometry follows ITK (see
:mod:`strokeseg.io.geometry`). Canonical labels: 0 background, 1 penumbra, 2 core.
"""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use, so that the light modules below stay light)
_API = {
    "Case": "strokeseg.io.case",
    "CaseRef": "strokeseg.io.case",
    "CORE": "strokeseg.io.labels",
    "Dataset": "strokeseg.io.layouts",
    "detect_layout": "strokeseg.io.layouts",
    "Geometry": "strokeseg.io.geometry",
    "LAYOUTS": "strokeseg.io.layouts",
    "load_case": "strokeseg.io.case",
    "NonFinitePolicy": "strokeseg.io.read",
    "open_dataset": "strokeseg.io.layouts",
    "PENUMBRA": "strokeseg.io.labels",
    "read_image": "strokeseg.io.read",
    "read_nifti": "strokeseg.io.nifti",
    "read_series": "strokeseg.io.read",
    "Region": "strokeseg.io.labels",
    "region_mask": "strokeseg.io.labels",
    "Series": "strokeseg.io.volume",
    "Volume": "strokeseg.io.volume",
    "write_nifti": "strokeseg.io.nifti",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
