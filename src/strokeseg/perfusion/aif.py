"""Arterial input function: automatic selection (Mouridsen 2006 style), user mask, VOF scaling.

Automatic selection on the brain's concentration curves ``(V, T)``:

1. keep the voxels whose area under the curve is in the top 10 %;
2. drop the 25 % noisiest of them (inverse contrast-to-noise: standard deviation over the
   baseline frames / peak; a noise measure that does not mistake narrow arterial peaks, a few
   frames wide at 2 s sampling, for roughness);
3. k-means (k = 5) on the area-normalised curves; keep the cluster with the earliest first moment;
4. repeat the clustering inside that cluster and keep again the earliest cluster;
5. the AIF is the mean of the ``n`` voxels of that cluster with the highest peaks (narrow, early, high).

The venous output function (optional) is the mean of the highest-area voxels that peak after
the AIF; the AIF is scaled by area(VOF)/area(AIF) when that exceeds 1 (partial-volume correction:
both curves carry the same amount of tracer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.vq import kmeans2

from strokeseg.diagnostics import warn
from strokeseg.errors import InputError


@dataclass
class AifResult:
    """The AIF and where it came from.

    Attributes:
        curve: ``(T,)`` arterial concentration curve (after any VOF scaling).
        voxels: indices into the candidate voxel list of the voxels averaged.
        method: "auto" or "mask".
        vof_curve: the venous curve when VOF scaling was asked for.
        vof_voxels: indices of the VOF voxels.
        scale: the partial-volume scale applied (1 when none).
    """

    curve: np.ndarray
    voxels: np.ndarray
    method: str
    vof_curve: np.ndarray | None = None
    vof_voxels: np.ndarray | None = None
    scale: float = 1.0
    notes: list[str] = field(default_factory=list)


ROWS = 32768  # curves per block in the row-wise reductions (bounds their temporaries)


def _by_rows(fn, curves: np.ndarray) -> np.ndarray:
    """``fn`` of blocks of ``ROWS`` curves, concatenated (identical to ``fn(curves)`` for row-wise ``fn``)."""
    if curves.shape[0] <= ROWS:
        out: np.ndarray = fn(curves)
        return out
    return np.concatenate([fn(curves[i : i + ROWS]) for i in range(0, curves.shape[0], ROWS)])


def first_moment(curves: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The first moment (s) of each curve ``(V, T)``: its centre of mass in time."""

    def block(c: np.ndarray) -> np.ndarray:
        c = np.clip(c, 0, None)
        m: np.ndarray = (c * times[None, :]).sum(1) / np.maximum(c.sum(1), 1e-12)
        return m

    return _by_rows(block, curves)


def positive_area(curves: np.ndarray, dt: float) -> np.ndarray:
    """Area under the positive part of each curve ``(V, T)`` (concentration × s)."""
    return _by_rows(lambda c: np.clip(c, 0, None).sum(1) * dt, curves)


def _inverse_cnr(curves: np.ndarray, baseline: slice) -> np.ndarray:
    noise = curves[:, baseline].std(axis=1)
    result: np.ndarray = noise / np.maximum(curves.max(axis=1), 1e-12)
    return result


def _earliest_cluster(curves: np.ndarray, times: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Indices (into ``curves``) of the k-means cluster with the smallest mean first moment."""
    if curves.shape[0] <= k:
        return np.arange(curves.shape[0])
    rng = np.random.default_rng(seed)
    _, lab = kmeans2(curves.astype(np.float64), k, minit="++", seed=rng)
    m1 = first_moment(curves, times)
    best, best_m1 = None, np.inf
    for c in range(k):
        sel = np.flatnonzero(lab == c)
        if sel.size and m1[sel].mean() < best_m1:
            best, best_m1 = sel, m1[sel].mean()
    assert best is not None
    return best


def select_aif(conc: np.ndarray, times: np.ndarray, baseline: slice, n_voxels: int = 20, seed: int = 0) -> AifResult:
    """Mouridsen-style automatic AIF from brain concentration curves ``(V, T)``.

    ``baseline`` are the pre-contrast frames (for the noise estimate).
    """
    dt = float(np.median(np.diff(times)))
    auc = positive_area(conc, dt)
    positive = auc > 0
    if positive.sum() < 10:
        raise InputError("AIF not found: fewer than 10 voxels enhance after contrast")
    cut = np.percentile(auc[positive], 90)
    cand = np.flatnonzero(auc >= cut)
    norm = np.clip(conc[cand], 0, None) / auc[cand, None]
    rough = _inverse_cnr(conc[cand], baseline)
    keep = rough <= np.percentile(rough, 75)
    cand, norm = cand[keep], norm[keep]
    sel = _earliest_cluster(norm, times, 5, seed)
    cand, norm = cand[sel], norm[sel]
    sel = _earliest_cluster(norm, times, 5, seed + 1)
    cand = cand[sel]
    if cand.size == 0:
        raise InputError("AIF not found: no cluster of early, high-area curves")
    peaks = conc[cand].max(1)
    top = cand[np.argsort(peaks)[::-1][:n_voxels]]
    curve = conc[top].mean(0)
    result = AifResult(curve=curve.astype(np.float64), voxels=top, method="auto")
    _check_aif(result, conc)
    return result


def _check_aif(result: AifResult, conc: np.ndarray) -> None:
    tissue_peak = float(np.median(conc.max(1)))
    aif_peak = float(result.curve.max())
    if aif_peak <= 0:
        raise InputError("AIF not found: the selected curve does not enhance")
    if aif_peak < 3.0 * max(tissue_peak, 1e-9):
        result.notes.append(
            warn(
                "aif-low-peak",
                f"the AIF peak ({aif_peak:.3g}) is only {aif_peak / max(tissue_peak, 1e-9):.1f}× the median tissue "
                "peak; "
                "absolute CBF/CBV may be overestimated (partial volume) — consider 'aif_mask', or 'vof_correction' "
                "where it is off",
            )
        )


def aif_from_mask(conc: np.ndarray, in_mask: np.ndarray) -> AifResult:
    """The mean curve of the user's AIF voxels (``in_mask`` indexes the rows of ``conc``)."""
    idx = np.flatnonzero(in_mask)
    if idx.size == 0:
        raise InputError("the AIF mask selects no brain voxel")
    result = AifResult(curve=conc[idx].mean(0).astype(np.float64), voxels=idx, method="mask")
    _check_aif(result, conc)
    return result


def apply_vof_scaling(result: AifResult, conc: np.ndarray, times: np.ndarray, n_voxels: int = 20) -> AifResult:
    """Scale the AIF by area(VOF)/area(AIF) (≥ 1) using the latest-peaking high-area voxels."""
    dt = float(np.median(np.diff(times)))
    auc = positive_area(conc, dt)
    m1 = first_moment(conc, times)
    aif_m1 = float(first_moment(result.curve[None, :], times)[0])
    late = np.flatnonzero(m1 > aif_m1 + 2.0)
    if late.size < n_voxels:
        result.notes.append("VOF not found (no late, high-area voxels); AIF not scaled")
        return result
    top = late[np.argsort(auc[late])[::-1][:n_voxels]]
    vof = conc[top].mean(0)
    scale = float(np.clip(vof, 0, None).sum() / max(np.clip(result.curve, 0, None).sum(), 1e-12))
    result.vof_curve, result.vof_voxels = vof, top
    if scale > 1.0:
        result.curve = result.curve * scale
        result.scale = scale
    else:
        result.notes.append(f"VOF area is {scale:.2f}× the AIF's; AIF not scaled")
    return result
