"""A folder of DICOM files, as a scanner or PACS exports it: cases and series from the headers.

Any depth, a DICOMDIR or none, one series per sub-folder or many series in one folder: the files
are grouped into cases by PatientID and StudyInstanceUID, and each case's series by
SeriesInstanceUID, each given a role from its headers (:mod:`strokeseg.io.dicom_index`). One
DICOM file stands for its series. A folder of one study is one case named after the folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from strokeseg.io.case import CaseRef
from strokeseg.io.dicom import is_dicom_file
from strokeseg.io.layouts.base import Layout, walk_dirs


def dicom_series_folders(root: Path) -> list[Path]:
    """The folders under ``root`` (down to the export depth) that hold DICOM files."""
    from strokeseg.io.dicom_index import MAX_DEPTH

    out = []
    for d in walk_dirs(root, MAX_DEPTH):
        files = [f for f in sorted(d.iterdir())[:5] if f.is_file() and f.name.upper() != "DICOMDIR"]
        if files and any(is_dicom_file(f) for f in files):
            out.append(d)
    return out


class DicomFolder(Layout):
    """DICOM files grouped into cases (patient, study) and series (role from the headers); see the module docstring."""

    name = "dicom"
    description = "DICOM files (a scanner or PACS export: cases by patient and study, series by their headers)"
    default_label_map = {0: 0, 1: 2}

    def __init__(self, chosen: Mapping[str, str] | None = None) -> None:
        self.chosen = dict(chosen or {})  # role → SeriesInstanceUID (``--series``)

    def choosing(self, chosen: Mapping[str, str]) -> DicomFolder:
        """This layout with series chosen for their roles (role → SeriesInstanceUID)."""
        return DicomFolder(chosen)

    def detect(self, root: Path) -> bool:
        if root.is_file():
            return is_dicom_file(root)
        return root.is_dir() and bool(dicom_series_folders(root))

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        from strokeseg.io.dicom_index import group_export, series_path

        refs = []
        for case in group_export(root, self.chosen):
            images = {r: series_path(s) for r, s in case.images.items()}
            series = {r: series_path(s) for r, s in case.series.items()}
            reference = "CT" if "CT" in images else next(iter(images), next(iter(series), "CTP"))
            refs.append(
                CaseRef(
                    case_id=case.case_id,
                    patient_id=case.patient_id,
                    images=images,
                    reference=reference,
                    layout=self.name,
                    label_map=label_map,
                    series=series,
                    folder=root if root.is_dir() else root.parent,
                    found=tuple(case.found),
                )
            )
        return [r for r in refs if r.images or r.series]
