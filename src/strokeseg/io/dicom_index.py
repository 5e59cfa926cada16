"""A folder of DICOM files as a hospital exports it: grouped into cases and series by their headers.

Every DICOM file under a folder (any depth; a DICOMDIR is skipped, not needed) is read header-only
and grouped:

* **cases** by (PatientID, StudyInstanceUID): one case per study of each patient;
* **series** by SeriesInstanceUID, each classified from its headers into a role: a series in which
  every slice position occurs several times is time-resolved (CT: ``CTP``, MR: ``PWI``); otherwise
  Series Description / Image Type / Modality name it (``CT`` for an original axial CT, vendor maps
  such as ``CBF``, ``DWI``, ``ADC``, ``CTA``; :func:`strokeseg.io.dicom.modality_from_headers`).
  A series alone in a sub-folder the headers do not name takes the sub-folder's name.

The perfusion series of a case is the time-resolved one with the most time points at one position
set; the others are listed as not used. Two series with one role are an ambiguity: each is one line
naming the candidates, resolved by choosing series (``--series ROLE=SERIES_UID``).
"""

from __future__ import annotations

import math
import re
import warnings
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from strokeseg.errors import InputError, Message, Param, one_line

#: header fields read from every file (nothing else: no pixels)
TAGS = (
    "PatientID",
    "StudyInstanceUID",
    "StudyDate",
    "SeriesInstanceUID",
    "SeriesNumber",
    "SeriesDescription",
    "Modality",
    "ImageType",
    "ImagePositionPatient",
    "Rows",
    "SOPClassUID",
)
MAX_FILES = 200_000  # a folder with more files than this is refused (one line), not walked for minutes
MAX_DEPTH = 8


@dataclass
class SeriesInfo:
    """One series of an export: its headers, files and what it was found to be.

    Attributes:
        uid: SeriesInstanceUID.
        patient_id / study_uid / study_date: the case it belongs to.
        description / modality / image_type: the headers that name it.
        files: its files (sorted).
        positions: distinct ImagePositionPatient values; ``time_points`` = files per position.
        role: the modality or series name it is used as (None: not used), and ``why``.
    """

    uid: str
    patient_id: str
    study_uid: str
    study_date: str
    number: str
    description: str
    modality: str
    image_type: str
    files: list[Path] = field(default_factory=list)
    position_set: set[tuple[float, ...]] = field(default_factory=set)
    role: str | None = None
    why: str = ""

    @property
    def positions(self) -> int:
        return max(1, len(self.position_set))

    @property
    def time_points(self) -> int:
        n = len(self.files)
        return n // self.positions if n % self.positions == 0 else 1

    @property
    def four_d(self) -> bool:
        """Every slice position occurs several times (as :func:`strokeseg.io.dicom._group_frames` reads it)."""
        return bool(self.position_set) and self.time_points > 1

    @property
    def folders(self) -> list[Path]:
        return sorted({f.parent for f in self.files})

    def tags(self) -> dict[str, str]:
        """The headers in SimpleITK's ``gggg|eeee`` keys, for :func:`~strokeseg.io.dicom.modality_from_headers`."""
        return {"0008|0060": self.modality, "0008|103e": self.description, "0008|0008": self.image_type}

    def label(self) -> str:
        """``'CTP 8CM' (series 4, 160 files)``: how the series is named in messages."""
        return f"'{self.description or '(no description)'}' (series {self.number or '?'}, {len(self.files)} files, UID {self.uid})"


def _files(root: Path) -> list[Path]:
    """Every non-hidden file under ``root`` (or ``root`` itself), DICOMDIR excluded, at most :data:`MAX_FILES`."""
    import os

    if root.is_file():
        return [root]
    out: list[Path] = []
    base = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if len(Path(dirpath).parts) - base < MAX_DEPTH else []
        out += [Path(dirpath) / f for f in sorted(filenames) if not f.startswith(".") and f.upper() != "DICOMDIR"]
        if len(out) > MAX_FILES:
            raise InputError(f"holds more than {MAX_FILES} files; give the folder of one patient or study", root)
    return out


