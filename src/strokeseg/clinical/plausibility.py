"""A plausibility guard on every core and penumbra, from thresholds and from models alike.

An acute ischaemic lesion lies in the brain, in one arterial territory (so, apart from small
embolic showers, in one hemisphere), it is bright on DWI (MRI) and hypoperfused (CT/PWI), and it
is smaller than the hemisphere it lies in. A read-out that breaks one of these is far more likely
an artefact of the input (a head that is not skull-stripped, a map on another scale, an AIF in
the wrong place, a model far from its training data) than a finding. Each failed check is a
:class:`~strokeseg.diagnostics.DataWarning`, and the read-out's verdicts become "not assessable"
with the reason (:func:`strokeseg.clinical.readout.with_implausible`).

The limits are physiological, not fitted: a hemisphere is half the brain; "both hemispheres"
means at least 25 % and 5 ml of the core on the smaller side (a shower of emboli in both
territories is smaller than that); "most" means more than half. The brain's surface is the
in-plane band of :data:`SURFACE_MM` (at least one voxel) inside the brain mask's outline: there a
voxel shares its signal with the skull, the scalp or the subarachnoid CSF, and perfusion maps are
blurred across that outline by their in-plane smoothing, so CBF and CBV fall and DWI can brighten
with no infarct. A territorial infarct reaches the cortex but lies mostly deeper; a core that lies
mostly in that band is a rim artefact.
"""

from __future__ import annotations

import numpy as np

from strokeseg.clinical.hemispheres import lateral_coordinate
from strokeseg.diagnostics import DataWarning, warn
from strokeseg.io.geometry import Geometry

#: the warning codes this guard raises (the SR and the reports list them as "implausible read-out")
PLAUSIBILITY_CODES = (
    "core-larger-than-hemisphere",
    "hypoperfusion-too-large",
    "core-outside-brain",
    "core-on-brain-surface",
    "core-bilateral",
    "core-not-dwi-bright",
    "core-not-hypoperfused",
    "input-outside-training",
)
#: fraction of the core (and its volume in ml) on the smaller side above which a core is bilateral
BILATERAL_FRACTION, BILATERAL_ML = 0.25, 5.0
#: the core's fraction that may lie outside the brain
OUTSIDE_FRACTION = 0.10
#: width (mm, in-plane) of the brain's surface band: a voxel and the reach of the maps' in-plane smoothing
SURFACE_MM = 3.0
#: rDWI above which a voxel counts as DWI-bright (the healthy median is 1)
DWI_BRIGHT = 1.0
#: Tmax (s) above which a voxel counts as hypoperfused, for the CT/PWI check
HYPOPERFUSED_TMAX = 6.0
#: the smallest core (ml) the checks on its position and signal speak about (a few voxels say nothing)
MIN_CORE_ML = 1.0


def plausibility_warnings(
    core: np.ndarray,
    brain: np.ndarray,
    geometry: Geometry,
    *,
    hypoperfused: np.ndarray | None = None,
    rdwi: np.ndarray | None = None,
    tmax: np.ndarray | None = None,
) -> list[DataWarning]:
    """The checks that ``core`` (and ``hypoperfused``) fail, all ``(Z, Y, X)`` boolean on one grid.

    Args:
        brain: the brain mask of the case.
        hypoperfused: Tmax > 6 s region (core included), when perfusion was read.
        rdwi: DWI over its healthy median (MRI): most of a core must be above 1.
        tmax: Tmax in s (CT/PWI): most of a core must be above 6 s.
    """
    out: list[DataWarning] = []
    v = geometry.voxel_volume_ml
    brain_ml = float(brain.sum() * v)
    core_ml = float(core.sum() * v)
    if brain_ml > 0 and core_ml > 0.5 * brain_ml:
        out.append(warn("core-larger-than-hemisphere", f"core {core_ml:.0f} ml is larger than a hemisphere ({0.5 * brain_ml:.0f} ml)"))
    if hypoperfused is not None and brain_ml > 0:
        hyp_ml = float((hypoperfused | core).sum() * v)
        if hyp_ml > 0.5 * brain_ml:
            out.append(
                warn(
                    "hypoperfusion-too-large",
                    f"hypoperfused volume {hyp_ml:.0f} ml is larger than a hemisphere ({0.5 * brain_ml:.0f} ml): "
                    "check the AIF, the Tmax map's units and its background",
                )
            )
    if core_ml < MIN_CORE_ML:
        return out
    out += _position_warnings(core, brain, geometry)
    if rdwi is not None:
        bright = float((rdwi[core] > DWI_BRIGHT).mean())
        if bright <= 0.5:
            out.append(warn("core-not-dwi-bright", f"only {bright:.0%} of the core is brighter on DWI than healthy tissue"))
    if tmax is not None:
        hyp = float((tmax[core] > HYPOPERFUSED_TMAX).mean())
        if hyp <= 0.5:
            out.append(warn("core-not-hypoperfused", f"only {hyp:.0%} of the core has Tmax > {HYPOPERFUSED_TMAX:g} s"))
    return out


