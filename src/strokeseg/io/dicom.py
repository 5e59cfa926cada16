"""DICOM series (SimpleITK/GDCM): 3D volumes and 4D perfusion series.

A series is given as its folder, which must then hold one series (several series are an error
that lists them), or as one of its files: the series that file belongs to, among the files of its
folder (a PACS export that puts several series in one folder). A series in
which every slice position occurs several times is a 4D acquisition: its frames are ordered
by TemporalPositionIdentifier, else AcquisitionTime / ContentTime, else InstanceNumber.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strokeseg.errors import InputError, one_line
from strokeseg.io.geometry import Geometry

_TAG_POSITION = "0020|0032"
_TAG_ORIENTATION = "0020|0037"
_TAG_TEMPORAL_POSITION = "0020|0100"
_TAG_ACQ_TIME = "0008|0032"
_TAG_CONTENT_TIME = "0008|0033"
_TAG_INSTANCE = "0020|0013"
_TAG_DESCRIPTION = "0008|103e"


def _dicom_time_seconds(text: str) -> float | None:
    text = text.strip()
    if len(text) < 6:
        return None
    try:
        hh, mm, ss = int(text[0:2]), int(text[2:4]), float(text[4:])
    except ValueError:
        return None
    return hh * 3600.0 + mm * 60.0 + ss


def series_uid(path: Path) -> str:
    """The SeriesInstanceUID of a DICOM file (header only)."""
    import warnings

    import pydicom

    try:
        with warnings.catch_warnings():  # a damaged file: the one error line below says it
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"])
    except Exception as exc:
        raise InputError(f"cannot read DICOM header ({one_line(str(exc))})", path) from None
    uid = str(getattr(ds, "SeriesInstanceUID", "") or "")
    if not uid:
        raise InputError("DICOM file has no SeriesInstanceUID", path)
    return uid


def count_series(folder: Path) -> int:
    """How many DICOM series GDCM finds in ``folder`` (its files only, not its sub-folders)."""
    import SimpleITK as sitk

    return len(sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder)))


def _series_files(path: Path) -> list[str]:
    """The files of the series at ``path``: a folder holding one series, or a file of a series (its
    folder may hold others)."""
    import SimpleITK as sitk

    if not path.exists():
        raise InputError("not found", path)
    folder, wanted = (path, None) if path.is_dir() else (path.parent, series_uid(path))
    ids = list(sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder)))
    if not ids:
        raise InputError("no DICOM series found in this folder", folder)
    if wanted is None and len(ids) > 1:
        raise InputError(f"holds {len(ids)} DICOM series ({', '.join(ids)}); give a folder with one series, or one file of it", folder)
    if wanted is not None and wanted not in ids:
        raise InputError(f"GDCM finds no readable series {wanted} in this file's folder", path)
    files = list(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), wanted or ids[0]))
    if not files:
        raise InputError("DICOM series has no readable files", path)
    others = [f for i in ids if i != (wanted or ids[0]) for f in sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), i)]
    _check_unlisted(folder, files + others)
    return files


def is_dicom_file(path: Path) -> bool:
    """A ``.dcm``/``.ima`` name or the ``DICM`` magic at byte 128."""
    if path.suffix.lower() in (".dcm", ".ima"):
        return True
    try:
        with path.open("rb") as fh:
            fh.seek(128)
            return fh.read(4) == b"DICM"
    except OSError:
        return False


def _check_unlisted(folder: Path, files: list[str]) -> None:
    """A DICOM file in the folder that GDCM left out of the series is unreadable: say so, never drop it."""
    listed = {Path(f).resolve() for f in files}
    for f in sorted(folder.iterdir()):
        if f.name.startswith(".") or not f.is_file() or f.resolve() in listed or f.name.upper() == "DICOMDIR":
            continue
        if is_dicom_file(f):
            raise InputError(
                f"DICOM file is unreadable or not part of the folder's series; the series would be read "
                f"without it ({len(files)} other files); fix or remove it",
                f,
            )


def _slice_positions(tags: list[dict[str, str]], files: list[str]) -> np.ndarray:
    """Distance of each file's slice along the slice normal (mm)."""
    ori = tags[0].get(_TAG_ORIENTATION, "1\\0\\0\\0\\1\\0")
    try:
        o = np.array([float(v) for v in ori.split("\\")], dtype=float)
        normal = np.cross(o[:3], o[3:6])
        pos = np.array([[float(v) for v in t[_TAG_POSITION].split("\\")] for t in tags], dtype=float)
    except (KeyError, ValueError, IndexError):
        i = next((k for k, t in enumerate(tags) if _TAG_POSITION not in t), 0)
        raise InputError("DICOM slice lacks a valid ImagePositionPatient / ImageOrientationPatient", files[i]) from None
    return pos @ normal


