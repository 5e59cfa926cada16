"""``--age`` / ``--nihss`` / ``--onset-h`` / ``--mrs``: one patient's clinical values, and their :class:`Patient`."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options.types import nonnegative_float


def mrs_score(text: str) -> int:
    """A modified Rankin Scale score: an integer 0–6."""
    if text.strip() not in {str(i) for i in range(7)}:
        raise argparse.ArgumentTypeError(f"must be a modified Rankin Scale score 0–6, got {text!r}")
    return int(text)


def add_patient_options(p: argparse.ArgumentParser) -> None:
    """``--age`` / ``--nihss`` / ``--onset-h`` / ``--mrs``: one patient's values (they override the clinical table)."""
    g = p.add_argument_group(
        "patient (one case only; default: the clinical table). DAWN's verdict needs age and NIHSS; each trial's other "
        "clinical criteria are listed beside its imaging verdict as not assessed unless given"
    )
    g.add_argument("--age", type=nonnegative_float, metavar="YEARS", help="patient age in years")
    g.add_argument("--nihss", type=nonnegative_float, metavar="POINTS", help="admission NIHSS")
    g.add_argument("--onset-h", type=nonnegative_float, metavar="HOURS", help="hours from last known well (or onset) to imaging")
    g.add_argument("--mrs", type=mrs_score, metavar="0-6", help="pre-stroke modified Rankin Scale")


def patient_values(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.clinical.eligibility.Patient` of ``--age``/``--nihss``/``--onset-h``/``--mrs``."""
    from strokeseg.clinical.eligibility import PATIENT_FIELDS, Patient

    return Patient(**{k: getattr(args, k, None) for k in PATIENT_FIELDS})


def patient_cases(args: argparse.Namespace, refs: Any) -> Any:
    """The dataset's cases with the command line's patient values in their clinical values (one case only)."""
    from strokeseg.workflows.record import apply_patient_values

    return apply_patient_values(refs, patient_values(args))


__all__ = ["add_patient_options", "mrs_score", "patient_cases", "patient_values"]