def _read(path: Path) -> object | None:
    """The header of a DICOM image file; None for a file that is not DICOM or holds no image (SR, SEG without rows …)."""
    import pydicom

    from strokeseg.io.dicom import is_dicom_file

    if not is_dicom_file(path):
        return None
    try:
        with warnings.catch_warnings():  # pydicom's warnings on a damaged file: the one error line below says it
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=list(TAGS))
    except Exception as exc:
        raise InputError(f"cannot read DICOM header ({one_line(str(exc))})", path) from None
    if not getattr(ds, "SOPClassUID", None) or not getattr(ds, "SeriesInstanceUID", None):
        raise InputError("DICOM file has no SOPClassUID or SeriesInstanceUID: it is unreadable or damaged; fix or remove it", path)
    return ds if getattr(ds, "Rows", None) else None  # an SR, a presentation state …: no image


def _text(ds: object, name: str) -> str:
    v = getattr(ds, name, "")
    from pydicom.multival import MultiValue

    if isinstance(v, (list, tuple, MultiValue)):
        return "\\".join(str(x) for x in v)
    return str(v or "").strip()


def _position(ds: object, path: Path) -> tuple[float, ...]:
    """ImagePositionPatient in mm (rounded to µm); an empty or broken one is an error naming the file."""
    raw = getattr(ds, "ImagePositionPatient", None)
    try:
        pos = tuple(round(float(v), 3) for v in raw)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        pos = ()
    if len(pos) != 3 or not all(math.isfinite(v) for v in pos):
        raise InputError(f"DICOM slice has no valid ImagePositionPatient ({'' if raw is None else str(raw)!r})", path)
    return pos


def index_series(root: Path) -> list[SeriesInfo]:
    """Every image series under ``root`` (a folder, or one file: its series only), by SeriesInstanceUID."""
    from strokeseg.util.progress import progress

    files = _files(root)
    only = None
    if root.is_file():  # one file: the whole series it belongs to, in its folder
        ds = _read(root)
        if ds is None:
            raise InputError("is not a DICOM image file", root)
        only = str(ds.SeriesInstanceUID)  # type: ignore[attr-defined]
        files = sorted(p for p in root.parent.iterdir() if p.is_file() and not p.name.startswith("."))
    series: dict[str, SeriesInfo] = {}
    for f in progress(files, desc="reading DICOM headers", unit="file"):
        ds = _read(f)
        if ds is None:
            continue
        uid = _text(ds, "SeriesInstanceUID")
        if only is not None and uid != only:
            continue
        s = series.get(uid)
        if s is None:
            s = series[uid] = SeriesInfo(
                uid,
                _text(ds, "PatientID"),
                _text(ds, "StudyInstanceUID"),
                _text(ds, "StudyDate"),
                _text(ds, "SeriesNumber"),
                _text(ds, "SeriesDescription"),
                _text(ds, "Modality").upper(),
                _text(ds, "ImageType"),
            )
        s.files.append(f)
        if "ImagePositionPatient" in ds:  # type: ignore[operator]
            s.position_set.add(_position(ds, f))
    if not series:
        raise InputError("no DICOM image series found", root)
    return sorted(series.values(), key=lambda s: (s.patient_id, s.study_uid, s.number.zfill(6), s.uid))


def classify(s: SeriesInfo, root: Path) -> None:
    """Set ``s.role`` and ``s.why`` from its headers (see the module docstring)."""
    from strokeseg.io.dicom import modality_from_headers
    from strokeseg.io.modalities import canonical_modality

    if s.four_d:
        s.role = "PWI" if s.modality == "MR" else "CTP" if s.modality == "CT" else None
        s.why = f"time-resolved {s.modality}: {s.time_points} time points × {s.positions} positions"
        if s.role is None:
            s.why += " (neither CT nor MR: not used)"
        return
    name = modality_from_headers(s.tags(), False)
    if name is not None:
        s.role = name
        s.why = f"{s.modality} Series Description '{s.description}', Image Type '{s.image_type}'"
        return
    folders = s.folders
    if len(folders) == 1 and folders[0] != root and folders[0] != root.parent:
        s.role = canonical_modality(folders[0].name)
        s.why = f"headers do not name it; its folder is '{folders[0].name}'"
        return
    s.role, s.why = None, f"{s.modality} '{s.description}': the headers do not say what it is (not used)"


