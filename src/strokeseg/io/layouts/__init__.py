"""Dataset layouts: auto-detection from a folder, or selection by name.

>>> from strokeseg.io.layouts import LAYOUTS
>>> sorted(LAYOUTS)  # doctest: +NORMALIZE_WHITESPACE
['dicom', 'isles2015-siss', 'isles2015-spes', 'isles2018', 'isles2022', 'isles2022-grand-challenge', 'isles2024',
 'manifest', 'nnunet-raw', 'series-file', 'strokeseg-maps']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from strokeseg.errors import InputError, Message, Param
from strokeseg.io.layouts.base import Dataset, Layout
from strokeseg.io.layouts.bids import Isles2022, Isles2024
from strokeseg.io.layouts.dicom_folder import DicomFolder
from strokeseg.io.layouts.grand_challenge import GrandChallenge
from strokeseg.io.layouts.isles2015 import Isles2015Siss, Isles2015Spes
from strokeseg.io.layouts.isles2018 import Isles2018
from strokeseg.io.layouts.manifest import Manifest
from strokeseg.io.layouts.nnunet_raw import NnUNetRaw
from strokeseg.io.layouts.outputs import SeriesFile, StrokesegMaps

# Detection order: the explicit manifest first, DICOM last.
_ORDER: list[Layout] = [
    Manifest(),
    NnUNetRaw(),
    StrokesegMaps(),
    SeriesFile(),
    Isles2018(),
    Isles2015Spes(),
    Isles2015Siss(),
    Isles2022(),
    Isles2024(),
    GrandChallenge(),
    DicomFolder(),
]
LAYOUTS: dict[str, Layout] = {lay.name: lay for lay in _ORDER}

__all__ = ["LAYOUTS", "Dataset", "Layout", "detect_layout", "open_dataset"]


def get_layout(name: str) -> Layout:
    """The layout named ``name`` (aliases such as ``isles18`` accepted); an unknown name is an InputError."""
    key = name.strip().lower().replace("_", "-")
    aliases = {
        "isles15-siss": "isles2015-siss",
        "isles15-spes": "isles2015-spes",
        "isles18": "isles2018",
        "isles22": "isles2022",
        "isles24": "isles2024",
        "grand-challenge": "isles2022-grand-challenge",
        "siss": "isles2015-siss",
        "spes": "isles2015-spes",
        "nnunet": "nnunet-raw",
    }
    key = aliases.get(key, key)
    if key not in LAYOUTS:
        raise InputError(f"unknown layout {name!r}; choose from {', '.join(sorted(LAYOUTS))}")
    return LAYOUTS[key]


def detect_layout(root: str | Path) -> Layout:
    """The layout of ``root`` (a folder, or a manifest file)."""
    root = Path(root)
    if not root.exists():
        raise InputError("no such file or folder", root)
    if root.is_dir() and not any(p for p in root.iterdir() if not p.name.startswith(".")):
        raise InputError("folder is empty", root)
    for layout in _ORDER:
        if layout.detect(root):
            return layout
    raise InputError(
        Message(
            "unknown layout: no ISLES 2015/2018/2022/2024 or grand-challenge structure, manifest.csv/yaml or DICOM series found (name one ",
            Param("layout", verb="with"),
            ")",
        ),
        root,
    )


def open_dataset(
    root: str | Path, layout: str | None = None, label_map: Mapping[int, int] | None = None, series: Mapping[str, str] | None = None
) -> Dataset:
    """Find the cases under ``root`` with the named layout, or the detected one.

    ``series``: role → SeriesInstanceUID, the series a DICOM export uses where several could take a role.
    """
    root = Path(root)
    if not root.exists():
        raise InputError("no such file or folder", root)
    lay = get_layout(layout) if layout else detect_layout(root)
    if series:
        if not isinstance(lay, DicomFolder):
            raise InputError(f"series are chosen in DICOM folders; this is a {lay.name} dataset", root)
        lay = lay.choosing(series)
    if label_map is None and isinstance(lay, Manifest):
        label_map = lay.manifest_label_map(root)
    if label_map is None and isinstance(lay, NnUNetRaw):
        label_map = lay.dataset_label_map(root)
    lmap = lay.label_map(label_map)
    cases = lay.scan(root, lmap)
    if not cases:
        raise InputError(f"no cases found for layout {lay.name}", root)
    return Dataset(root=root, layout=lay, cases=cases, label_map=lmap)