def check_slices(files: list[str], tags: list[dict[str, str]], folder: Path) -> None:
    """Refuse duplicate slice positions and uneven slice spacing (a missing slice), naming the files."""
    if len(files) < 2:
        return
    d = _slice_positions(tags, files)
    order = np.argsort(d, kind="stable")
    ds = d[order]
    gaps = np.diff(ds)
    dup = np.flatnonzero(gaps < 1e-3)
    if dup.size:
        a, b = files[order[dup[0]]], files[order[dup[0] + 1]]
        raise InputError(f"duplicate slice: {Path(a).name} and {Path(b).name} lie at the same position ({ds[dup[0]]:.2f} mm)", folder)
    step = float(gaps.min())  # the series' own spacing: a missing slice only makes gaps larger
    bad = np.flatnonzero(np.abs(gaps - step) > max(0.01 * step, 1e-3))
    if bad.size:
        i = bad[0]
        a, b = files[order[i]], files[order[i + 1]]
        what = f"{round(gaps[i] / step) - 1} missing slice(s)" if gaps[i] > 1.5 * step else "uneven slice spacing"
        raise InputError(
            f"{what}: {Path(a).name} and {Path(b).name} are {gaps[i]:.2f} mm apart where the series spacing is {step:.2f} mm", folder
        )


def check_pixel_headers(files: list[str]) -> None:
    """Refuse headers that contradict each other or the pixel data, before any voxel is read: PixelSpacing
    must be two positive numbers (``0\\0`` was read as 1 mm), Rows and Columns positive and equal across the
    series, and native (uncompressed) pixel data exactly as long as Rows × Columns × samples × bytes ×
    frames say (a lying Rows gave a 256 × 9999 grid)."""
    import pydicom

    shape = None
    for f in files:
        try:
            ds = pydicom.dcmread(f, defer_size=256, stop_before_pixels=False)
            rows, cols = int(ds.Rows), int(ds.Columns)
            bits, spp = int(ds.get("BitsAllocated", 16)), int(ds.get("SamplesPerPixel", 1) or 1)
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            spacing = ds.get("PixelSpacing")
        except (AttributeError, TypeError, ValueError) as exc:
            raise InputError(f"DICOM header lacks valid Rows / Columns / BitsAllocated ({one_line(str(exc))[:120]})", f) from None
        except Exception as exc:
            raise InputError(f"cannot read DICOM header ({one_line(str(exc))[:120]})", f) from None
        if not (0 < rows <= 65535 and 0 < cols <= 65535 and bits in (1, 8, 16, 32, 64) and 0 < spp <= 4 and frames > 0):
            raise InputError(f"DICOM header: Rows {rows}, Columns {cols}, BitsAllocated {bits}, SamplesPerPixel {spp} are not an image", f)
        if shape is not None and (rows, cols) != shape:
            raise InputError(f"DICOM header: {rows} × {cols} pixels where the series' first slice has {shape[0]} × {shape[1]}", f)
        shape = (rows, cols)
        try:
            dy, dx = (float(v) for v in spacing)
        except (TypeError, ValueError):
            raise InputError(f"DICOM header lacks a valid PixelSpacing (0028,0030): {spacing!r}", f) from None
        if not (np.isfinite(dy) and np.isfinite(dx) and dy > 0 and dx > 0):
            raise InputError(f"DICOM header: PixelSpacing {dy:g}\\{dx:g} is not two positive numbers", f)
        meta = getattr(ds, "file_meta", None)
        syntax = getattr(meta, "TransferSyntaxUID", None)
        raw = ds.get_item("PixelData", keep_deferred=True) if "PixelData" in ds else None
        if raw is None:
            raise InputError("DICOM file holds no pixel data", f)
        length = getattr(raw, "length", None)
        encapsulated = bool(syntax is not None and syntax.is_encapsulated) or length == 0xFFFFFFFF
        if not encapsulated and length is not None:
            need = (rows * cols * spp * frames * bits + 7) // 8
            if length not in (need, need + 1):  # + 1: the pad to an even length
                raise InputError(
                    f"DICOM header and pixel data disagree: Rows {rows} × Columns {cols} × {bits} bits need {need:,} bytes, "
                    f"the pixel data holds {length:,}",
                    f,
                )


