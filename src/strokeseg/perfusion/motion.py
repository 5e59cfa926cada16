"""Rigid head-motion correction of a 4D perfusion series, before the AIF and the deconvolution.

Every frame is registered rigidly (3 rotations, 3 translations about the head's centre) to the
reference frame, the first frame of the baseline (as PyPeT and RAPID do), and resampled onto it.

The estimator is an inverse-compositional Gauss–Newton (Lucas–Kanade; Baker & Matthews 2004) on the
reference's informative voxels: for CT the bone edges, on images clipped to 400–1500 HU, where
neither contrast enhancement nor noise changes the picture; for DSC-MR the head's edges. The
reference's gradient and Jacobian are computed once, so an iteration costs one sampling of the
frame at a few thousand points; a frame that did not move converges in one or two iterations.
Residuals are Huber-weighted (robust to the bolus passing through a vessel near the skull). Frames
are resampled with SimpleITK (linear), which is also the registration's cross-check in the tests.

A series whose motion exceeds ``max_displacement_mm`` (on the registration, or on the head's
centre) cannot be corrected: :class:`MotionError`. A frame whose estimate fits it no better than no
motion is left as it is and listed (``unregistered``), with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from strokeseg.errors import InputError
from strokeseg.io.geometry import Geometry


class MotionError(InputError):
    """The series moved more than the correction can fix: its maps are not assessable."""


class NoStructure(ValueError):
    """The reference frame holds too little structure (no skull in a CT series, a single slice) to register to."""


@dataclass(frozen=True)
class MotionConfig:
    """Settings of :func:`correct_motion`.

    Attributes:
        enabled: register the frames (True by default).
        max_displacement_mm: largest displacement of any point of the head (mm) that is corrected;
            beyond it the series is not assessable (10 mm: a third of a CTP slab).
        points: how many of the reference's most informative voxels drive the registration.
        iterations: Gauss–Newton iterations at most, per frame.
        tolerance_mm: stop when an update moves no registration point by more than this (mm).
        still_mm: a frame whose first coarse update moves no point by more than this (mm) did not
            move (noise alone moves the estimate by a few hundredths of a millimetre).
        min_correction_voxels: frames that moved less than this fraction of the in-plane voxel are
            not resampled (an interpolation blurs one frame of the curves more than such motion does).
    """

    enabled: bool = True
    max_displacement_mm: float = 10.0
    points: int = 2000
    iterations: int = 50
    tolerance_mm: float = 0.02
    still_mm: float = 0.1
    min_correction_voxels: float = 0.25


@dataclass(frozen=True)
class MotionResult:
    """The corrected series and what was estimated, per frame.

    Attributes:
        data: ``(Z, Y, X, T)``, every frame on the reference frame's grid (the input array itself
            when no frame was resampled, else a float32 copy).
        reference_frame: index of the reference.
        displacement_mm: ``(T,)`` the largest displacement of the registration points (the head's
            edges) in each frame before correction (0 for the reference).
        params: ``(T, 6)`` rotation vector (rad) and translation (mm) of each frame, LPS, about ``centre``.
        mismatch_before, mismatch_after: ``(T,)`` RMS intensity difference from the reference at the
            registration points before and after correction (the image's units).
        corrected: ``(T,)`` whether the frame was resampled.
    """

    data: np.ndarray
    reference_frame: int
    displacement_mm: np.ndarray
    params: np.ndarray
    mismatch_before: np.ndarray
    mismatch_after: np.ndarray
    corrected: np.ndarray
    unregistered: list[int] = field(default_factory=list)  # frames whose estimate fitted no better than no motion
    extra: dict[str, Any] = field(default_factory=dict)  # what the caller adds (the QC before correction)

    def info(self) -> dict[str, Any]:
        """What ``perfusion.json`` records."""
        return {
            "reference_frame": self.reference_frame,
            "max_displacement_mm": round(float(self.displacement_mm.max()), 3),
            "frames_corrected": int(self.corrected.sum()),
            "displacement_mm": [round(float(v), 3) for v in self.displacement_mm],
            "rotation_deg": [[round(float(np.degrees(a)), 3) for a in p[:3]] for p in self.params],
            "translation_mm": [[round(float(t), 3) for t in p[3:]] for p in self.params],
            "mismatch_before": [round(float(v), 3) for v in self.mismatch_before],
            "mismatch_after": [round(float(v), 3) for v in self.mismatch_after],
            "unregistered_frames": self.unregistered,
            **self.extra,
        }


def rotation_matrix(r: np.ndarray) -> np.ndarray:
    """The 3×3 rotation of rotation vector ``r`` (rad; Rodrigues)."""
    theta = float(np.linalg.norm(r))
    if theta < 1e-12:
        return np.eye(3)
    k = r / theta
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    result: np.ndarray = np.eye(3) + np.sin(theta) * kx + (1 - np.cos(theta)) * kx @ kx
    return result


def _rotation_vector(m: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rotation_matrix`."""
    cos = np.clip((np.trace(m) - 1) / 2, -1.0, 1.0)
    theta = float(np.arccos(cos))
    if theta < 1e-12:
        return np.zeros(3)
    w = np.array([m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1]]) / (2 * np.sin(theta))
    result: np.ndarray = w * theta
    return result


