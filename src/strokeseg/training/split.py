"""Explicit data splits: a paper's fixed train/validation/test split, or its folds, as a file.

Tomasetti et al. trained on one fixed random split (89 training, 30 validation, 33 test patients); the
adversarial SegNet paper used three folds of 20 training, 5 validation and 5 test subjects. A split file
states such a protocol (JSON, version 1)::

    {"version": 1, "folds": [{"test": ["case-id", ...], "validation": ["case-id", ...]}, ...]}

Each fold trains on every labelled case that is in neither of its lists. A recipe takes one with
``split_file`` (``strokeseg train --split-file F``); without one, folds are grouped by patient and dealt
at random (:mod:`strokeseg.training.folds`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from strokeseg.errors import ConfigError, InputError

#: the split file's record format
VERSION = 1


@dataclass(frozen=True)
class SplitFold:
    """One fold of a split file: its test and validation case ids (training: every other labelled case)."""

    test: tuple[str, ...]
    validation: tuple[str, ...]


def read_split(path: str | Path) -> list[SplitFold]:
    """The folds of a split file (a :class:`ConfigError` naming the file when it is malformed)."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the split file ({exc})") from None
    if not isinstance(raw, dict) or raw.get("version") != VERSION or not isinstance(raw.get("folds"), list) or not raw["folds"]:
        raise ConfigError(f'{p}: not a version-{VERSION} split file ({{"version": 1, "folds": [{{"test": [...], "validation": [...]}}]}})')
    folds = []
    for k, f in enumerate(raw["folds"]):
        ok = isinstance(f, dict) and all(isinstance(f.get(key), list) and f[key] for key in ("test", "validation"))
        if not ok:
            raise ConfigError(f"{p}: fold {k} needs non-empty 'test' and 'validation' lists of case ids")
        test, val = tuple(map(str, f["test"])), tuple(map(str, f["validation"]))
        if set(test) & set(val):
            raise ConfigError(f"{p}: fold {k}: case(s) {', '.join(sorted(set(test) & set(val)))} both test and validation")
        folds.append(SplitFold(test, val))
    return folds


def check_split(folds: Sequence[SplitFold], case_ids: Sequence[str], patient_ids: Sequence[str], path: str | Path) -> None:
    """Refuse a split that names cases the dataset lacks, or puts one patient's scans in two roles of a fold."""
    known = set(case_ids)
    patient = dict(zip(case_ids, patient_ids, strict=True))
    for k, f in enumerate(folds):
        unknown = sorted((set(f.test) | set(f.validation)) - known)
        if unknown:
            raise InputError(f"{path}: fold {k} names case(s) the labelled dataset lacks: {', '.join(unknown[:5])}")
        role = {c: "test" for c in f.test} | {c: "validation" for c in f.validation}
        seen: dict[str, str] = {}
        for c in case_ids:
            r = role.get(c, "training")
            if seen.setdefault(patient[c], r) != r:
                raise InputError(f"{path}: fold {k}: patient {patient[c]}'s scans are in both {seen[patient[c]]} and {r}")


def training_ids(fold: SplitFold, case_ids: Sequence[str]) -> list[str]:
    """The fold's training cases: every case in neither its test nor its validation list, in ``case_ids`` order."""
    held = set(fold.test) | set(fold.validation)
    return [c for c in case_ids if c not in held]
