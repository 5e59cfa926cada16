"""The grand-challenge container format of ISLES'22 submissions (and of their successors).

One case: ``images/dwi-brain-mri/<uuid>.mha``, ``images/adc-brain-mri/<uuid>.mha`` and optionally
``images/flair-brain-mri/<uuid>.mha`` at native resolution, beside the acquisition-parameter
files ``dwi-mri-acquisition-parameters.json``, ``adc-mri-parameters.json``,
``flair-mri-acquisition-parameters.json`` and ``expected_output.json``. A folder may hold one
such case, or one per sub-folder. The case id is the DWI file's uuid (the name the expected
output reuses). DWI is the reference grid; FLAIR is resampled onto it. There is no label.
Clinical values (age, sex) come from the DWI parameters (DICOM-style ``PatientAge "088Y"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strokeseg.errors import InputError
from strokeseg.io.case import CaseRef
from strokeseg.io.labels import CORE
from strokeseg.io.layouts.base import Layout, is_image_file, strip_image_suffix
from strokeseg.io.text import read_text

#: interface slug → canonical modality
SLUGS = {"dwi-brain-mri": "DWI", "adc-brain-mri": "ADC", "flair-brain-mri": "FLAIR"}
_PARAMETERS = {
    "DWI": "dwi-mri-acquisition-parameters.json",
    "ADC": "adc-mri-parameters.json",
    "FLAIR": "flair-mri-acquisition-parameters.json",
}


def _is_case(folder: Path) -> bool:
    return (folder / "images" / "dwi-brain-mri").is_dir()


def _one(folder: Path, slug: str) -> Path | None:
    d = folder / "images" / slug
    if not d.is_dir():
        return None
    files = sorted(f for f in d.iterdir() if f.is_file() and is_image_file(f))
    if len(files) > 1:
        raise InputError(f"holds {len(files)} images; a grand-challenge interface folder holds one", d)
    return files[0] if files else None


def _clinical(folder: Path) -> dict[str, Any]:
    path = folder / _PARAMETERS["DWI"]
    if not path.is_file():
        return {}
    try:
        params = json.loads(read_text(path, "acquisition-parameter file"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", path) from None
    out: dict[str, Any] = {}
    age = str(params.get("PatientAge", "")).strip()
    if age[:-1].isdigit() and age[-1:] in ("Y", "y"):
        out["age"] = int(age[:-1])
    if params.get("PatientSex"):
        out["sex"] = str(params["PatientSex"])
    return out


class GrandChallenge(Layout):
    """The grand-challenge container of ISLES'22 submissions (one case per folder; see the module docstring)."""

    name = "isles2022-grand-challenge"
    description = "ISLES'22 grand-challenge container (images/<slug>/<uuid>.mha + parameter JSON)"
    default_label_map = {0: 0, 1: CORE}

    def detect(self, root: Path) -> bool:
        if not root.is_dir():
            return False
        return _is_case(root) or any(_is_case(d) for d in sorted(root.iterdir())[:20] if d.is_dir())

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        folders = [root] if _is_case(root) else [d for d in sorted(root.iterdir()) if d.is_dir() and _is_case(d)]
        refs = []
        for folder in folders:
            images = {mod: p for slug, mod in SLUGS.items() if (p := _one(folder, slug)) is not None}
            if "DWI" not in images:
                raise InputError("no DWI image in images/dwi-brain-mri", folder)
            cid = strip_image_suffix(images["DWI"].name)
            refs.append(
                CaseRef(
                    case_id=cid,
                    patient_id=cid,
                    images=images,
                    reference="DWI",
                    layout=self.name,
                    label_map=label_map,
                    clinical=_clinical(folder),
                    folder=folder,
                )
            )
        if not refs:
            raise InputError("no grand-challenge case (images/dwi-brain-mri/) found", root)
        return refs
