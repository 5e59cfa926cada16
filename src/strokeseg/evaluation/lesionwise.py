"""Lesion-wise detection scores as the ISLES challenges compute them (26-connected components).

* ``isles22``: a truth component that shares at least one voxel with the prediction is a true
  positive, otherwise a false negative; a predicted component with no truth voxel is a false positive.
* ``isles24``: the challenge's evaluator (``eval_utils.py``: panoptica's connected components and
  ``NaiveThresholdMatching`` with its defaults) pairs truth and predicted components one to one,
  greedily by decreasing IoU, where IoU ≥ 0.5; unpaired components are false negatives and positives.

F1 = tp / (tp + (fp + fn) / 2), and 1 when both masks are empty (the challenges' ``empty_value``).
Counting is vectorised with ``np.unique`` over component labels (no loop over voxels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from strokeseg.evaluation.modes import Protocol


def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Full-connectivity components (26 in 3D, 8 in 2D) of a boolean mask."""
    structure = np.ones((3,) * mask.ndim, dtype=bool)
    labels, n = ndimage.label(np.asarray(mask, dtype=bool), structure=structure)
    return labels, int(n)


@dataclass(frozen=True)
class LesionCounts:
    """Connected-component counts of a prediction against its truth (ISLES'22 lesion-wise scores)."""

    n_truth: int
    n_pred: int
    tp: int
    fp: int
    fn: int

    @property
    def f1(self) -> float:
        denom = self.tp + (self.fp + self.fn) / 2.0
        return 1.0 if denom == 0 else self.tp / denom

    @property
    def count_difference(self) -> int:
        """|n_pred − n_truth| (ISLES'22 "absolute lesion count difference")."""
        return abs(self.n_pred - self.n_truth)


#: panoptica's NaiveThresholdMatching default, which the ISLES'24 evaluator uses (IoU ≥ threshold)
ISLES24_IOU = 0.5


def matched_pairs(t_lab: np.ndarray, p_lab: np.ndarray, iou_threshold: float = ISLES24_IOU) -> int:
    """One-to-one greedy matching of labelled components by decreasing IoU (ties: lower truth label,
    then lower predicted label first), pairs with IoU ≥ ``iou_threshold``; returns the pair count."""
    overlap = (t_lab > 0) & (p_lab > 0)
    if not overlap.any():
        return 0
    n_p = int(p_lab.max()) + 1
    codes, inter = np.unique(t_lab[overlap].astype(np.int64) * n_p + p_lab[overlap], return_counts=True)
    ti, pi = codes // n_p, codes % n_p
    size_t = np.bincount(t_lab.ravel())
    size_p = np.bincount(p_lab.ravel(), minlength=n_p)
    iou = inter / (size_t[ti] + size_p[pi] - inter)
    order = np.argsort(-iou, kind="stable")
    used_t: set[int] = set()
    used_p: set[int] = set()
    for k in order[iou[order] >= iou_threshold]:  # a loop over overlapping lesion pairs, not voxels
        if ti[k] in used_t or pi[k] in used_p:
            continue
        used_t.add(int(ti[k]))
        used_p.add(int(pi[k]))
    return len(used_t)


def lesion_counts(pred: np.ndarray, truth: np.ndarray, protocol: Protocol | str = Protocol.ISLES22) -> LesionCounts:
    """Truth and predicted lesions (26-connected components), true positives, false positives and
    negatives, under the ISLES'22 (any overlap) or ISLES'24 (one to one at IoU ≥ 0.5) rule."""
    p = np.asarray(pred, dtype=bool)
    t = np.asarray(truth, dtype=bool)
    t_lab, n_t = components(t)
    p_lab, n_p = components(p)
    if Protocol(protocol) == Protocol.ISLES24:
        tp = matched_pairs(t_lab, p_lab)
        return LesionCounts(n_truth=n_t, n_pred=n_p, tp=tp, fp=n_p - tp, fn=n_t - tp)
    overlap = p & t
    tp = int(np.unique(t_lab[overlap]).size)  # truth components touched by the prediction
    touched_pred = int(np.unique(p_lab[overlap]).size)  # predicted components touching the truth
    return LesionCounts(n_truth=n_t, n_pred=n_p, tp=tp, fp=n_p - touched_pred, fn=n_t - tp)


def lesion_f1(pred: np.ndarray, truth: np.ndarray, protocol: Protocol | str = Protocol.ISLES22) -> float:
    """The lesion-wise F1 score of ``pred`` against ``truth`` (1 when both are empty)."""
    return lesion_counts(pred, truth, protocol).f1
