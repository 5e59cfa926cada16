"""Cross-validation folds grouped by patient: no patient's scans are in two folds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from strokeseg.errors import InputError


def grouped_folds(case_ids: Sequence[str], patient_ids: Sequence[str], k: int, seed: int = 0) -> list[list[str]]:
    """``k`` folds of case ids; patients are shuffled (seeded) and dealt largest-first to the lightest fold."""
    patients: dict[str, list[str]] = {}
    for c, p in zip(case_ids, patient_ids):
        patients.setdefault(p, []).append(c)
    if k < 2 or k > len(patients):
        raise InputError(f"cannot make {k} folds from {len(patients)} patients")
    order = list(patients)
    np.random.default_rng(seed).shuffle(order)
    order.sort(key=lambda p: -len(patients[p]))  # stable: keeps the shuffle among equal sizes
    folds: list[list[str]] = [[] for _ in range(k)]
    for p in order:
        lightest = min(range(k), key=lambda i: (len(folds[i]), i))
        folds[lightest].extend(patients[p])
    return folds


def validation_split(case_ids: Sequence[str], patient_ids: Sequence[str], fraction: float, seed: int = 0) -> tuple[list[str], list[str]]:
    """Split training cases into (train, validation) by patient (validation ≥ 1 patient when fraction > 0)."""
    patients = sorted(set(patient_ids))
    if fraction <= 0 or len(patients) < 2:
        return list(case_ids), []
    rng = np.random.default_rng(seed)
    n_val = max(1, round(fraction * len(patients)))
    val_p = set(rng.choice(patients, size=min(n_val, len(patients) - 1), replace=False).tolist())
    train = [c for c, p in zip(case_ids, patient_ids) if p not in val_p]
    val = [c for c, p in zip(case_ids, patient_ids) if p in val_p]
    return train, val
