"""Cases and volumes: readers, writers, dataset layouts.

Arrays are ``(Z, Y, X)`` (4D series ``(Z, Y, X, T)``); geometry follows ITK (see
:mod:`strokeseg.io.geometry`). Canonical labels: 0 background, 1 penumbra, 2 core.
"""

from strokeseg.io.case import Case, CaseRef, load_case
from strokeseg.io.geometry import Geometry
from strokeseg.io.labels import CORE, PENUMBRA, Region, region_mask
from strokeseg.io.layouts import LAYOUTS, Dataset, detect_layout, open_dataset
from strokeseg.io.nifti import read_nifti, write_nifti
from strokeseg.io.read import NonFinitePolicy, read_image, read_series
from strokeseg.io.volume import Series, Volume

__all__ = [
    "CORE",
    "LAYOUTS",
    "PENUMBRA",
    "Case",
    "CaseRef",
    "Dataset",
    "Geometry",
    "NonFinitePolicy",
    "Region",
    "Series",
    "Volume",
    "detect_layout",
    "load_case",
    "open_dataset",
    "read_image",
    "read_nifti",
    "read_series",
    "region_mask",
    "write_nifti",
]