def _read_tags(files: list[str]) -> list[dict[str, str]]:
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    tags = []
    for f in files:
        reader.SetFileName(f)
        try:
            reader.ReadImageInformation()
        except Exception as exc:
            raise InputError(f"cannot read DICOM header ({exc})", f) from None
        tags.append({k: reader.GetMetaData(k) for k in reader.GetMetaDataKeys()})
    return tags


def _read_files(files: list[str], folder: Path):
    import SimpleITK as sitk

    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(files)
    try:
        return reader.Execute()
    except Exception as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"cannot decode the DICOM pixel data in {describe_transfer_syntax(files[0])} "
            f"(GDCM through SimpleITK decodes JPEG, JPEG-LS, JPEG 2000 and RLE; {detail})",
            files[0],
        ) from None


def _group_frames(files: list[str], tags: list[dict[str, str]]) -> list[list[int]] | None:
    """Indices of files per time frame, or None for a plain 3D series."""
    positions = []
    for f, t in zip(files, tags):
        try:
            pos = tuple(round(float(v), 3) for v in t.get(_TAG_POSITION, "0\\0\\0").split("\\"))
        except ValueError:
            pos = ()
        if len(pos) != 3 or not all(np.isfinite(pos)):
            raise InputError(f"DICOM slice has no valid ImagePositionPatient ({t.get(_TAG_POSITION, '')!r})", f)
        positions.append(pos)
    n_pos = len(set(positions))
    if n_pos == len(files) or len(files) % n_pos:
        return None
    n_frames = len(files) // n_pos

    def time_key(i: int) -> tuple[float, float]:
        t = tags[i]
        if _TAG_TEMPORAL_POSITION in t and t[_TAG_TEMPORAL_POSITION].strip():
            return (float(t[_TAG_TEMPORAL_POSITION]), 0.0)
        for tag in (_TAG_ACQ_TIME, _TAG_CONTENT_TIME):
            s = _dicom_time_seconds(t.get(tag, ""))
            if s is not None:
                return (s, 0.0)
        return (float(t.get(_TAG_INSTANCE, i) or i), 0.0)

    by_pos: dict[tuple[float, ...], list[int]] = defaultdict(list)
    for i, p in enumerate(positions):
        by_pos[p].append(i)
    if any(len(v) != n_frames for v in by_pos.values()):
        return None
    for v in by_pos.values():
        v.sort(key=time_key)
    return [[by_pos[p][f] for p in by_pos] for f in range(n_frames)]


def read_dicom(folder: str | Path) -> tuple[np.ndarray, Geometry]:
    """Read a 3D DICOM series (its folder, or one of its files) as ``(Z, Y, X)`` float32 plus geometry."""
    import SimpleITK as sitk

    folder = Path(folder)
    files = _series_files(folder)
    tags = _read_tags(files)
    check_pixel_headers(files)
    if _group_frames(files, tags) is not None:
        raise InputError("is a 4D (time-resolved) DICOM series; expected a 3D volume", folder)
    check_slices(files, tags, folder)
    image = _read_files(files, folder)
    if len(files) == 1:  # one slice: ITK cannot measure the slice spacing; the header states the slab's thickness
        thick = _first_number(tags[0].get("0018|0088", "")) or _first_number(tags[0].get("0018|0050", ""))
        if thick:
            image.SetSpacing((*image.GetSpacing()[:2], thick))
    arr = sitk.GetArrayFromImage(image).astype(np.float32)
    return np.ascontiguousarray(arr), _geometry(image, folder, tags)


