"""A case made ready for a learned method: channels (with symmetric copies), brain mask, target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from strokeseg.errors import InputError
from strokeseg.io.case import Case
from strokeseg.io.geometry import Geometry
from strokeseg.io.labels import Target
from strokeseg.io.modalities import CANONICAL_MODALITIES
from strokeseg.masks.case import case_brain_mask
from strokeseg.preprocessing.cache import cached, content_key
from strokeseg.preprocessing.config import BrainMask, PrepareConfig, SymmetryTransform
from strokeseg.preprocessing.normalization import channel_names
from strokeseg.preprocessing.symmetry import symmetric_modalities


@dataclass
class PreparedCase:
    """Arrays a learned method consumes. ``x`` is ``(C, Z, Y, X)`` float32, not yet whitened."""

    case_id: str
    patient_id: str
    x: np.ndarray
    brain: np.ndarray
    target: np.ndarray | None  # (Z, Y, X) uint8 class indices, or None without a label
    label: np.ndarray | None  # canonical labels (0/1/2) for evaluation
    geometry: Geometry
    channels: list[str]
    group: str | None = None
    nihss: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


def recipe_modalities(cfg: PrepareConfig, available: list[str]) -> list[str]:
    """The input modalities in channel order: the configured ones, else every available one in canonical order."""
    if cfg.modalities:
        return list(cfg.modalities)
    order = {m: i for i, m in enumerate(CANONICAL_MODALITIES)}
    return sorted(available, key=lambda m: (order.get(m, 999), m))


def modalities_to_load(cfg: PrepareConfig, modalities: list[str]) -> list[str]:
    """The images to read for a case: the input modalities and what the brain mask needs."""
    return list(dict.fromkeys([*modalities, *(["MIP"] if cfg.brain_mask == BrainMask.MIP else [])]))


def target_of(label: np.ndarray, target: Target) -> np.ndarray:
    """Class indices of a recipe target from canonical labels."""
    if target == Target.CORE:
        result: np.ndarray = (label == 2).astype(np.uint8)
        return result
    if target in (Target.HYPOPERFUSED, Target.LESION):
        return (label > 0).astype(np.uint8)
    return label.astype(np.uint8)  # three-class: 0 background, 1 penumbra, 2 core


def prepare_case(case: Case, cfg: PrepareConfig, modalities: list[str] | None = None, use_cache: bool = True) -> PreparedCase:
    """Channels ``(C, Z, Y, X)`` float32 (modalities, then their symmetric copies, then scalar inputs),
    the brain mask and the target of a loaded case. The symmetric registration is cached on disk
    by content unless ``use_cache`` is False."""
    mods = modalities or recipe_modalities(cfg, list(case.images))
    missing = [m for m in mods if m not in case.images]
    if missing:
        raise InputError(f"case {case.case_id} lacks {', '.join(missing)} needed by recipe {cfg.name}")
    brain = case_brain_mask(case, cfg.reference, cfg.brain_mask)
    if not brain.any():
        raise InputError(f"case {case.case_id}: empty brain mask")
    images = {m: (case.images[m] * brain if m in cfg.skull_strip else case.images[m]).astype(np.float32) for m in mods}
    chans = [images[m] for m in mods]
    info: dict[str, Any] = {}
    if cfg.symmetric:
        ref = cfg.reference if cfg.reference in images else mods[0]
        settings = {"geometry": case.geometry.to_dict(), "reference": ref, "v": 3}
        if cfg.symmetric_transform != SymmetryTransform.RIGID:  # rigid keys stay those of earlier caches
            settings["transform"] = str(cfg.symmetric_transform)
        key = content_key({**images, "brain": brain.astype(np.uint8)}, settings)

        def compute() -> dict[str, np.ndarray]:
            res = symmetric_modalities(images, case.geometry, brain, ref, transform=cfg.symmetric_transform)
            return {
                **res.channels,
                "_params": np.asarray(res.transform),
                "_ncc": np.asarray([res.ncc_flip, res.ncc_registered]),
                "_ok": np.asarray(res.registered),
            }

        def expected(entry: dict[str, np.ndarray]) -> bool:
            return (
                all(m in entry and entry[m].shape == images[m].shape for m in mods)
                and {"_params", "_ncc", "_ok"} <= set(entry)
                and entry["_ncc"].shape == (2,)
                and entry["_ok"].shape == ()
            )

        sym = cached("symmetry", key, compute, enabled=use_cache, expect=expected)
        chans += [sym[m] for m in mods]
        info["symmetry_transform"] = sym["_params"].tolist()
        info["symmetry_ncc"] = sym["_ncc"].tolist()
        if not bool(sym["_ok"]):
            info["warning"] = "symmetric registration failed; the plain mirror was used"
    names = channel_names(mods, cfg.symmetric)
    if "NIHSS" in cfg.clinical_inputs:
        chans.append(np.full(brain.shape, nihss_input(case, cfg.nihss_impute), np.float32))
        names.append("NIHSS")
    x = np.stack(chans).astype(np.float32)
    label = case.label
    target = target_of(label, cfg.target) if label is not None else None
    return PreparedCase(case.case_id, case.patient_id, x, brain, target, label, case.geometry, names, case.group, case.nihss, info)


NIHSS_MAX = 42.0


def nihss_input(case: Case, impute: float | None) -> float:
    """The NIHSS as a network input, scaled to [0, 1] (NIHSS / 42). A missing score is an error
    unless the recipe names a value to impute (``nihss_impute``); it is never silently 0."""
    value = case.nihss
    if value is None:
        if impute is None:
            src = next(iter(case.sources.values()), case.case_id)
            raise InputError(
                f"{src}: case {case.case_id} has no NIHSS score, which this recipe takes as an input (set nihss_impute to impute one)"
            )
        value = float(impute)
    if not 0 <= value <= NIHSS_MAX:
        raise InputError(f"case {case.case_id}: NIHSS {value} outside 0–42")
    return float(value) / NIHSS_MAX
