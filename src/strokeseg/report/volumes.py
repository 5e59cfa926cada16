"""Reading a case's images for display: every volume on one grid, in radiological slices, subsampled.

The grid is the label's (the read-out's grid) or else the first map's; an image on another grid
is resampled onto it (linear for intensities, nearest for labels), as the command did when it read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.io.geometry import Geometry
from strokeseg.report.display import display_shape, display_spacing, radiological, stride_for

LABELS = ("label", "truth", "brain_mask", "aif_mask")


@dataclass
class DisplayVolumes:
    """Display slices ``(S, H, W)`` by name, their grid, subsampling stride and the aspect (row/col mm)."""

    geometry: Geometry
    stride: int
    aspect: float
    slices: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_display(self, array: np.ndarray) -> np.ndarray:
        """A ``(Z, Y, X)`` array on :attr:`geometry` as subsampled radiological slices."""
        return radiological(array, self.geometry)[:, :: self.stride, :: self.stride]

    def display_index(self, zyx: tuple[float, float, float]) -> tuple[int, float, float]:
        """Where voxel ``(z, y, x)`` of the grid lies in the display: (slice, row, column)."""
        marker = np.zeros(self.geometry.shape, np.uint8)
        idx = tuple(int(np.clip(round(v), 0, n - 1)) for v, n in zip(zyx, self.geometry.shape))
        marker[idx] = 1
        s, r, c = np.argwhere(radiological(marker, self.geometry))[0]
        return int(s), r / self.stride, c / self.stride


def _read(path: Path, integers: bool):
    from strokeseg.io.read import read_image

    return read_image(path, "zero", integers=integers)


def load_display(images: dict[str, Path], truth_label_map: dict[int, int] | None = None) -> DisplayVolumes | None:
    """Every image of a case as display slices (None when the case has no image to show).

    Labels are canonical (0 background, 1 penumbra, 2 core): the truth goes through its label map.
    An image that cannot be read (moved, truncated) or placed on the grid is left out, with a note.
    """
    from strokeseg.errors import InputError
    from strokeseg.io.labels import apply_label_map
    from strokeseg.io.resample import resample_to

    notes: list[str] = []
    readable: dict[str, Any] = {}
    for name, path in images.items():  # an unreadable image is left out with a note; the page is still written
        try:
            readable[name] = _read(path, name in LABELS)
        except InputError as exc:
            notes.append(f"{name}: not shown ({exc})")
    if not readable:
        return None
    ref_name = "label" if "label" in readable else next(iter(readable))
    geom = readable[ref_name].geometry
    row_mm, col_mm = display_spacing(geom)
    out = DisplayVolumes(geom, stride_for(display_shape(geom)), row_mm / col_mm, notes=notes)
    for name, vol in readable.items():
        is_label = name in LABELS
        if not vol.geometry.same_grid(geom, atol=1e-2):
            try:
                vol = resample_to(vol, geom, "nearest" if is_label else "linear", reference_source=images[ref_name])
            except InputError as exc:
                out.notes.append(f"{name}: not shown ({exc})")
                continue
            out.notes.append(f"{name} resampled onto the grid of {ref_name} for display")
        arr = vol.array
        if name == "truth" and truth_label_map:
            arr, _ = apply_label_map(np.asarray(arr).astype(np.int64), truth_label_map)
        out.slices[name] = out.to_display(np.asarray(arr if not is_label else np.rint(arr).astype(np.uint8)))
    return out


__all__ = ["DisplayVolumes", "load_display"]