def _first_number(text: str) -> float | None:
    try:
        v = float(text.split("\\")[0])
    except ValueError:
        return None
    return v if v > 0 else None


def _geometry(image, folder: Path, tags: list[dict[str, str]]) -> Geometry:
    """The grid ITK read, with the slice step taken from the files' positions when it leaves the normal.

    ITK places slice ``k`` at ``k`` × (the distance between positions) along the slice normal. A tilted
    gantry steps each slice sideways as well, so ITK's grid would misplace the slices and count each
    voxel larger by ``1 / cos(tilt)``; the step from the first to the last position becomes the grid's
    third column instead (a sheared grid, kept as such in every output). ``tags`` are the slices' headers,
    in the order read.
    """
    try:
        geom = Geometry.from_sitk(image)
    except ValueError as exc:
        raise InputError(f"invalid geometry: {exc}", folder) from None
    if len(tags) < 2 or image.GetDimension() != 3:
        return geom
    try:
        first, last = (np.array([float(v) for v in tags[i][_TAG_POSITION].split("\\")], dtype=float) for i in (0, -1))
    except (KeyError, ValueError):
        return geom
    step = (last - first) / (len(tags) - 1)
    m = geom.direction_matrix @ np.diag(geom.spacing)
    if first.shape != (3,) or np.allclose(step, m[:, 2], rtol=0, atol=1e-3 * max(geom.spacing[2], 1e-3)):
        return geom
    m[:, 2] = step
    spacing = np.linalg.norm(m, axis=0)
    try:
        return Geometry(geom.shape, tuple(spacing), tuple(first), tuple((m / spacing).ravel()), tuple(m.ravel()))  # type: ignore[arg-type]
    except ValueError as exc:
        raise InputError(f"invalid geometry: {exc}", folder) from None


def dicom_geometry(folder: str | Path) -> Geometry:
    """The grid of a DICOM series (folder or file), 3D or time-resolved (then of its first frame's slices only)."""
    folder = Path(folder)
    files = _series_files(folder)
    tags = _read_tags(files)
    check_pixel_headers(files)
    frames = _group_frames(files, tags)
    first = [files[i] for i in frames[0]] if frames is not None else files
    if len(first) == 1:  # one slice: the slab's thickness as in read_dicom
        return read_dicom(folder)[1]
    first_tags = [tags[i] for i in frames[0]] if frames is not None else tags
    return _geometry(_read_files(first, folder), folder, first_tags)


def read_dicom_series(folder: str | Path) -> tuple[np.ndarray, Geometry, np.ndarray | None]:
    """Read a time-resolved DICOM series (folder or file) as ``(Z, Y, X, T)`` float32, geometry and frame times (s)."""
    import SimpleITK as sitk

    folder = Path(folder)
    files = _series_files(folder)
    tags = _read_tags(files)
    check_pixel_headers(files)
    frames = _group_frames(files, tags)
    if frames is None:
        raise InputError(
            "is a 3D DICOM series; a perfusion series needs several time frames (or its frames are "
            "incomplete: not every slice position has the same number of frames)",
            folder,
        )
    check_slices([files[i] for i in frames[0]], [tags[i] for i in frames[0]], folder)
    vols = []
    geom = None
    times: list[float | None] = []
    for idx in frames:
        image = _read_files([files[i] for i in idx], folder)
        if geom is None:
            geom = _geometry(image, folder, [tags[i] for i in idx])
        vols.append(sitk.GetArrayFromImage(image).astype(np.float32))
        t0 = tags[idx[0]]
        times.append(_dicom_time_seconds(t0.get(_TAG_ACQ_TIME, "")) or _dicom_time_seconds(t0.get(_TAG_CONTENT_TIME, "")))
    assert geom is not None
    data = np.ascontiguousarray(np.stack(vols, axis=-1))
    frame_times = None
    if all(t is not None for t in times):
        ft = np.asarray(times, dtype=float)
        ft -= ft[0]
        if np.all(np.diff(ft) > 0):
            frame_times = ft
    return data, geom, frame_times