#: CT is registered on the bone window: neither contrast enhancement nor noise reaches it
CT_WINDOW = (400.0, 1500.0)


def _window(values: np.ndarray, ct: bool) -> np.ndarray:
    """What is compared: CT values clipped to :data:`CT_WINDOW`; MR as they are."""
    return np.clip(values, *CT_WINDOW) if ct else values


#: the coarse levels' stencils: the frame is averaged over these in-plane offsets (voxels) around each point
def _stencil(step: int) -> tuple[tuple[int, int], ...]:
    return tuple((dy, dx) for dy in (-step, 0, step) for dx in (-step, 0, step))


#: the pyramid: in-plane stencil step (voxels; 0 = the frame itself) and the share of the points, coarse to fine
LEVELS = ((4, 0.25), (2, 0.25), (0, 1.0))
#: the largest displacement (mm) of any registration point in one Gauss–Newton update
MAX_STEP_MM = 1.0


@dataclass
class _Reference:
    """One pyramid level of the reference: its registration points (mm, ``(N, 3)`` x/y/z about the
    centre), their values, steepest-descent images ``(N, 6)``, and the in-plane offsets (mm) the
    frame is averaged over at each point (one zero offset at the fine level)."""

    centre: np.ndarray
    points: np.ndarray
    values: np.ndarray
    sd: np.ndarray
    spacing: np.ndarray
    ct: bool
    offsets: np.ndarray
    corners: np.ndarray  # the 8 corners of the points' bounding box: no point moves farther than they do


def _reference(frame: np.ndarray, geometry: Geometry, head: np.ndarray, n_points: int, ct: bool, step: int) -> _Reference:
    sp = np.asarray(geometry.spacing, float)  # x, y, z
    ref = _window(frame.astype(np.float32), ct)
    offsets = np.array([[0.0, 0.0, 0.0]])
    if step:
        stencil = _stencil(step)
        kernel = np.zeros((1, 2 * step + 1, 2 * step + 1), np.float32)
        for dy, dx in stencil:
            kernel[0, dy + step, dx + step] = 1.0 / len(stencil)
        ref = ndimage.correlate(ref, kernel, mode="nearest")
        offsets = np.array([[dx * sp[0], dy * sp[1], 0.0] for dy, dx in stencil])
    smooth = ref if step else ndimage.gaussian_filter(ref, sigma=(0.0, 1.0, 1.0))  # a stencil already smooths
    gz, gy, gx = np.gradient(smooth)
    gx /= sp[0]
    gy /= sp[1]
    gz /= sp[2]  # per mm
    mag = np.sqrt(gx * gx + gy * gy + gz * gz)
    inner = head.copy()
    if inner.shape[0] >= 4:  # the end slices' z-gradient is one-sided and their content leaves the slab as the head moves
        inner[[0, -1]] = False
    cand = np.flatnonzero(inner & (mag > 0))
    if cand.size < 50:
        raise NoStructure("too little structure in the reference frame to register the frames to")
    take = cand[np.argpartition(mag.ravel()[cand], -min(n_points, cand.size))[-n_points:]]
    xyz = np.stack(np.unravel_index(take, ref.shape), axis=1)[:, ::-1].astype(float) * sp
    hz, hy, hx = np.nonzero(head)
    centre = np.array([hx.mean(), hy.mean(), hz.mean()]) * sp
    p = xyz - centre
    g = np.stack([gx.ravel()[take], gy.ravel()[take], gz.ravel()[take]], axis=1).astype(float)
    sd = np.concatenate([np.cross(p, g), g], axis=1)  # ∂I/∂(rotation vector, translation) at identity
    lo, hi = p.min(axis=0), p.max(axis=0)
    corners = np.array([[a, b, c] for a in (lo[0], hi[0]) for b in (lo[1], hi[1]) for c in (lo[2], hi[2])])
    return _Reference(centre, p, ref.reshape(-1)[take], sd, sp, ct, offsets, corners)


