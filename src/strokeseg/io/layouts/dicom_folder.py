"""A folder of DICOM series: one case, one modality or series per sub-folder.

``PATIENT/NCCT/*.dcm``, ``PATIENT/CTP/*.dcm`` ... : every sub-folder (or the folder itself)
holding one DICOM series becomes a modality named after the sub-folder (canonical names
such as ``CBF`` or ``CTP`` are recognised); a time-resolved series becomes a 4D series.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from strokeseg.errors import InputError
from strokeseg.io.case import CaseRef
from strokeseg.io.dicom import is_dicom_file
from strokeseg.io.layouts.base import Layout, walk_dirs
from strokeseg.io.modalities import canonical_modality, is_series_name


def dicom_series_folders(root: Path) -> list[Path]:
    """The folders under ``root`` that hold one DICOM series each."""
    out = []
    for d in walk_dirs(root, 2):
        files = [f for f in sorted(d.iterdir())[:5] if f.is_file()]
        if files and any(is_dicom_file(f) for f in files):
            out.append(d)
    return out


def _is_4d(folder: Path) -> bool:
    from strokeseg.io.dicom import _group_frames, _read_tags, _series_files

    files = _series_files(folder)
    return _group_frames(files, _read_tags(files)) is not None


def _modality(folder: Path, root: Path, four_d: bool) -> str:
    """What a series is, from its headers (Series Description, Image Type, Modality); the folder's
    name only when the headers do not say."""
    from strokeseg.io.dicom import _read_tags, _series_files, modality_from_headers

    files = _series_files(folder)
    name = modality_from_headers(_read_tags(files[:1])[0], four_d)
    return name or canonical_modality(folder.name if folder != root else "image")


class DicomFolder(Layout):
    """One case of DICOM series, one series per sub-folder (or the folder itself). Each series is
    named from its headers (e.g. Series Description ``NLR_CBV`` → CBF's sibling CBV; a
    time-resolved CT series → CTP), the sub-folder's name being the fallback."""

    name = "dicom"
    description = "DICOM series folders"
    default_label_map = {0: 0, 1: 2}

    def detect(self, root: Path) -> bool:
        return root.is_dir() and bool(dicom_series_folders(root))

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        folders = dicom_series_folders(root)
        if not folders:
            raise InputError("no DICOM series found", root)
        images: dict[str, Path] = {}
        series: dict[str, Path] = {}
        for f in folders:
            four_d = _is_4d(f)
            name = _modality(f, root, four_d)
            if name in (images if not (is_series_name(name) or four_d) else series):
                raise InputError(
                    f"two series are both {name} ({series.get(name) or images.get(name)} and {f}); give one per modality", root
                )
            if is_series_name(name) or four_d:
                series[name if is_series_name(name) else "CTP"] = f
            else:
                images[name] = f
        reference = "CT" if "CT" in images else next(iter(images), next(iter(series), "CTP"))
        return [
            CaseRef(
                case_id=root.name,
                patient_id=root.name,
                images=images,
                reference=reference,
                layout=self.name,
                label_map=label_map,
                series=series,
                folder=root,
            )
        ]