#: the UID root of the series strokeseg writes
UID_ROOT = "1.2.826.0.1.3680043.2.1125."


@dataclass(frozen=True)
class SeriesHeaders:
    """What a written series says of itself: description, patient, study (None: a new one), modality and file-name prefix."""

    description: str = "strokeseg"
    patient: str = "PHANTOM"
    study_uid: str | None = None
    modality: str = "CT"
    prefix: str = "IM"


def _series_tags(geometry: Geometry, h: SeriesHeaders) -> tuple[tuple[tuple[str, str], ...], str]:
    """The tags every file of a new series shares (new series and frame-of-reference UIDs; the given study
    or a new one), and its ImageOrientationPatient."""
    from pydicom.uid import generate_uid

    series_uid, frame_uid = generate_uid(UID_ROOT), generate_uid(UID_ROOT)
    study_uid = h.study_uid or generate_uid(UID_ROOT)
    description, patient = h.description, h.patient
    d = geometry.direction_matrix
    orientation = "\\".join(f"{v:.6f}" for v in (d[0, 0], d[1, 0], d[2, 0], d[0, 1], d[1, 1], d[2, 1]))
    constant = (
        ("0008|0060", h.modality),
        ("0008|0008", "ORIGINAL\\PRIMARY\\AXIAL"),
        ("0008|0070", "strokeseg"),
        ("0010|0010", patient + "^"),
        ("0010|0020", patient),
        ("0018|0060", ""),
        ("0018|5100", "HFS"),
        ("0020|000e", series_uid),
        ("0020|000d", study_uid),
        ("0020|0052", frame_uid),
        ("0020|1040", ""),
        ("0020|0010", "1"),
        ("0020|0011", "1"),
        ("0020|0012", "1"),
        ("0020|0060", ""),
        ("0008|103e", description),
        ("0028|1054", "HU"),
    )
    return constant, orientation


def write_dicom_series(
    folder: str | Path,
    array: np.ndarray,
    geometry: Geometry,
    frame_times: np.ndarray | None = None,
    headers: SeriesHeaders = SeriesHeaders(),
) -> Path:
    """Write ``(Z, Y, X)`` or ``(Z, Y, X, T)`` int16-representable data as a DICOM series (CT unless ``headers`` say).

    Values are rounded to int16 (CT HU). Each slice becomes one file; a 4D array writes
    ``T`` frames sharing the slice positions with AcquisitionTime and TemporalPositionIdentifier.
    The files carry the CT Image IOD's patient, study, series, frame-of-reference and
    equipment attributes (new UIDs per call), so that DICOM SEG/SR can reference them.
    """
    import SimpleITK as sitk

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arr = np.asarray(array)
    frames = [arr] if arr.ndim == 3 else [arr[..., t] for t in range(arr.shape[3])]
    times = np.zeros(len(frames)) if frame_times is None else np.asarray(frame_times, dtype=float)
    from pydicom.uid import generate_uid

    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    constant, orientation = _series_tags(geometry, headers)
    n = 0
    for f, vol in enumerate(frames):
        image = sitk.GetImageFromArray(np.rint(vol).astype(np.int16))
        geometry.apply_to_sitk(image)
        t = 8 * 3600 + float(times[f])
        acq = f"{int(t // 3600):02d}{int(t % 3600 // 60):02d}{t % 60:09.6f}"
        for k in range(vol.shape[0]):
            sl = image[:, :, k]
            pos = image.TransformIndexToPhysicalPoint((0, 0, k))
            for tag, value in (
                *constant,
                ("0008|0018", generate_uid(UID_ROOT)),
                (_TAG_ORIENTATION, orientation),
                (_TAG_POSITION, "\\".join(f"{v:.6f}" for v in pos)),
                (_TAG_INSTANCE, str(n + 1)),
                (_TAG_ACQ_TIME, acq),
                (_TAG_TEMPORAL_POSITION, str(f + 1)),
                ("0018|0050", f"{geometry.spacing[2]:.6f}"),
                ("0028|1052", "0"),
                ("0028|1053", "1"),
            ):
                sl.SetMetaData(tag, value)
            writer.SetFileName(str(folder / f"{headers.prefix}{n:05d}.dcm"))
            writer.Execute(sl)
            n += 1
    return folder


