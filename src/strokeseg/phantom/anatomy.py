"""A synthetic head: scalp, skull, CSF spaces, cortex (GM), deep grey nuclei, white matter,
arteries and a venous sinus, in head coordinates (mm, LPS: +x left, +y posterior, +z superior).

Shapes are smooth and left–right symmetric up to small natural asymmetries: the brain is a
perturbed ellipsoid; sulci are the zero-crossings of a smooth random field near the surface,
lined by cortex; ventricles, nuclei and fissures are perturbed ellipsoids/slabs; vessels are
tubes along polylines. :func:`tissue_map` evaluates the model at arbitrary points.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from strokeseg.phantom.fields import SmoothField


class Tissue(IntEnum):
    """The phantom's tissue classes."""

    AIR = 0
    SCALP = 1
    SKULL = 2
    CSF = 3
    GM = 4
    WM = 5
    ARTERY = 6
    VEIN = 7


BRAIN_TISSUES = (Tissue.GM, Tissue.WM)

# polylines (head coordinates, one hemisphere with x > 0; mirrored) and radii (mm)
_ARTERIES = (
    (((8.0, -8.0, 6.0), (22.0, -6.0, 8.0), (32.0, -4.0, 11.0)), 1.6),  # MCA M1
    (((32.0, -4.0, 11.0), (42.0, -14.0, 20.0), (50.0, -6.0, 36.0)), 1.1),  # M2 superior division
    (((32.0, -4.0, 11.0), (44.0, 6.0, 12.0), (52.0, 24.0, 18.0)), 1.1),  # M2 inferior division
    (((3.0, -12.0, 8.0), (3.0, -34.0, 24.0), (3.0, -30.0, 50.0)), 1.1),  # ACA
    (((6.0, 10.0, 2.0), (18.0, 30.0, 6.0), (22.0, 48.0, 12.0)), 1.1),  # PCA
)


