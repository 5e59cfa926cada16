"""What every case read-out JSON records besides its numbers: inputs, clinical values, verdicts, provenance.

The report (:mod:`strokeseg.report`) reads these fields to find the images it shows and to state
where each number came from; they are written by ``threshold`` and ``predict``.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.eligibility import PATIENT_FIELDS, Patient, given_values, patient_of, verdicts
from strokeseg.errors import ConfigError
from strokeseg.io.case import CaseRef


def apply_patient_values(refs: Sequence[CaseRef], patient: Patient | None) -> list[CaseRef]:
    """The cases with the given age/NIHSS/onset/mRS in their clinical values (marked as from the command line).

    Raises:
        ConfigError: values were given for a dataset of more than one case (they describe one patient).
    """
    given = given_values(patient)
    if not given:
        return list(refs)
    if len(refs) != 1:
        raise ConfigError(
            f"age, NIHSS, onset and mRS describe one patient; this dataset has {len(refs)} cases: put them in its clinical table"
        )
    marks = {f"{k}_from": "command line" for k in given}
    return [replace(refs[0], clinical={**refs[0].clinical, **given, **marks})]


def _path(p: Path | str | None) -> str | None:
    return None if p is None else str(Path(p).resolve())


def case_inputs(ref: CaseRef) -> dict[str, Any]:
    """The files a case was read from (absolute paths): images by modality, 4D series, label, layout."""
    return {
        "layout": ref.layout,
        "reference": ref.reference,
        "images": {k: _path(v) for k, v in ref.images.items()},
        "series": {k: _path(v) for k, v in ref.series.items()},
        "label": _path(ref.label),
    }


def clinical_block(clinical: dict[str, Any]) -> dict[str, Any]:
    """Age, NIHSS, hours from onset, pre-stroke mRS and group, with where each value came from
    (``command line``, ``dataset``: its clinical table or headers, or None)."""
    p = patient_of(clinical)
    out: dict[str, Any] = {k: getattr(p, k) for k in PATIENT_FIELDS}
    out["group"] = clinical.get("group")
    for k in PATIENT_FIELDS:
        out[f"{k}_from"] = None if out[k] is None else str(clinical.get(f"{k}_from", "dataset"))
    return out


def provenance(command: str, settings: dict[str, Any]) -> dict[str, Any]:
    """strokeseg's version, the command and its settings, and the machine's Python."""
    from strokeseg import __version__

    return {"strokeseg": __version__, "command": command, "settings": settings, "python": platform.python_version()}


def record_fields(
    readout: dict[str, Any], ref: CaseRef, cfg: ThresholdConfig | None, command: str, settings: dict[str, Any]
) -> dict[str, Any]:
    """The fields added to ``<case>_readout.json``: ``inputs``, ``clinical``, ``eligibility`` and ``provenance``."""
    clin = clinical_block(dict(ref.clinical))
    return {
        "inputs": case_inputs(ref),
        "clinical": clin,
        "eligibility": [v.to_dict() for v in verdicts(readout, cfg=cfg, patient=Patient(*(clin[k] for k in PATIENT_FIELDS)))],
        "provenance": provenance(command, settings),
    }


__all__ = ["apply_patient_values", "case_inputs", "clinical_block", "provenance", "record_fields"]