def _sample(data: np.ndarray, frame: int, pts_xyz: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """Frame ``frame`` of ``data`` ``(Z, Y, X, T)`` at points in mm (x/y/z from the grid's origin),
    trilinear, clamped to the grid (the frame is never copied: eight gathers of N points)."""
    shape = np.asarray(data.shape[:3][::-1])  # x, y, z sizes
    u = np.clip(pts_xyz / spacing, 0.0, shape - 1.0)
    i0 = np.minimum(np.floor(u).astype(np.intp), shape - 2).clip(0)
    w = u - i0
    n_t = data.shape[3]
    stride = np.array([n_t, shape[0] * n_t, shape[1] * shape[0] * n_t])  # x, y, z strides of the flat array
    base = i0 @ stride + frame
    flat = data.reshape(-1)
    out = np.zeros(len(u))
    for dx in (0, 1):
        wx = w[:, 0] if dx else 1 - w[:, 0]
        for dy in (0, 1):
            wxy = wx * (w[:, 1] if dy else 1 - w[:, 1])
            for dz in (0, 1):
                wz = w[:, 2] if dz else 1 - w[:, 2]
                out += wxy * wz * flat.take(base + dx * stride[0] + dy * stride[1] + dz * stride[2])
    return out


def _residual(data: np.ndarray, frame: int, ref: _Reference, rot: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The frame (averaged over the level's stencil) at the warped points, minus the reference."""
    warped = ref.points @ rot.T + t + ref.centre
    vals = np.mean([_window(_sample(data, frame, warped + o @ rot.T, ref.spacing), ref.ct) for o in ref.offsets], axis=0)
    result: np.ndarray = vals - ref.values
    return result


def _huber(e: np.ndarray) -> np.ndarray:
    scale = 1.4826 * float(np.median(np.abs(e - np.median(e)))) + 1e-6
    a = np.abs(e) / (1.345 * scale)
    result: np.ndarray = np.where(a <= 1, 1.0, 1.0 / np.maximum(a, 1e-12))
    return result


def _cost(e: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * e * e))


def _gauss_newton(
    data: np.ndarray, frame: int, ref: _Reference, rot: np.ndarray, t: np.ndarray, cfg: MotionConfig, still_mm: float = 0.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """Robust inverse-compositional Gauss–Newton from (rot, t), each step accepted only where it lowers
    the Huber-weighted mismatch (else halved, up to four times); returns the warp and the first RMS
    mismatch. A first update below ``still_mm`` ends it there (the frame did not move)."""
    e = _residual(data, frame, ref, rot, t)
    first = float(np.sqrt(np.mean(e * e)))
    for it in range(cfg.iterations):
        w = _huber(e)
        dp = np.linalg.pinv((ref.sd * w[:, None]).T @ ref.sd) @ (ref.sd.T @ (w * e))
        reach = float(np.linalg.norm(ref.corners @ (rotation_matrix(dp[:3]) - np.eye(3)).T + dp[3:], axis=1).max())
        if reach < (still_mm if it == 0 and still_mm else cfg.tolerance_mm):
            break
        if reach > MAX_STEP_MM:  # a trust region: Gauss–Newton far from the optimum overshoots
            dp, reach = dp * (MAX_STEP_MM / reach), MAX_STEP_MM
        accepted = False
        for _half in range(5):
            inv_rot = rotation_matrix(dp[:3]).T  # inverse composition: W(p) ← W(p) ∘ W(Δp)⁻¹
            t_new, rot_new = rot @ (-inv_rot @ dp[3:]) + t, rot @ inv_rot
            e_new = _residual(data, frame, ref, rot_new, t_new)
            if _cost(e_new, w) <= _cost(e, w):
                rot, t, e, accepted = rot_new, t_new, e_new, True
                break
            dp, reach = dp / 2, reach / 2
        if not accepted:
            break
    return rot, t, first


#: the translations (mm) tried for a frame that moved, on each axis: a global search that
#: Gauss–Newton alone lacks (a skull's two tables and thick slices give false minima)
SEARCH_MM = (-4.0, -2.0, 0.0, 2.0, 4.0)
#: the in-plane rotations (degrees) of that search
SEARCH_DEG = (-2.0, 0.0, 2.0)
#: how many of the best starts of the search are refined
SEARCH_KEEP = 4
#: a frame whose coarse estimate from no motion moved its points by less than this (mm) is not searched
MULTISTART_MM = 1.0


def _start_search(data: np.ndarray, frame: int, ref: _Reference) -> list[tuple[np.ndarray, np.ndarray]]:
    """The :data:`SEARCH_KEEP` starting warps of the grid (translations :data:`SEARCH_MM`³ × in-plane
    rotations :data:`SEARCH_DEG`) with the lowest median absolute mismatch at the fine level ``ref``."""
    rots = [rotation_matrix(np.array([0.0, 0.0, np.radians(a)])) for a in SEARCH_DEG]
    shifts = np.array([[x, y, z] for x in SEARCH_MM for y in SEARCH_MM for z in SEARCH_MM])
    costs, cands = [], []
    for rot in rots:
        pts = (ref.points @ rot.T + ref.centre)[None, :, :] + shifts[:, None, :]  # (G, N, 3)
        vals = _window(_sample(data, frame, pts.reshape(-1, 3), ref.spacing), ref.ct).reshape(len(shifts), -1)
        costs.append(np.median(np.abs(vals - ref.values[None]), axis=1))
        cands += [(rot, t) for t in shifts]
    order = np.argsort(np.concatenate(costs))[:SEARCH_KEEP]
    return [cands[i] for i in order]


def _register(
    data: np.ndarray, frame: int, levels: list[_Reference], cfg: MotionConfig, shift: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Rotation matrix and translation (mm) mapping reference points to frame ``frame``'s, coarse to
    fine, and the fine level's RMS mismatch before and after. A frame that moved by
    :data:`MULTISTART_MM` or more is also refined from the best starts of a grid search
    (:func:`_start_search`) and from ``shift`` (the in-plane shift of the head's centre, mm),
    keeping the lowest mismatch."""
    coarse, fine = levels[0], levels[-1]
    before = float(np.sqrt(np.mean(_residual(data, frame, fine, np.eye(3), np.zeros(3)) ** 2)))
    rot, t, _ = _gauss_newton(data, frame, coarse, np.eye(3), np.zeros(3), cfg, cfg.still_mm)
    if not np.any(t) and np.array_equal(rot, np.eye(3)):  # not moved: the first update was below still_mm
        return rot, t, before, before
    starts = [(rot, t)]
    if float(np.linalg.norm(coarse.points @ rot.T + t - coarse.points, axis=1).max()) >= MULTISTART_MM:
        searched = [*_start_search(data, frame, fine), (np.eye(3), shift)]
        starts += [_gauss_newton(data, frame, coarse, r0, t0, cfg)[:2] for r0, t0 in searched]
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for rot, t in starts:
        for ref in levels[1:]:
            rot, t, _ = _gauss_newton(data, frame, ref, rot, t, cfg)
        after = float(np.sqrt(np.mean(_residual(data, frame, fine, rot, t) ** 2)))
        if best is None or after < best[0]:
            best = (after, rot, t)
    assert best is not None
    after, rot, t = best
    return rot, t, before, after


def resample_padded(frame: np.ndarray, spacing_xyz: tuple[float, float, float], transform: Any, fill: float) -> np.ndarray:
    """``frame`` ``(Z, Y, X)`` resampled through a SimpleITK ``transform`` (output point → input point,
    mm from the grid's origin), linear. Through-plane the slab is first extended by copies of its end
    slices (what a moving head brings into a slab is like its edge, never air); in-plane, ``fill`` outside."""
    import SimpleITK as sitk

    pad = 3
    sp = [float(s) for s in spacing_xyz]
    img = sitk.GetImageFromArray(np.pad(np.asarray(frame, np.float32), ((pad, pad), (0, 0), (0, 0)), mode="edge"))
    img.SetSpacing(sp)
    img.SetOrigin((0.0, 0.0, -pad * sp[2]))
    ref = sitk.GetImageFromArray(np.ascontiguousarray(frame, dtype=np.float32))
    ref.SetSpacing(sp)
    result: np.ndarray = sitk.GetArrayFromImage(sitk.Resample(img, ref, transform, sitk.sitkLinear, float(fill)))
    return result


def _resample(frame: np.ndarray, geometry: Geometry, rot: np.ndarray, t: np.ndarray, centre: np.ndarray, fill: float) -> np.ndarray:
    """The frame on the reference grid: its value at reference point x is the frame's at rot·(x−c)+c+t."""
    import SimpleITK as sitk

    tx = sitk.AffineTransform(3)
    tx.SetMatrix([float(v) for v in rot.ravel()])
    tx.SetCenter([float(v) for v in centre])
    tx.SetTranslation([float(v) for v in t])
    return resample_padded(frame, geometry.spacing, tx, fill)


def correct_motion(
    data: np.ndarray, geometry: Geometry, head: np.ndarray, reference_frame: int, ct: bool, cfg: MotionConfig | None = None
) -> MotionResult:
    """Register every frame of ``data`` ``(Z, Y, X, T)`` to frame ``reference_frame`` and resample it.

    Args:
        head: ``(Z, Y, X)`` boolean, where to look for structure (the head, skull included, for CT).
        ct: the series is CT in HU (registration on bone) rather than DSC-MR.

    Raises:
        MotionError: a frame moved by more than ``max_displacement_mm``.
        NoStructure: nothing to register to (no skull in a CT series, a single slice).
    """
    cfg = cfg or MotionConfig()
    n = data.shape[3]
    if min(data.shape[:3]) < 2:
        raise NoStructure("a series of one slice (or one row) cannot be registered in 3D")
    levels = [_reference(data[..., reference_frame], geometry, head, max(50, int(cfg.points * share)), ct, step) for step, share in LEVELS]
    ref = levels[-1]
    from strokeseg.perfusion.qc import head_centres

    centres = head_centres(data, geometry, "ct" if ct else "mr")[:, ::-1]  # x, y, z (mm)
    centre_shift = np.nan_to_num(centres - centres[reference_frame])
    centre_shift[:, 2] = 0.0  # through-plane, a slab's centroid follows its coverage, not the head
    gross = np.linalg.norm(centre_shift, axis=1)
    if gross.max() > cfg.max_displacement_mm:
        f = int(np.argmax(gross))
        raise MotionError(
            f"not assessable: the head's centre moved {gross[f]:.1f} mm in frame {f}, beyond the {cfg.max_displacement_mm:g} mm "
            "that motion correction handles"
        )
    frames = [f for f in range(n) if f != reference_frame]
    found = {f: _register(data, f, levels, cfg, centre_shift[f]) for f in frames}  # threads measured no faster (the GIL)
    params = np.zeros((n, 6))
    disp, before, after = np.zeros(n), np.zeros(n), np.zeros(n)
    corrected = np.zeros(n, bool)
    unregistered: list[int] = []
    out = data  # copied on the first frame that is resampled
    fill = float(np.percentile(data[..., reference_frame], 1))
    for f in frames:
        rot, t, before[f], after[f] = found[f]
        disp[f] = float(np.linalg.norm(ref.points @ rot.T + t - ref.points, axis=1).max())
        params[f, :3], params[f, 3:] = _rotation_vector(rot), t
        if disp[f] > cfg.max_displacement_mm:
            raise MotionError(
                f"not assessable: head motion of {disp[f]:.1f} mm in frame {f} exceeds the {cfg.max_displacement_mm:g} mm "
                "that motion correction handles"
            )
        if disp[f] > cfg.min_correction_voxels * min(geometry.spacing[:2]):
            if after[f] >= before[f]:  # the estimate does not fit the frame better than no motion: leave the frame as it is
                unregistered.append(f)
                continue
            if out is data:
                out = data.astype(np.float32, copy=True)
            out[..., f] = _resample(data[..., f], geometry, rot, t, ref.centre, fill)
            corrected[f] = True
    return MotionResult(out, reference_frame, disp, params, before, after, corrected, unregistered)
