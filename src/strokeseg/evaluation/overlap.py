"""Overlap metrics of two binary masks (pure functions, MedPy-compatible on non-empty masks)."""

from __future__ import annotations

import numpy as np


def confusion(pred: np.ndarray, truth: np.ndarray) -> tuple[int, int, int]:
    """``(tp, fp, fn)`` voxel counts."""
    p = np.asarray(pred, dtype=bool)
    t = np.asarray(truth, dtype=bool)
    tp = int(np.count_nonzero(p & t))
    return tp, int(np.count_nonzero(p)) - tp, int(np.count_nonzero(t)) - tp


def dice(pred: np.ndarray, truth: np.ndarray, empty: float = 1.0) -> float:
    """Dice similarity 2|P∩T| / (|P| + |T|); ``empty`` when both masks are empty."""
    tp, fp, fn = confusion(pred, truth)
    denom = 2 * tp + fp + fn
    return empty if denom == 0 else 2.0 * tp / denom


def precision(pred: np.ndarray, truth: np.ndarray, empty: float = 0.0) -> float:
    """Positive predictive value tp / (tp + fp); ``empty`` when the prediction is empty (MedPy: 0)."""
    tp, fp, _ = confusion(pred, truth)
    return empty if tp + fp == 0 else tp / (tp + fp)


def sensitivity(pred: np.ndarray, truth: np.ndarray, empty: float = 0.0) -> float:
    """Recall tp / (tp + fn); ``empty`` when the truth is empty (MedPy: 0)."""
    tp, _, fn = confusion(pred, truth)
    return empty if tp + fn == 0 else tp / (tp + fn)
