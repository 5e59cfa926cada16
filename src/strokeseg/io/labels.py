"""Canonical label values and the regions derived from them.

Every dataset layout maps its own label values onto these:

=====  ============  =============================================
value  name          meaning
=====  ============  =============================================
0      background    healthy tissue, or outside the brain
1      penumbra      hypoperfused tissue that can still be saved
2      core          tissue already infarcted
=====  ============  =============================================

Regions: ``core`` = {2}, ``penumbra`` = {1}, ``hypoperfused`` = {1, 2} (core ∪ penumbra), and
``lesion`` = {1, 2}: any non-zero voxel, the one region of a binary mask (ISLES'22/'24 style).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import numpy as np

BACKGROUND = 0
PENUMBRA = 1
CORE = 2
LABEL_NAMES = {BACKGROUND: "background", PENUMBRA: "penumbra", CORE: "core"}


class Target(StrEnum):
    """What a learned model segments: the core, the hypoperfused region, any lesion, or core and penumbra."""

    CORE = "core"
    HYPOPERFUSED = "hypoperfused"
    LESION = "lesion"
    THREE_CLASS = "three-class"


class Region(StrEnum):
    """A region derived from the canonical labels."""

    CORE = "core"
    PENUMBRA = "penumbra"
    HYPOPERFUSED = "hypoperfused"
    LESION = "lesion"

    @property
    def values(self) -> tuple[int, ...]:
        return _REGION_VALUES[self]

    @classmethod
    def parse(cls, name: str) -> Region:
        """A region from its name (case-insensitive); an unknown name is a ValueError listing the choices."""
        try:
            return cls(name.strip().lower())
        except ValueError:
            valid = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown region {name!r}; choose from {valid}") from None


_REGION_VALUES = {
    Region.CORE: (CORE,),
    Region.PENUMBRA: (PENUMBRA,),
    Region.HYPOPERFUSED: (PENUMBRA, CORE),
    Region.LESION: (PENUMBRA, CORE),
}


def region_mask(labels: np.ndarray, region: Region | str) -> np.ndarray:
    """Boolean mask of ``region`` in a canonical label map."""
    region = Region.parse(region) if isinstance(region, str) else region
    if region is Region.CORE:
        result: np.ndarray = labels == CORE
        return result
    if region is Region.PENUMBRA:
        result = labels == PENUMBRA
        return result
    result = (labels == PENUMBRA) | (labels == CORE)  # hypoperfused, lesion
    return result


def regions_for_labels(values: Iterable[int]) -> list[Region]:
    """The regions that a dataset whose canonical labels are ``values`` can be scored on."""
    vals = set(values) - {BACKGROUND}
    out: list[Region] = []
    if CORE in vals:
        out.append(Region.CORE)
    if PENUMBRA in vals:
        out.append(Region.PENUMBRA)
    if PENUMBRA in vals:  # hypoperfused is only informative when penumbra is annotated
        out.append(Region.HYPOPERFUSED)
    return out


def parse_label_map(text: str | Mapping[int, int] | None) -> dict[int, int] | None:
    """Parse ``"1:2,2:1"`` (source value → canonical value) into a dict."""
    if text is None:
        return None
    if isinstance(text, Mapping):
        out = {int(k): int(v) for k, v in text.items()}
    else:
        out = {}
        for part in str(text).split(","):
            if not part.strip():
                continue
            src, _, dst = part.partition(":")
            if not _:
                raise ValueError(f"label map entry {part!r} is not of the form SOURCE:CANONICAL")
            out[int(src)] = int(dst)
    bad = {v for v in out.values() if v not in LABEL_NAMES}
    if bad:
        raise ValueError(f"label map targets {sorted(bad)} are not canonical labels (0, 1, 2)")
    out.setdefault(0, BACKGROUND)
    return out


NON_INTEGER = -(2**62)  # stands, in the ``unknown`` set of :func:`apply_label_map`, for non-integer values


def format_unknown(unknown: set[int]) -> str:
    """``label values [-1, 5] and non-integer values`` for the set :func:`apply_label_map` returns."""
    shown = sorted(v for v in unknown if v != NON_INTEGER)
    non_int = NON_INTEGER in unknown
    if not shown:
        return "non-integer label values"
    return f"label values {shown}" + (" and non-integer values" if non_int else "")


SMALL_RANGE = 64  # label value ranges up to this are mapped by one comparison per value (no sort, no cast)


def _map_by_lookup(arr: np.ndarray, label_map: Mapping[int, int]) -> tuple[np.ndarray, set[int]]:
    """Non-negative 8/16-bit labels: the values present from one ``bincount``, then one table look-up."""
    present = np.flatnonzero(np.bincount(arr.ravel()))
    lut = np.zeros(int(present[-1]) + 1, np.uint8)
    unknown: set[int] = set()
    for value in present.tolist():
        if value in label_map:
            lut[value] = label_map[value]
        else:
            unknown.add(value)
    return lut[arr], unknown


def apply_label_map(labels: np.ndarray, label_map: Mapping[int, int]) -> tuple[np.ndarray, set[int]]:
    """Map source label values to canonical ones.

    Returns the canonical ``uint8`` map and the set of source values that the map does not
    cover (empty when all values are known). Non-integer values are reported as :data:`NON_INTEGER`.
    Non-negative 8/16-bit integer labels (as label files store them) go through a lookup table
    built from one ``bincount``; other values span few labels, each found with one comparison
    over the array, so float files are neither sorted nor cast.
    """
    arr = np.asarray(labels)
    if arr.dtype.kind in "ui" and arr.size and arr.dtype.itemsize <= 2 and int(arr.min()) >= 0:
        return _map_by_lookup(arr, label_map)
    non_integer = False
    src = arr
    if arr.dtype.kind == "f":
        src = np.rint(arr)
        non_integer = not np.array_equal(src, arr) and bool(np.any(np.abs(arr - src) > 1e-3))
    if src.size == 0:
        return np.zeros(src.shape, np.uint8), ({NON_INTEGER} if non_integer else set())
    lo, hi = int(src.min()), int(src.max())
    if hi - lo < SMALL_RANGE:
        out = np.zeros(src.shape, np.uint8)
        unknown: set[int] = set()
        for value in range(lo, hi + 1):
            hit = src == value
            if not hit.any():
                continue
            if value in label_map:
                out[hit] = label_map[value]
            else:
                unknown.add(value)
        return out, unknown | ({NON_INTEGER} if non_integer else set())
    ints = src.astype(np.int64)
    unknown = {int(v) for v in np.unique(ints) if int(v) not in label_map}
    if non_integer:
        unknown.add(NON_INTEGER)
    lut_keys = np.array(sorted(label_map), dtype=np.int64)
    lut_vals = np.array([label_map[k] for k in sorted(label_map)], dtype=np.uint8)
    idx = np.clip(np.searchsorted(lut_keys, ints), 0, len(lut_keys) - 1)
    return np.where(lut_keys[idx] == ints, lut_vals[idx], 0).astype(np.uint8), unknown


# names of the field's stroke label sets: ISLES'22 "lesion"/"infarct" (on DWI: the core), ISLES'24
# "core" and "hypoperfused"/"penumbra" regions
_NAME_KEYWORDS = (
    (("core", "infarct", "lesion", "stroke", "ischemic", "ischaemic"), CORE),
    (("penumbra", "hypoperfus", "tmax", "perfusion"), PENUMBRA),
)


def meaning_of_name(name: str) -> int | None:
    """The canonical label a dataset's label name denotes (``lesion`` → core, ``hypoperfused`` →
    penumbra), or None when the name says neither."""
    low = name.lower()
    for words, value in _NAME_KEYWORDS:
        if any(w in low for w in words):
            return value
    return None


def nnunet_label_values(labels: Mapping[str, Any], regions_class_order: Sequence[int] | None = None) -> dict[str, int]:
    """An nnU-Net ``dataset.json`` label set as name → the value written in label files: the label
    itself, or for region-based sets the region's entry of ``regions_class_order`` (nested regions
    are painted in that order, so a region's value marks what later regions do not cover)."""
    named = {k: v for k, v in labels.items() if k not in ("background", "ignore")}
    if not any(isinstance(v, (list, tuple)) and len(v) > 1 for v in named.values()):
        return {k: int(v) for k, v in named.items() if int(v) != 0}
    order = list(regions_class_order or [])
    regions = [k for k, v in named.items() if isinstance(v, (list, tuple)) or int(v) != 0]
    if len(order) != len(regions):
        raise ValueError("regions_class_order must give one value per foreground region")
    return {k: int(order[i]) for i, k in enumerate(regions)}
