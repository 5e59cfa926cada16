"""The ``Case``: one scan's images on one grid, with label, mask, clinical data and sources.

A layout only finds files (a :class:`CaseRef`); :func:`load_case` is the single place where
files become arrays: it reads every modality, checks it, resamples images that are on
another grid onto the reference grid, and maps the label values to the canonical ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import InputError, Message, Param
from strokeseg.io.geometry import Geometry
from strokeseg.io.labels import Region, apply_label_map, format_unknown, region_mask
from strokeseg.io.read import NonFinitePolicy, read_image, read_series
from strokeseg.io.resample import Interpolation, resample_to
from strokeseg.io.volume import Series, Volume


@dataclass(frozen=True)
class CaseRef:
    """Where a case's files are; produced by a layout, turned into a :class:`Case` by :func:`load_case`."""

    case_id: str
    patient_id: str
    images: Mapping[str, Path]
    reference: str
    layout: str
    label_map: Mapping[int, int]
    label: Path | None = None
    mask: Path | None = None
    series: Mapping[str, Path] = field(default_factory=dict)
    clinical: Mapping[str, Any] = field(default_factory=dict)
    frame_interval: float | None = None
    folder: Path | None = None
    found: tuple[str, ...] = ()  # how the layout found each input (a DICOM export: each series' role and why)

    def __post_init__(self) -> None:
        from strokeseg.io.outputs import check_case_id

        check_case_id(self.case_id, self.folder or (next(iter(self.images.values()), None) if self.images else None))

    def files(self) -> list[Path]:
        """Every file this case reads (images, series, label, mask)."""
        extra = [p for p in (self.label, self.mask) if p is not None]
        return [*self.images.values(), *self.series.values(), *extra]

    @property
    def where(self) -> Path:
        """The folder (or reference file) to name in messages about this case."""
        if self.folder is not None:
            return self.folder
        if self.reference in self.images:
            return self.images[self.reference]
        return next(iter(self.images.values()))


@dataclass
class Case:
    """One scan. Arrays are ``(Z, Y, X)``; see :mod:`strokeseg.io.geometry` for the convention.

    Attributes:
        case_id: unique id of the scan within its dataset.
        patient_id: id of the patient (several scans of one patient share it; folds group by it).
        images: modality name → float32 array on ``geometry``.
        geometry: the grid of every array of the case (the reference modality's grid).
        label: canonical label map (0 background, 1 penumbra, 2 core), uint8, or None.
        brain_mask: boolean brain mask, or None.
        series: name → 4D perfusion series on the same grid.
        clinical: e.g. ``{"nihss": 14, "group": "LVO"}``.
        sources: what each array was read from.
        notes: what was done on the way (resampling, NaN clean-up), for reports.
    """

    case_id: str
    images: dict[str, np.ndarray]
    geometry: Geometry
    patient_id: str = ""
    label: np.ndarray | None = None
    brain_mask: np.ndarray | None = None
    series: dict[str, Series] = field(default_factory=dict)
    clinical: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    layout: str = ""

    def __post_init__(self) -> None:
        if not self.patient_id:
            self.patient_id = self.case_id
        for name, arr in self.images.items():
            if arr.shape != self.geometry.shape:
                raise ValueError(f"{self.case_id}: modality {name} has shape {arr.shape}, grid is {self.geometry.shape}")
        if self.label is not None and self.label.shape != self.geometry.shape:
            raise ValueError(f"{self.case_id}: label shape {self.label.shape} != grid {self.geometry.shape}")

    @property
    def nihss(self) -> float | None:
        v = self.clinical.get("nihss")
        return None if v is None else float(v)

    @property
    def group(self) -> str | None:
        v = self.clinical.get("group")
        return None if v in (None, "") else str(v)

    @property
    def modalities(self) -> list[str]:
        return list(self.images)

    def image(self, name: str) -> np.ndarray:
        """The image of ``modality``; a missing one is an InputError naming the case."""
        if name not in self.images:
            raise InputError(f"case {self.case_id} has no modality {name!r} (has: {', '.join(self.images) or 'none'})")
        return self.images[name]

    def stack(self, names: Sequence[str]) -> np.ndarray:
        """Channels ``(C, Z, Y, X)`` float32 in the order of ``names``."""
        return np.stack([self.image(n) for n in names]).astype(np.float32, copy=False)

    def region(self, region: Region | str) -> np.ndarray:
        """The boolean mask ``(Z, Y, X)`` of ``region`` in the label map."""
        if self.label is None:
            raise InputError(f"case {self.case_id} has no label map")
        return region_mask(self.label, region)


def _check_on_grid(vol: Volume, reference: Geometry, interp: Interpolation, notes: list[str], source: Path | None = None) -> np.ndarray:
    if vol.geometry.same_grid(reference):
        return vol.array
    res = resample_to(vol, reference, interp, reference_source=source)
    notes.extend(res.notes[len(vol.notes) :])
    return res.array