@dataclass
class HeadModel:
    """Random parameters of one head (brain size, folding, vessel jitter)."""

    axes: tuple[float, float, float]
    center: tuple[float, float, float]
    shape_field: SmoothField
    asym_field: SmoothField
    sulcus_field: SmoothField
    skull_field: SmoothField
    csf_layer: float
    skull_thickness: float
    scalp_thickness: float
    vessel_jitter: np.ndarray

    @classmethod
    def random(cls, rng: np.random.Generator) -> HeadModel:
        """A head of random size, skull thickness, ventricles and vessels."""
        scale = rng.uniform(0.95, 1.04)
        return cls(
            axes=(64.0 * scale * rng.uniform(0.97, 1.03), 80.0 * scale, 56.0 * scale),
            center=(0.0, 8.0, 20.0),
            shape_field=SmoothField(rng, 40.0),
            asym_field=SmoothField(rng, 30.0),
            sulcus_field=SmoothField(rng, 9.0, cell_mm=3.0),
            skull_field=SmoothField(rng, 15.0),
            csf_layer=rng.uniform(1.5, 3.5),
            skull_thickness=rng.uniform(4.5, 7.0),
            scalp_thickness=rng.uniform(3.0, 5.0),
            vessel_jitter=rng.normal(0.0, 1.5, size=(len(_ARTERIES), 3, 3)),
        )

    # ------------------------------------------------------------------ geometry
    def brain_q(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised ellipsoid radius q (< 1 inside the brain) and the radius along the ray (mm)."""
        c = np.asarray(self.center)
        a = np.asarray(self.axes)
        d = (p - c) / a
        q = np.sqrt((d * d).sum(-1)) + 1e-6
        # smooth, symmetric shape variation plus a little asymmetry
        q = q * (1.0 - 0.035 * self.shape_field(p, symmetric=True) - 0.008 * self.asym_field(p))
        r = np.sqrt(((p - c) ** 2).sum(-1)) / q
        return q, r

    def depth(self, p: np.ndarray) -> np.ndarray:
        """Approximate depth below the brain surface in mm (negative outside the brain)."""
        q, r = self.brain_q(p)
        result: np.ndarray = (1.0 - q) * r
        return result


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((p - a) @ ab) / float(ab @ ab), 0.0, 1.0)
    proj = a + t[..., None] * ab
    result: np.ndarray = np.sqrt(((p - proj) ** 2).sum(-1))
    return result


def _ellipsoid(p: np.ndarray, c: tuple[float, float, float], ax: tuple[float, float, float]) -> np.ndarray:
    d = (p - np.asarray(c)) / np.asarray(ax)
    result: np.ndarray = (d * d).sum(-1)
    return result


def artery_distance(head: HeadModel, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (mm) to the nearest arterial centre line, and that vessel's radius.

    ``p`` is a grid of points ``(Z, Y, X, 3)`` whose z is constant per slice (head rotations
    are in-plane). Only points in the slices and in-plane box a segment can reach (grown by
    4 mm) are measured; the others stay at +inf, which is all callers need (``d < radius``).
    """
    best = np.full(p.shape[:-1], np.inf, dtype=np.float32)
    rad = np.zeros(p.shape[:-1], dtype=np.float32)
    slice_z = p[:, 0, 0, 2]
    for i, (pts, radius) in enumerate(_ARTERIES):
        for side in (1.0, -1.0):
            poly = np.array(pts) + head.vessel_jitter[i]
            poly[:, 0] *= side
            for a, b in itertools.pairwise(poly):
                lo = np.minimum(a, b) - 4.0
                hi = np.maximum(a, b) + 4.0
                for k in np.flatnonzero((slice_z >= lo[2]) & (slice_z <= hi[2])):
                    sl = p[k]
                    inbox = (sl[..., 0] >= lo[0]) & (sl[..., 0] <= hi[0]) & (sl[..., 1] >= lo[1]) & (sl[..., 1] <= hi[1])
                    if not inbox.any():
                        continue
                    d = _segment_distance(sl[inbox], a, b)
                    cur = best[k][inbox]
                    closer = d < cur
                    cur[closer] = d[closer]
                    best[k][inbox] = cur
                    r = rad[k][inbox]
                    r[closer] = radius
                    rad[k][inbox] = r
    return best, rad


def tissue_map(head: HeadModel, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tissue class (:class:`Tissue`) and depth below the brain surface (mm) at points ``(..., 3)``.

    Vessels are not drawn here (see :func:`vessel_fractions`): their voxels keep the class of
    the tissue they run through, and their blood fraction is blended in by the signal model.
    Fields that only shape the inside of the brain are evaluated on brain points only.
    """
    q, r = head.brain_q(p)
    depth = (1.0 - q) * r
    out = np.full(p.shape[:-1], Tissue.AIR, dtype=np.uint8)
    head_zone = depth > -(head.csf_layer + head.skull_thickness * 1.4 + head.scalp_thickness)
    hp = p[head_zone]
    hd = depth[head_zone]
    skull_out = hd > -(head.csf_layer + head.skull_thickness * (1 + 0.1 * head.skull_field(hp)))
    cls = np.full(hp.shape[0], Tissue.AIR, dtype=np.uint8)
    cls[hd > -(head.csf_layer + head.skull_thickness + head.scalp_thickness)] = Tissue.SCALP
    cls[skull_out] = Tissue.SKULL
    cls[hd > -head.csf_layer] = Tissue.CSF
    inb = hd > 0
    bp = hp[inb]
    bd = hd[inb]
    x, y, z = bp[:, 0], bp[:, 1], bp[:, 2]
    ax = np.abs(x)
    asym = head.asym_field(bp)
    bc = np.full(bp.shape[0], Tissue.WM, dtype=np.uint8)
    # cortex ribbon and folded cortex along sulci
    sf = head.sulcus_field(bp, symmetric=True) + 0.15 * head.asym_field(bp * 2.0)
    sulcus = (np.abs(sf) < 0.13) & (bd < 18.0)
    ribbon = (bd < 3.2) | ((np.abs(sf) < 0.62) & (bd < 22.0))
    bc[ribbon] = Tissue.GM
    # deep grey matter: lentiform, caudate, thalamus
    pa = np.stack([ax, y, z], -1)
    deep = (
        (_ellipsoid(pa, (20.0, -2.0, 12.0), (7.5, 13.0, 9.0)) < 1)
        | (_ellipsoid(pa, (12.0, -13.0, 22.0), (4.5, 8.0, 8.0)) < 1)
        | (_ellipsoid(pa, (9.0, 12.0, 14.0), (7.0, 11.0, 7.0)) < 1)
    )
    bc[deep] = Tissue.GM
    # CSF: sulci, interhemispheric and sylvian fissures, ventricles
    bc[sulcus] = Tissue.CSF
    bc[(np.abs(x - 0.6 * asym) < 1.2) & (z > 8.0) & (bd < 45.0)] = Tissue.CSF
    bc[(ax > 30.0) & (np.abs(z - (12.0 + 0.18 * y)) < 1.6) & (y < 15.0) & (y > -30.0) & (bd < 28.0)] = Tissue.CSF
    wobble = 1.0 + 0.08 * head.shape_field(bp * 1.7, symmetric=True)
    vent = (
        (_ellipsoid(pa, (8.0, 2.0, 27.0), (4.5, 26.0, 5.5)) < wobble)
        | (_ellipsoid(pa, (10.0, -18.0, 20.0), (3.5, 8.0, 8.0)) < wobble)
        | (_ellipsoid(pa, (14.0, 27.0, 18.0), (3.5, 8.0, 5.0)) < wobble)
        | (_ellipsoid(pa, (0.0, 5.0, 12.0), (1.4, 11.0, 7.0)) < 1.0)
    )
    bc[vent] = Tissue.CSF
    cls[inb] = bc
    out[head_zone] = cls
    return out, depth.astype(np.float32)


def vessel_fractions(head: HeadModel, p_sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arterial and venous blood fractions of voxels from sub-sample points ``(S, ..., 3)``.

    ``p_sub[s]`` are the head coordinates of sub-sample ``s`` of every voxel (partial volume).
    The superior sagittal sinus runs in the midline under the inner table, above z = 15 mm.
    """
    art = np.zeros(p_sub.shape[1:-1], np.float32)
    ven = np.zeros(p_sub.shape[1:-1], np.float32)
    for pts in p_sub:
        d, rad = artery_distance(head, pts)
        art += (d < rad).astype(np.float32)
        near = (np.abs(pts[..., 0]) < 4.0) & (pts[..., 2] > 15.0)
        if near.any():
            depth = head.depth(pts[near])
            ven[near] += ((depth > -head.csf_layer - 1.5) & (depth < 5.0)).astype(np.float32)
    n = float(p_sub.shape[0])
    return art / n, ven / n
