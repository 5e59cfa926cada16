"""Format dispatch: read any supported image, label map or 4D series from a path."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from strokeseg.diagnostics import warn
from strokeseg.errors import InputError, Message, Param
from strokeseg.io import dicom, itk, nifti
from strokeseg.io.modes import NonFinitePolicy
from strokeseg.io.volume import Series, Volume


def _format(path: Path) -> str:
    if path.is_dir():
        return "dicom"
    if nifti.is_nifti(path):
        return "nifti"
    if itk.is_itk(path):
        return "itk"
    if path.suffix.lower() in (".dcm", ".ima") or dicom.is_dicom_file(path):
        return "dicom-file"  # one file of a series: the series it belongs to
    raise InputError("unsupported file type (expected .nii, .nii.gz, .mha, .mhd, .nrrd or a DICOM folder)", path)


def count_nonfinite(array: np.ndarray) -> int:
    """NaN/Inf values in ``array``, counted one slab of the first axis at a time (no full-size mask)."""
    if not np.issubdtype(array.dtype, np.inexact):
        return 0
    if array.ndim == 0:
        return int(not np.isfinite(array))
    return sum(int(np.count_nonzero(~np.isfinite(array[i]))) for i in range(array.shape[0]))


def check_finite(array: np.ndarray, path: Path | None, policy: NonFinitePolicy | str, notes: list[str]) -> np.ndarray:
    """Apply the non-finite policy; returns the (possibly cleaned) array."""
    n_bad = count_nonfinite(array)
    if n_bad == 0:
        return array
    bad = ~np.isfinite(array)
    if NonFinitePolicy(policy) is NonFinitePolicy.ERROR:
        raise InputError(
            Message(
                f"contains {n_bad} NaN/Inf voxel(s) ({100.0 * n_bad / array.size:.2f} %); fix the file or ",
                Param("nonfinite", takes_value=True),
                " zero",
            ),
            path,
        )
    array = np.where(bad, 0, array).astype(array.dtype)
    notes.append(warn("nonfinite-set-to-zero", f"{n_bad} NaN/Inf voxel(s) set to 0", path))
    return array


def read_image(path: str | Path, nonfinite: NonFinitePolicy | str = NonFinitePolicy.ERROR, integers: bool = False) -> Volume:
    """Read a 3D image (NIfTI, MetaImage/NRRD, or a DICOM series folder), float32.

    ``integers``: keep a NIfTI's stored integer type (label maps): no float copy, and label
    values then map through a lookup table.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path)
    fmt = _format(path)
    notes: list[str] = []
    if fmt == "nifti":
        arr, geom, notes = nifti.read_nifti_with_notes(path, None if integers else np.float32)
    elif fmt == "itk":
        arr, geom = itk.read_itk(path)
    elif fmt == "dicom":
        arr, geom = dicom.read_dicom(path)
    else:
        arr, geom = dicom.read_dicom(path)
    arr = check_finite(arr, path, nonfinite, notes)
    if arr.size == 0:
        raise InputError("image has no voxels", path)
    return Volume(arr, geom, path, notes)


def read_series(path: str | Path, frame_interval: float | None = None, nonfinite: NonFinitePolicy | str = NonFinitePolicy.ERROR) -> Series:
    """Read a 4D perfusion series (time last on disk), ``(Z, Y, X, T)`` in memory.

    Args:
        frame_interval: seconds between frames; overrides what the file says. Required when
            the file does not store it (then an error says so).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path)
    fmt = _format(path)
    times: np.ndarray | None = None
    dt: float | None
    notes: list[str] = []
    if fmt == "nifti":
        data, geom, dt, notes = nifti.read_nifti_series_with_notes(path)
    elif fmt == "itk":
        data, geom, dt = itk.read_itk_series(path)
    else:
        data, geom, times = dicom.read_dicom_series(path)
        dt = float(np.median(np.diff(times))) if times is not None and len(times) > 1 else None
    if frame_interval is not None:
        if frame_interval <= 0:
            raise InputError(f"frame interval must be positive, got {frame_interval}", path)
        times = np.arange(data.shape[3]) * float(frame_interval)
        notes.append(f"{path}: frame interval set to {frame_interval:g} s by the user")
    elif times is None:
        if dt is None:
            raise InputError(Message("the file does not state the time between frames; ", Param("frame_interval"), " (seconds)"), path)
        times = np.arange(data.shape[3]) * dt
    data = check_finite(data, path, nonfinite, notes)
    return Series(data, geom, times, path, notes)


def image_dimensions(path: str | Path) -> int | None:
    """The number of dimensions an image file declares (header only; None when it cannot be read)."""
    path = Path(path)
    try:
        if path.name.lower().endswith((".nii", ".nii.gz")):
            import nibabel as nib

            return len(nib.load(str(path)).shape)  # type: ignore[attr-defined]
        import SimpleITK as sitk

        reader = sitk.ImageFileReader()
        reader.SetFileName(str(path))
        reader.ReadImageInformation()
        return int(reader.GetDimension())
    except Exception:
        return None