def _position_warnings(core: np.ndarray, brain: np.ndarray, geometry: Geometry) -> list[DataWarning]:
    """Where a core of at least :data:`MIN_CORE_ML` lies: outside the brain, on its surface, in both hemispheres."""
    out: list[DataWarning] = []
    v = geometry.voxel_volume_ml
    outside = float((core & ~brain).sum() / core.sum())
    if outside > OUTSIDE_FRACTION:
        out.append(warn("core-outside-brain", f"{outside:.0%} of the core lies outside the brain"))
    surface = surface_fraction(core & brain, brain, geometry)
    if surface > 0.5:
        out.append(
            warn(
                "core-on-brain-surface",
                f"{surface:.0%} of the core lies within {SURFACE_MM:g} mm of the brain's outline, where partial volume with the "
                "skull and CSF mimics a lesion; an infarct lies mostly deeper",
            )
        )
    if brain.sum() >= 10:
        lat = lateral_coordinate(brain, geometry)[core & brain]
        left, right = float((lat < 0).sum() * v), float((lat > 0).sum() * v)
        small = min(left, right)
        if small >= BILATERAL_ML and small >= BILATERAL_FRACTION * (left + right):
            out.append(
                warn(
                    "core-bilateral", f"the core lies in both hemispheres ({left:.0f} ml and {right:.0f} ml); an acute infarct rarely does"
                )
            )
    return out


def surface_fraction(core: np.ndarray, brain: np.ndarray, geometry: Geometry) -> float:
    """The fraction of ``core`` voxels within :data:`SURFACE_MM` (in-plane, at least one voxel) of the
    outline of ``brain`` (both ``(Z, Y, X)`` boolean), slice by slice.

    Each slice's mask has its holes filled first, so ventricles and deep CSF are not its outline; a slice
    edge the mask touches is (the field of view cut the head there). 0 for an empty core.
    """
    from scipy import ndimage

    if not core.any():
        return 0.0
    sx, sy, _ = geometry.spacing
    width = max(SURFACE_MM, min(sx, sy))
    near = 0
    for z in np.unique(np.nonzero(core)[0]):  # the slices the core is on: a loop over slices, not voxels
        filled = np.pad(ndimage.binary_fill_holes(brain[z]), 1)
        depth = ndimage.distance_transform_edt(filled, sampling=(sy, sx))[1:-1, 1:-1]
        near += int((depth[core[z]] <= width).sum())
    return near / int(core.sum())


def guard_labels(
    labels: np.ndarray, brain: np.ndarray, geometry: Geometry, images: dict[str, np.ndarray], hypoperfused: bool = True
) -> list[DataWarning]:
    """:func:`plausibility_warnings` of a label map (0/1/2: penumbra 1, core 2) with the case's
    ``images``: DWI (rDWI over its brain median) and Tmax (s or ms) where the case has them.
    ``hypoperfused`` False: the labels say nothing of hypoperfusion (a core-only model), so its
    checks are not made on the core."""
    from strokeseg.clinical.units import tmax_to_seconds
    from strokeseg.io.labels import CORE, PENUMBRA

    core = labels == CORE
    hyp = (labels >= PENUMBRA) & hypoperfused
    rdwi = None
    if "DWI" in images and brain.any():
        ref = float(np.median(images["DWI"][brain]))
        rdwi = images["DWI"] / ref if ref > 0 else None
    tmax = tmax_to_seconds(images["Tmax"], brain)[0] if "Tmax" in images and brain.any() else None
    return plausibility_warnings(core, brain, geometry, hypoperfused=hyp if hyp.any() else None, rdwi=rdwi, tmax=tmax)


#: a channel whose robust spread differs from the training data's by more than this factor is out of range
SPREAD_FACTOR = 5.0


def input_range_warnings(
    x: np.ndarray, brain: np.ndarray, channels: list[str], stats: tuple[np.ndarray, ...], masked: np.ndarray
) -> list[DataWarning]:
    """Whether a case's inputs lie far outside what a model was trained on.

    ``x`` ``(C, Z, Y, X)`` is the case's unwhitened input, ``stats`` the model's training statistics per
    channel (lower and upper clip bounds, the 0.5th and 99.5th percentiles of the training brain voxels;
    mean; sd), ``masked`` 1 for image channels (0: scalar channels, not checked). A channel is out of
    range when the median of the case's brain lies outside the training voxels' 0.5–99.5 % range (what
    training saw in fewer than 1 voxel in 100), or when its mean (for a non-negative map) or its sd, clipped to
    that range as the training statistics were, differs from the training one by more than
    :data:`SPREAD_FACTOR` (another unit or scale). The mean catches a rescaled heavy-tailed map (CBF with its
    vessels) whose median still lies inside the training range."""
    lower, upper, mean, std = stats
    if not brain.any():
        return []
    bad = []
    for c, name in enumerate(channels):
        if not masked[c] or not np.isfinite(lower[c]) or not np.isfinite(upper[c]):
            continue
        vals = x[c][brain].astype(np.float64)
        med = float(np.median(vals))
        clipped = np.clip(vals, lower[c], upper[c])  # as the training statistics were computed: clipped to its range
        spread, level = float(clipped.std()), float(clipped.mean())
        if not lower[c] <= med <= upper[c]:
            bad.append(f"{name} median {med:.3g} outside the training range {lower[c]:.3g}–{upper[c]:.3g}")
        elif lower[c] >= 0 and mean[c] > 0 and not 1 / SPREAD_FACTOR <= max(level, 1e-12) / mean[c] <= SPREAD_FACTOR:
            bad.append(f"{name} mean {level:.3g} against the training mean {mean[c]:.3g}")
        elif std[c] > 0 and not 1 / SPREAD_FACTOR <= max(spread, 1e-12) / std[c] <= SPREAD_FACTOR:
            bad.append(f"{name} spread {spread:.3g} against the training sd {std[c]:.3g}")
    if not bad:
        return []
    return [warn("input-outside-training", "the input lies far outside what the model was trained on: " + "; ".join(bad))]
