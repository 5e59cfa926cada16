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


class DicomFolder(Layout):
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
            name = canonical_modality(f.name if f != root else "image")
            if is_series_name(name) or _is_4d(f):
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
