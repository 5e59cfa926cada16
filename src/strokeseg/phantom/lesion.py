"""Stroke lesions in head coordinates: a vascular-territory-shaped hypoperfused region in one
hemisphere, the core inside it, and benign oligaemia around it.

Kinds:

* ``mca`` — M1 occlusion: the lateral MCA territory (cortex and white matter from the frontal
  operculum to the parieto-temporal cortex) plus the lenticulostriate (basal ganglia) territory;
* ``branch`` — M2 occlusion: an angular sector of the MCA territory, cortical/subcortical;
* ``small`` — a small cortico-subcortical infarct (a few ml);

Borders are irregular: angular limits and radii are perturbed by smooth random fields. The
core is the part of the hypoperfused region nearest a core centre (deep for ``mca``), sized
to a drawn fraction of the hypoperfused volume, again with a perturbed border.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strokeseg.phantom.fields import SmoothField


@dataclass
class LesionSpec:
    """Where a phantom lesion is and how large: kind (mca, branch, small, none), side, extent, core fraction, oligaemia margin."""

    kind: str  # "none", "mca", "branch", "small"
    side: int  # +1 left, −1 right (LPS x sign)
    phi_lo: float = -60.0  # degrees, angular extent in the axial plane (0 = lateral, + posterior)
    phi_hi: float = 70.0
    z_lo: float = -5.0
    z_hi: float = 60.0
    center: tuple[float, float, float] = (40.0, 0.0, 20.0)  # small lesions
    radius: float = 10.0
    core_fraction: float = 0.3
    oligaemia_mm: float = 8.0

    @classmethod
    def random(cls, rng: np.random.Generator, p_no_stroke: float = 0.15) -> LesionSpec:
        """A random lesion (``p_none`` of cases without stroke)."""
        side = int(rng.choice([-1, 1]))
        u = rng.random()
        if u < p_no_stroke:
            return cls("none", side)
        kind = rng.choice(["mca", "branch", "small"], p=[0.35, 0.4, 0.25])
        core_fraction = float(rng.uniform(0.08, 0.7))
        if kind == "mca":
            return cls(
                "mca",
                side,
                -rng.uniform(50, 70),
                rng.uniform(55, 80),
                -8.0,
                rng.uniform(45, 60),
                core_fraction=core_fraction,
                oligaemia_mm=float(rng.uniform(5, 12)),
            )
        if kind == "branch":
            c = rng.uniform(-40, 50)
            w = rng.uniform(15, 35)
            zc = rng.uniform(10, 35)
            return cls(
                "branch",
                side,
                c - w,
                c + w,
                zc - rng.uniform(12, 25),
                zc + rng.uniform(12, 25),
                core_fraction=core_fraction,
                oligaemia_mm=float(rng.uniform(4, 10)),
            )
        ang = np.deg2rad(rng.uniform(-50, 60))
        rr = rng.uniform(25, 45)
        center = (side * (12 + rr * np.cos(ang)), rr * np.sin(ang), rng.uniform(5, 40))
        return cls(
            "small",
            side,
            center=center,
            radius=float(rng.uniform(6, 12)),
            core_fraction=float(rng.uniform(0.2, 0.8)),
            oligaemia_mm=float(rng.uniform(3, 6)),
        )

    @property
    def z_center(self) -> float:
        if self.kind == "none":
            return 22.0
        if self.kind == "small":
            return self.center[2]
        return 0.5 * (max(self.z_lo, 0.0) + min(self.z_hi, 40.0))


@dataclass
class LesionMasks:
    """The hypoperfused and core masks of the brain voxels ``(N,)``."""

    hypoperfused: np.ndarray  # bool
    core: np.ndarray  # bool, ⊂ hypoperfused


def lesion_masks(spec: LesionSpec, p: np.ndarray, depth: np.ndarray, rng: np.random.Generator) -> LesionMasks:
    """Hypoperfused region and core over brain points ``p`` ``(N, 3)`` (head coordinates, mm)."""
    empty = np.zeros(p.shape[0], bool)
    if spec.kind == "none" or p.shape[0] == 0:
        return LesionMasks(empty, empty.copy())
    f_border = SmoothField(rng, 14.0)
    f_core = SmoothField(rng, 10.0)
    border = f_border(p)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    sx = spec.side * x
    if spec.kind == "small":
        d = np.sqrt(((p - np.asarray(spec.center)) ** 2).sum(-1))
        r_eff = spec.radius * (1.0 + 0.35 * border)
        hyp = d < r_eff
        score = d / np.maximum(r_eff, 1e-3) + 0.25 * f_core(p)
    else:
        phi = np.degrees(np.arctan2(y, sx - 12.0))
        jitter = 12.0 * border
        in_sector = (phi > spec.phi_lo + jitter) & (phi < spec.phi_hi + jitter)
        b2 = f_border(p * 1.3)
        in_z = (z > spec.z_lo + 4.0 * b2) & (z < spec.z_hi + 4.0 * b2)
        lateral = sx > 14.0 + 3.0 * b2
        medial_aca = (sx < 22.0) & (z > 38.0)
        posterior_pca = (y > 42.0) & (sx < 35.0) & (z < 30.0)
        hyp = lateral & in_sector & in_z & ~medial_aca & ~posterior_pca
        if spec.kind == "branch":
            hyp &= depth < 32.0 + 6.0 * border
        if spec.kind == "mca":
            lenticulostriate = (np.abs(sx - 20.0) < 10.0) & (np.abs(y + 2.0) < 16.0) & (np.abs(z - 12.0) < 11.0)
            hyp |= lenticulostriate & (sx > 6.0)
            cc = np.array([spec.side * 26.0, -2.0, 14.0])
        else:
            mid = np.deg2rad(0.5 * (spec.phi_lo + spec.phi_hi))
            cc = np.array([spec.side * (12.0 + 40.0 * np.cos(mid)), 40.0 * np.sin(mid), 0.5 * (spec.z_lo + spec.z_hi)])
        score = np.sqrt(((p - cc) ** 2).sum(-1)) / 40.0 + 0.18 * f_core(p)
    core = np.zeros_like(hyp)
    if hyp.any():
        cut = np.quantile(score[hyp], spec.core_fraction)
        core = hyp & (score <= cut)
    return LesionMasks(hyp, core)
