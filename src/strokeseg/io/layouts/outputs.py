"""strokeseg's own outputs and single files, read back as datasets so that commands chain.

* ``strokeseg-maps``: the output folder of ``strokeseg perfusion`` — ``<case>/CBF.nii.gz``, ``CBV``, (``label.nii.gz``
  with canonical labels when the source case had one; patient and clinical data in ``perfusion.json``),
  ``MTT``, ``Tmax``, ``TTP``, ``brain_mask.nii.gz``, for CT ``baseline.nii.gz`` (read as the CT image) and
  ``perfusion.json`` per case (or the same
  files at the top for a single series). The case id is the folder name (for a single series, the
  source file's name as ``perfusion.json`` records it).
* ``series-file``: one 4D perfusion series file (NIfTI, MHA/MHD, NRRD); the case id is its name
  without the extension. Whether it is CT or DSC-MRI is decided from its values when it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from strokeseg.errors import InputError
from strokeseg.io.case import CaseRef
from strokeseg.io.labels import CORE, PENUMBRA
from strokeseg.io.layouts.base import Layout, is_image_file, strip_image_suffix
from strokeseg.io.records import PERFUSION_NAME, PerfusionRecord

MAPS = ("CBF", "CBV", "MTT", "Tmax", "TTP")


def _is_maps_folder(folder: Path) -> bool:
    return (folder / "perfusion.json").is_file() and any((folder / f"{m}.nii.gz").is_file() for m in MAPS)


def _record(folder: Path) -> PerfusionRecord:
    """The folder's perfusion record, read through its schema (:mod:`strokeseg.io.records`)."""
    return PerfusionRecord.read(folder / PERFUSION_NAME)


def _source_name(folder: Path) -> str:
    src = _record(folder).source or ""
    return strip_image_suffix(Path(src).name) if src else folder.name


class StrokesegMaps(Layout):
    """The output folder of ``strokeseg perfusion`` as a dataset."""

    name = "strokeseg-maps"
    description = "the output folder of 'strokeseg perfusion' (<case>/CBF.nii.gz … + perfusion.json)"
    default_label_map = {0: 0, 1: PENUMBRA, 2: CORE}

    def detect(self, root: Path) -> bool:
        if not root.is_dir():
            return False
        return _is_maps_folder(root) or any(_is_maps_folder(d) for d in sorted(root.iterdir())[:50] if d.is_dir())

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        if _is_maps_folder(root):
            folders = [(root, _source_name(root))]
        else:
            folders = [(d, d.name) for d in sorted(root.iterdir()) if d.is_dir() and _is_maps_folder(d)]
        refs = []
        for folder, cid in folders:
            images = {m: folder / f"{m}.nii.gz" for m in MAPS if (folder / f"{m}.nii.gz").is_file()}
            if (folder / "baseline.nii.gz").is_file():  # CT only: the pre-contrast mean, read as the CT image
                images["CT"] = folder / "baseline.nii.gz"
            mask = folder / "brain_mask.nii.gz"
            label = folder / "label.nii.gz"
            rec = _record(folder).case or {}
            refs.append(
                CaseRef(
                    case_id=cid,
                    patient_id=str(rec.get("patient_id") or cid),
                    images=images,
                    reference="CBF",
                    layout=self.name,
                    label_map=label_map,
                    label=label if label.is_file() else None,
                    mask=mask if mask.is_file() else None,
                    clinical=dict(rec.get("clinical") or {}),
                    folder=folder,
                )
            )
        if not refs:
            raise InputError("no perfusion output (CBF.nii.gz … with perfusion.json) found", root)
        return refs


class SeriesFile(Layout):
    """One 4D series file as a one-case dataset."""

    name = "series-file"
    description = "one 4D perfusion series file"
    default_label_map = {0: 0, 1: PENUMBRA, 2: CORE}

    def detect(self, root: Path) -> bool:
        if not (root.is_file() and is_image_file(root)):
            return False
        from strokeseg.io.read import image_dimensions

        return image_dimensions(root) == 4

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        cid = strip_image_suffix(root.name)
        return [
            CaseRef(
                case_id=cid,
                patient_id=cid,
                images={},
                reference="series",
                layout=self.name,
                label_map=label_map,
                series={"series": root},
                folder=root.parent,
            )
        ]
