"""ISLES 2018: ``case_N/SMIR.Brain.XX.O.<modality>.<id>/SMIR...<id>.nii``.

Modalities CT, CT_CBF, CT_CBV, CT_MTT, CT_Tmax (→ CT, CBF, CBV, MTT, Tmax), the raw series
CT_4DPWI (→ series ``CTP``) and the ground truth OT (core only: 1 → core).

Several cases can be slabs of one patient; ISLES'18 does not encode that in its file names,
so an optional ``patients.csv`` (or ``.tsv``) at the dataset root with columns ``case_id``,
``patient_id`` and any clinical columns (``nihss``, ``group``) supplies it. Without it every
case is its own patient (and ``info`` says so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from strokeseg.errors import InputError
from strokeseg.io.case import CaseRef
from strokeseg.io.labels import CORE
from strokeseg.io.layouts.base import Layout, is_image_file, read_clinical_table, walk_dirs
from strokeseg.io.modalities import canonical_modality

_SMIR = re.compile(r"^SMIR\.[^.]+\.(?:XX|\w+)\.(?:O|XX|\w+)\.(?P<mod>CT_4DPWI|CT_[A-Za-z]+|CT|OT|MR_[A-Za-z0-9]+)\.(?P<id>\d+)$")
_CASE = re.compile(r"^case_(\d+)$", re.IGNORECASE)


def _case_folders(root: Path) -> list[Path]:
    out = []
    for d in walk_dirs(root, 2):
        if _CASE.match(d.name) and any(_SMIR.match(c.name) for c in d.iterdir() if c.is_dir()):
            out.append(d)
    return sorted(out, key=lambda p: int(_CASE.match(p.name).group(1)))  # type: ignore[union-attr]


def patient_table(root: Path) -> dict[str, dict]:
    """The optional ``patients.csv`` (case_id → patient_id, nihss, group)."""
    for name in ("patients.csv", "patients.tsv", "participants.tsv"):
        table = read_clinical_table(root / name, ("case_id", "case", "participant_id"))
        if table:
            return table
    return {}


class Isles2018(Layout):
    """The ISLES'18 layout: ``case_N/SMIR.Brain.XX.O.<modality>.<id>/*.nii`` with the core as ``OT``."""

    name = "isles2018"
    description = "ISLES 2018"
    default_label_map = {0: 0, 1: CORE}

    def detect(self, root: Path) -> bool:
        return bool(_case_folders(root))

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        folders = _case_folders(root)
        if not folders:
            raise InputError("no ISLES 2018 cases (case_N/SMIR.Brain.* folders) found", root)
        table = patient_table(root)
        refs = []
        for folder in folders:
            images: dict[str, Path] = {}
            series: dict[str, Path] = {}
            label = None
            for sub in sorted(folder.iterdir()):
                m = _SMIR.match(sub.name) if sub.is_dir() else None
                if not m:
                    continue
                files = sorted(f for f in sub.iterdir() if is_image_file(f))
                if not files:
                    continue
                mod = m.group("mod")
                if mod == "OT":
                    label = files[0]
                elif mod == "CT_4DPWI":
                    series["CTP"] = files[0]
                else:
                    images[canonical_modality(mod)] = files[0]
            row = dict(table.get(folder.name, {}))
            patient = str(row.pop("patient_id", "") or folder.name)
            refs.append(
                CaseRef(
                    case_id=folder.name,
                    patient_id=patient,
                    images=images,
                    reference="CT" if "CT" in images else next(iter(images), "CT"),
                    layout=self.name,
                    label_map=label_map,
                    label=label,
                    series=series,
                    clinical=row,
                    folder=folder,
                )
            )
        return refs