def read_geometry(path: Path) -> Geometry:
    """The grid of an image file without reading its voxels where the format allows it."""
    from strokeseg.io import nifti

    if nifti.is_nifti(path) and path.exists():
        return nifti.header_geometry(nifti._load(path), path)  # a 4D series: its spatial grid
    from strokeseg.io.dicom import is_dicom_file

    if path.is_dir() or is_dicom_file(path):  # a DICOM series (folder or file), 3D or time-resolved: one frame's slices are read
        from strokeseg.io.dicom import dicom_geometry

        return dicom_geometry(path)
    return read_image(path).geometry


def _reference_grid(ref: CaseRef) -> tuple[Path, Geometry]:
    """The file and grid of the case's reference modality (an image, or a series for series-only cases)."""
    src = ref.images.get(ref.reference) or ref.series.get(ref.reference)
    if src is None:
        raise InputError(f"case {ref.case_id}: reference modality {ref.reference} not found", ref.where)
    return src, read_geometry(src)


def _read_label(ref: CaseRef, grid: tuple[Path, Geometry], notes: list[str]) -> np.ndarray:
    assert ref.label is not None
    vol = read_image(ref.label, NonFinitePolicy.ERROR, integers=True)
    notes.extend(vol.notes)
    canon, unknown = apply_label_map(vol.array, ref.label_map)
    if unknown:
        raise InputError(
            Message(
                f"{format_unknown(unknown)} are outside the {ref.layout} label map {dict(ref.label_map)}; ",
                Param("label_map"),
                " to map them",
            ),
            ref.label,
        )
    lab = Volume(canon, vol.geometry, ref.label)
    return _check_on_grid(lab, grid[1], Interpolation.NEAREST, notes, grid[0]).astype(np.uint8)


def _read_mask(path: Path, grid: tuple[Path, Geometry], notes: list[str]) -> np.ndarray:
    vol = read_image(path, NonFinitePolicy.ERROR)
    notes.extend(vol.notes)
    vol = Volume((vol.array > 0.5).astype(np.uint8), vol.geometry, path)
    return _check_on_grid(vol, grid[1], Interpolation.NEAREST, notes, grid[0]).astype(bool)


def _read_series(
    ref: CaseRef, grid: Geometry, frame_interval: float | None, nonfinite: NonFinitePolicy | str, notes: list[str]
) -> dict[str, Series]:
    series: dict[str, Series] = {}
    for name, path in ref.series.items():
        s = read_series(path, frame_interval if frame_interval is not None else ref.frame_interval, nonfinite)
        if not s.geometry.same_grid(grid, atol=1e-2):
            raise InputError(f"4D series grid {s.geometry.describe()} does not match the case grid {grid.describe()}", path)
        notes.extend(s.notes)
        series[name] = s
    return series


def load_case(
    ref: CaseRef,
    modalities: Iterable[str] | None = None,
    with_series: bool = False,
    with_label: bool = True,
    nonfinite: NonFinitePolicy | str = NonFinitePolicy.ERROR,
    frame_interval: float | None = None,
) -> Case:
    """Read a case's files into a :class:`Case` on the reference modality's grid.

    Images on another grid are resampled onto it (linear; label and mask nearest) with a note.

    Args:
        modalities: the modalities needed (all the case has when None); a missing one is an error.
        with_series: also read the 4D series (they must lie on the reference grid).
        with_label: read and map the label map when the case has one.
        nonfinite: policy for NaN/Inf voxels.
        frame_interval: seconds between series frames, overriding the files.

    Examples:
        >>> from strokeseg import load_case, open_dataset  # doctest: +SKIP
        >>> case = load_case(open_dataset("isles18").cases[0], with_series=True)  # doctest: +SKIP
        >>> case.images["CBF"].shape == case.geometry.shape  # (Z, Y, X)  # doctest: +SKIP
        True
    """
    wanted = list(ref.images) if modalities is None else list(modalities)
    missing = [m for m in wanted if m not in ref.images]
    if missing:
        raise InputError(f"case {ref.case_id}: missing modality {', '.join(missing)} (found: {', '.join(ref.images) or 'none'})", ref.where)
    grid = _reference_grid(ref)
    ref_src, ref_geom = grid
    notes: list[str] = []
    images: dict[str, np.ndarray] = {}
    for name in wanted:
        vol = read_image(ref.images[name], nonfinite)
        notes.extend(vol.notes)
        images[name] = _check_on_grid(vol, ref_geom, Interpolation.LINEAR, notes, ref_src).astype(np.float32, copy=False)
    sources: dict[str, Path] = {name: ref.images[name] for name in wanted}
    label = _read_label(ref, grid, notes) if with_label and ref.label is not None else None
    if label is not None:
        sources["label"] = ref.label  # type: ignore[assignment]
    mask = _read_mask(ref.mask, grid, notes) if ref.mask is not None else None
    if ref.mask is not None:
        sources["mask"] = ref.mask
    series = _read_series(ref, ref_geom, frame_interval, nonfinite, notes) if with_series else {}
    sources.update({name: ref.series[name] for name in series})
    return Case(
        case_id=ref.case_id,
        patient_id=ref.patient_id,
        images=images,
        geometry=ref_geom,
        label=label,
        brain_mask=mask,
        series=series,
        clinical=dict(ref.clinical),
        sources=sources,
        notes=notes,
        layout=ref.layout,
    )
