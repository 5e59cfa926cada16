"""MetaImage (.mha/.mhd), NRRD and other ITK formats through SimpleITK."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from strokeseg.errors import InputError
from strokeseg.io.atomic import atomic_path
from strokeseg.io.geometry import Geometry

ITK_SUFFIXES = (".mha", ".mhd", ".nrrd", ".nhdr")


def is_itk(path: str | Path) -> bool:
    """Whether a path is an ITK image file (MHA, MHD, NRRD)."""
    return str(path).lower().endswith(ITK_SUFFIXES)


def _check_mhd_data_file(path: Path) -> None:
    """A MetaImage/NRRD header may name its data file(s) anywhere; only files beside the header are read."""
    low = str(path).lower()
    if not low.endswith((".mhd", ".mha", ".nhdr")):
        return
    with path.open("rb") as fh:
        lines = fh.read(65536).decode("latin-1").splitlines()
    sep, key = (":", "data file") if low.endswith(".nhdr") else ("=", "elementdatafile")
    for i, line in enumerate(lines):
        name, found, value = line.partition(sep)
        if not found or name.strip().lower() not in (key, "datafile"):
            continue
        value = value.strip()
        if value.upper() == "LOCAL":
            return
        names = [ln.strip() for ln in lines[i + 1 :] if ln.strip()] if value.upper().startswith("LIST") else [value.split()[0]]
        here = path.parent.resolve()
        for n in names:
            if Path(n).is_absolute() or (here / n).resolve().parent != here:
                raise InputError(f"the header names the data file {n!r}, which does not lie beside the header; refusing to read it", path)
        return


def _check_header(path: Path) -> None:
    """Validate an ITK image header (data file location, size) before reading the voxels."""
    import SimpleITK as sitk

    from strokeseg.io.limits import check_voxel_count

    _check_mhd_data_file(path)
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except Exception:
        return  # the full read below reports what is wrong
    size = reader.GetSize()
    if min(size) < 1:
        raise InputError(f"an image axis has zero length (size {size})", path)
    check_voxel_count(int(np.prod(size)) * int(reader.GetNumberOfComponents()), path)
    spacing = np.asarray(reader.GetSpacing(), dtype=float)
    if not np.all(np.isfinite(spacing)) or np.any(spacing <= 0):
        raise InputError(f"voxel spacing {spacing.tolist()} mm is zero, negative or not finite", path)


def read_sitk_image(path: str | Path):
    """Read an image with SimpleITK; an unreadable file is an InputError naming it."""
    import SimpleITK as sitk

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path)
    _check_header(path)
    try:
        return sitk.ReadImage(str(path))
    except Exception as exc:
        first = str(exc).strip().splitlines()
        detail = next((ln.strip() for ln in first if ln.strip().startswith(("Description", "ImageIO"))), "")
        raise InputError(f"cannot read image (truncated, corrupt or unsupported){': ' + detail if detail else ''}", path) from None


def sitk_to_array(image, path: Path | None = None) -> tuple[np.ndarray, Geometry]:
    """A 3D SimpleITK image as ``(Z, Y, X)`` float32 plus geometry."""
    import SimpleITK as sitk

    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError("multi-component (vector/RGB) images are not supported", path)
    if image.GetDimension() == 4:
        size = image.GetSize()
        if size[3] != 1:
            raise InputError(f"expected a 3D volume, found a 4D image with {size[3]} frames", path)
        image = image[:, :, :, 0]
    try:
        arr = sitk.GetArrayFromImage(image)
    except Exception as exc:
        raise InputError(f"voxel data cannot be read ({exc})", path) from None
    if arr.ndim == 2:
        arr = arr[None]
    try:
        geom = Geometry.from_sitk(image)
    except ValueError as exc:
        raise InputError(f"invalid geometry: {exc}", path) from None
    return np.ascontiguousarray(arr, dtype=np.float32), geom


def read_itk(path: str | Path) -> tuple[np.ndarray, Geometry]:
    """Read a 3D MetaImage/NRRD file as ``(Z, Y, X)`` float32 plus its geometry."""
    path = Path(path)
    return sitk_to_array(read_sitk_image(path), path)


def read_itk_series(path: str | Path) -> tuple[np.ndarray, Geometry, float | None]:
    """Read a 4D MetaImage as ``(Z, Y, X, T)`` float32, geometry and the 4th spacing (s)."""
    import SimpleITK as sitk

    path = Path(path)
    image = read_sitk_image(path)
    if image.GetDimension() != 4:
        raise InputError(f"expected a 4D series, found a {image.GetDimension()}D image", path)
    arr = sitk.GetArrayFromImage(image)  # (t, z, y, x)
    data = np.ascontiguousarray(np.transpose(arr, (1, 2, 3, 0)), dtype=np.float32)
    size = image.GetSize()
    d4 = np.asarray(image.GetDirection()).reshape(4, 4)
    try:
        geom = Geometry(
            shape=(size[2], size[1], size[0]),
            spacing=tuple(image.GetSpacing()[:3]),  # type: ignore[arg-type]
            origin=tuple(image.GetOrigin()[:3]),  # type: ignore[arg-type]
            direction=tuple(d4[:3, :3].ravel().tolist()),
        )
    except ValueError as exc:
        raise InputError(f"invalid geometry: {exc}", path) from None
    dt = float(image.GetSpacing()[3])
    return data, geom, (dt if dt > 0 else None)


def array_to_sitk(array: np.ndarray, geometry: Geometry):
    """A SimpleITK image of a ``(Z, Y, X)`` array on ``geometry``."""
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(np.asarray(array))
    return geometry.apply_to_sitk(image)


def write_itk(path: str | Path, array: np.ndarray, geometry: Geometry, compress: bool = True) -> Path:
    """Write a ``(Z, Y, X)`` array as MetaImage/NRRD atomically."""
    import SimpleITK as sitk

    path = Path(path)
    image = array_to_sitk(array, geometry)
    if str(path).lower().endswith(".mhd"):
        # .mhd has a separate .raw file; write both directly (rename of a pair is not atomic).
        path.parent.mkdir(parents=True, exist_ok=True)
        sitk.WriteImage(image, str(path), compress)
        return path
    with atomic_path(path) as tmp:
        sitk.WriteImage(image, str(tmp), compress)
    return path