#: transfer syntaxes by UID (the compressed ones real scanners write)
TRANSFER_SYNTAXES = {
    "1.2.840.10008.1.2": "Implicit VR Little Endian",
    "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
    "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
    "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.4.50": "JPEG Baseline",
    "1.2.840.10008.1.2.4.51": "JPEG Extended",
    "1.2.840.10008.1.2.4.57": "JPEG Lossless",
    "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1",
    "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
    "1.2.840.10008.1.2.4.81": "JPEG-LS Near-lossless",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
    "1.2.840.10008.1.2.4.91": "JPEG 2000",
    "1.2.840.10008.1.2.5": "RLE Lossless",
    "1.2.840.10008.1.2.4.201": "HTJ2K Lossless",
    "1.2.840.10008.1.2.4.203": "HTJ2K",
}


def transfer_syntax(path: str | Path) -> str | None:
    """The Transfer Syntax UID (0002,0010) from a DICOM file's meta header, or None.

    The file meta group is always explicit VR little endian, so a few bytes tell it without a
    DICOM library.
    """
    import struct

    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if head[128:132] != b"DICM":
        return None
    pos = 132
    while pos + 8 <= len(head):
        group, elem = struct.unpack("<HH", head[pos : pos + 4])
        if group != 0x0002:
            return None
        vr = head[pos + 4 : pos + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            length = struct.unpack("<I", head[pos + 8 : pos + 12])[0]
            start = pos + 12
        else:
            length = struct.unpack("<H", head[pos + 6 : pos + 8])[0]
            start = pos + 8
        if elem == 0x0010:
            return head[start : start + length].decode("ascii", "replace").strip("\0 ")
        pos = start + length
    return None


def describe_transfer_syntax(path: str | Path) -> str:
    """A transfer syntax UID's name (e.g. JPEG-LS lossless), or the UID itself."""
    uid = transfer_syntax(path)
    if uid is None:
        return "an unknown transfer syntax"
    return f"transfer syntax {uid} ({TRANSFER_SYNTAXES.get(uid, 'not a standard one')})"


#: Series Description / Image Type words → canonical modality, in the order they are tried
_DESCRIPTION_WORDS = (
    ("TMAX", "Tmax"),
    ("T-MAX", "Tmax"),
    ("CBF", "CBF"),
    ("CBV", "CBV"),
    ("MTT", "MTT"),
    ("TTP", "TTP"),
    ("ADC", "ADC"),
    ("APPARENT DIFFUSION", "ADC"),
    ("TRACE", "DWI"),
    ("DWI", "DWI"),
    ("DIFFUSION", "DWI"),
    ("B1000", "DWI"),
    ("FLAIR", "FLAIR"),
    ("MIP", "MIP"),
    ("ANGIO", "CTA"),
    ("CTA", "CTA"),
)


def modality_from_headers(tags: dict[str, str], four_d: bool) -> str | None:
    """The canonical modality of a series from its DICOM headers (Series Description, Image Type,
    Modality); ``None`` when they do not say. A time-resolved series is CTP (CT) or PWI (MR)."""
    modality = tags.get("0008|0060", "").strip().upper()
    if four_d:
        return "PWI" if modality == "MR" else "CTP" if modality == "CT" else None
    text = " ".join((tags.get(_TAG_DESCRIPTION, ""), tags.get("0008|0008", ""))).upper().replace("_", " ")
    words = text.replace("\\", " ").split()
    for word, name in _DESCRIPTION_WORDS:
        if any(w == word or w.startswith(word) or w.endswith(word) for w in words):
            return name
    image_type = tags.get("0008|0008", "").upper()
    if modality == "CT" and "ORIGINAL" in image_type:
        return "CT"
    return None
