"""Reading a case's images for display: every volume on one grid, in radiological slices, subsampled.

The grid is the label's (the read-out's grid) or else the first map's; an image on another grid
is resampled onto it (linear for intensities, nearest for labels), as the command did when it read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from strokeseg.io.geometry import Geometry
from strokeseg.report.display import display_spacing, radiological, stride_for

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
    """
    from strokeseg.io.labels import apply_label_map
    from strokeseg.io.resample import resample_to

    if not images:
        return None
    ref_name = "label" if "label" in images else next(iter(images))
    ref = _read(images[ref_name], ref_name in LABELS)
    geom = ref.geometry
    row_mm, col_mm = display_spacing(geom)
    out = DisplayVolumes(geom, stride_for(radiological(np.zeros(geom.shape, np.uint8), geom).shape[1:]), row_mm / col_mm)
    for name, path in images.items():
        is_label = name in LABELS
        vol = ref if name == ref_name else _read(path, is_label)
        if not vol.geometry.same_grid(geom, atol=1e-2):
            vol = resample_to(vol, geom, "nearest" if is_label else "linear", reference_source=images[ref_name])
            out.notes.append(f"{name} resampled onto the grid of {ref_name} for display")
        arr = vol.array
        if name == "truth" and truth_label_map:
            arr, _ = apply_label_map(np.asarray(arr).astype(np.int64), truth_label_map)
        out.slices[name] = out.to_display(np.asarray(arr if not is_label else np.rint(arr).astype(np.uint8)))
    return out


__all__ = ["DisplayVolumes", "load_display"]