def _case_ids(keys: list[tuple[str, str, str]], root: Path) -> dict[tuple[str, str], str]:
    """A case id per (patient, study): the folder's name for one study, else the patient id (and study date or number)."""
    if len(keys) == 1:
        return {(keys[0][0], keys[0][1]): root.stem if root.is_file() else root.name}
    safe = {k: re.sub(r"[^A-Za-z0-9._-]+", "_", k[0]).strip("._") or "anonymous" for k in keys}
    per_patient: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for k in keys:
        per_patient[safe[k]].append(k)
    out: dict[tuple[str, str], str] = {}
    for name, studies in per_patient.items():
        for i, k in enumerate(studies, 1):
            out[(k[0], k[1])] = name if len(studies) == 1 else f"{name}_{k[2] or 'study'}_{i}"
    return out


@dataclass
class ExportCase:
    """One case of an export: its id, patient, the series by role, and one line per series on how it was found."""

    case_id: str
    patient_id: str
    images: dict[str, SeriesInfo]
    series: dict[str, SeriesInfo]
    found: list[str]


def _assign(members: list[SeriesInfo], chosen: Mapping[str, str], case_id: str) -> tuple[dict[str, SeriesInfo], list[str]]:
    """Role → series of one case; ambiguities as lines. A chosen series (role → UID) wins its role."""
    by_role: dict[str, list[SeriesInfo]] = defaultdict(list)
    for s in members:
        if chosen.get(s.role or "") not in (None, s.uid):
            s.why += f"; not used: --series {s.role}= chose another"
            continue
        if s.role:
            by_role[s.role].append(s)
    out: dict[str, SeriesInfo] = {}
    ambiguous = []
    for role, cands in by_role.items():
        if role in ("CTP", "PWI") and len(cands) > 1:  # the perfusion series: most time points at one position set
            cands.sort(key=lambda s: (-s.time_points, -len(s.files)))
            if cands[0].time_points > cands[1].time_points:
                for s in cands[1:]:
                    s.why += f"; not used: fewer time points than {cands[0].uid}"
                cands = cands[:1]
        if len(cands) > 1:
            names = "; ".join(s.label() for s in cands)
            ambiguous.append(f"case {case_id}: {len(cands)} series are {role}: {names}; choose one with --series {role}=SERIES_UID")
            continue
        out[role] = cands[0]
    return out, ambiguous


def group_export(root: Path, chosen: Mapping[str, str] | None = None) -> list[ExportCase]:
    """The cases of a DICOM export (see the module docstring); ``chosen``: role → SeriesInstanceUID.

    Raises:
        InputError: no image series; a role two series claim with nothing chosen (one line per ambiguity);
            a chosen UID that is no series of the folder.
    """
    chosen = dict(chosen or {})
    all_series = index_series(root)
    unknown = set(chosen.values()) - {s.uid for s in all_series}
    if unknown:
        raise InputError(Message(Param("series", verb=""), f" names no series of this folder: {', '.join(sorted(unknown))}"), root)
    for s in all_series:
        classify(s, root)
    groups: dict[tuple[str, str], list[SeriesInfo]] = defaultdict(list)
    for s in all_series:
        groups[(s.patient_id, s.study_uid)].append(s)
    ids = _case_ids([(p, st, groups[(p, st)][0].study_date) for p, st in groups], root)
    cases, ambiguities = [], []
    for key, members in groups.items():
        roles, amb = _assign(members, chosen, ids[key])
        ambiguities += amb
        images = {r: s for r, s in roles.items() if r not in ("CTP", "PWI")}
        series = {r: s for r, s in roles.items() if r in ("CTP", "PWI")}
        found = [f"{s.role or '—':<6} {s.label()}: {s.why}" for s in members]
        cases.append(ExportCase(ids[key], key[0] or ids[key], images, series, found))
    if ambiguities:
        raise InputError(f"{len(ambiguities)} ambiguous series role(s):\n" + "\n".join(ambiguities), root)
    return cases


def series_path(s: SeriesInfo) -> Path:
    """What a reader is given for a series: its folder when it holds this series only, else one of its files."""
    folders = s.folders
    if len(folders) > 1:
        raise InputError(
            f"series {s.uid} is split over {len(folders)} folders ({', '.join(str(f) for f in folders[:3])}); put its files in one folder",
            folders[0],
        )
    # alone in its folder when the folder holds no other file (a listing: no file is opened again)
    others = sum(1 for p in folders[0].iterdir() if p.is_file() and not p.name.startswith(".") and p.name.upper() != "DICOMDIR")
    return folders[0] if others == len(s.files) else s.files[0]


__all__ = ["ExportCase", "SeriesInfo", "classify", "group_export", "index_series", "series_path"]
