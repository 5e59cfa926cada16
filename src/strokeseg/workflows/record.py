"""What every case read-out JSON records besides its numbers: inputs, clinical values, verdicts, provenance.

The report (:mod:`strokeseg.report`) reads these fields to find the images it shows and to state
where each number came from; they are written by ``threshold`` and ``predict``.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.eligibility import clinical_numbers, verdicts
from strokeseg.errors import ConfigError
from strokeseg.io.case import CaseRef


@dataclass(frozen=True)
class PatientValues:
    """Age (years) and NIHSS given on the command line; they override the clinical table (one case only)."""

    age: float | None = None
    nihss: float | None = None


def apply_patient_values(refs: Sequence[CaseRef], patient: PatientValues | None) -> list[CaseRef]:
    """The cases with the given age/NIHSS in their clinical values (marked as from the command line).

    Raises:
        ConfigError: values were given for a dataset of more than one case (they describe one patient).
    """
    if patient is None or (patient.age is None and patient.nihss is None):
        return list(refs)
    if len(refs) != 1:
        raise ConfigError(f"age and NIHSS describe one patient; this dataset has {len(refs)} cases: put them in its clinical table")
    given = {k: v for k, v in (("age", patient.age), ("nihss", patient.nihss)) if v is not None}
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
    """Age, NIHSS and group, with where age and NIHSS came from (``command line``, ``dataset``: its clinical table or headers, or None)."""
    age, nihss = clinical_numbers(clinical)

    def origin(name: str, value: float | None) -> str | None:
        return None if value is None else str(clinical.get(f"{name}_from", "dataset"))

    return {
        "age": age,
        "nihss": nihss,
        "group": clinical.get("group"),
        "age_from": origin("age", age),
        "nihss_from": origin("nihss", nihss),
    }


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
        "eligibility": [v.to_dict() for v in verdicts(readout, clin["age"], clin["nihss"], cfg)],
        "provenance": provenance(command, settings),
    }


__all__ = ["PatientValues", "apply_patient_values", "case_inputs", "clinical_block", "provenance", "record_fields"]
