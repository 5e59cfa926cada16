"""The prediction engine for trained model bundles: one case in memory, and its files on disk.

Per case: load → prepare (the bundle's channels) → sliding-window ensemble of the fold models
(MC dropout, optional flip TTA) → threshold T and minimum component size → canonical labels,
lesion probability, variance, entropy, region volumes and the clinical read-out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.bundle import ModelBundle
from strokeseg.clinical.plausibility import guard_labels, input_range_warnings
from strokeseg.clinical.readout import Readout, readout_from_volumes, with_implausible
from strokeseg.diagnostics import warnings_of
from strokeseg.errors import ConfigError
from strokeseg.inference.fusion import fold_batch_norms
from strokeseg.inference.predict import labels_argmax, labels_from_probs, predict_probs, volumes
from strokeseg.inference.sliding_window import entropy
from strokeseg.io.case import Case, CaseRef, load_case
from strokeseg.io.records import READOUT_SUFFIX, VOLUMES_SUFFIX, write_record
from strokeseg.postprocess.config import LabelMode
from strokeseg.preprocessing.config import Normalization
from strokeseg.preprocessing.prepare import modalities_to_load, prepare_case
from strokeseg.recipes.recipe import check_patch_fits
from strokeseg.util.threads import configure_torch


@dataclass(frozen=True)
class PredictOptions:
    """Overrides of what the bundle says, and how cases are read.

    Attributes:
        folds: fold numbers to ensemble, from 1 as in the logs and the CV report (None: all).
        mc_passes: Monte-Carlo dropout passes (None: the recipe's).
        tta: also average a left–right flipped prediction.
        threshold: probability threshold T in (0, 1) (None: the bundle's).
        min_size_ml: minimum component size in ml (None: the bundle's S_min).
        min_size_voxels: minimum component size in voxels (exclusive with ``min_size_ml``).
        device: ``auto``, ``cpu`` or ``cuda``.
        use_cache: reuse cached symmetric modalities.
        nonfinite: ``error`` or ``zero`` for NaN/Inf input voxels.
    """

    folds: tuple[int, ...] | None = None
    mc_passes: int | None = None
    tta: bool = False
    threshold: float | None = None
    min_size_ml: float | None = None
    min_size_voxels: int | None = None
    device: str = "auto"
    use_cache: bool = True
    nonfinite: str = "error"


@dataclass
class Prediction:
    """One case's prediction on the case's own grid.

    ``labels`` ``(Z, Y, X)`` uint8 canonical labels (0 background, 1 penumbra, 2 core);
    ``probability`` lesion probability, ``variance`` MC/ensemble variance of it (None where the
    model gives none: one nnU-Net folder), ``entropy``
    normalised predictive entropy (all float32, same shape); ``info`` the volumes JSON.
    """

    case_id: str
    labels: np.ndarray
    probability: np.ndarray
    variance: np.ndarray | None
    entropy: np.ndarray
    readout: Readout
    info: dict[str, Any] = field(default_factory=dict)
    #: ``(K, Z, Y, X)`` float32 per-class (or per-region) probabilities, where the model gives them
    class_probabilities: np.ndarray | None = None


class Predictor:
    """The fold models of one or more bundles of the same target and channels, ready to predict."""

    def __init__(self, bundles: Sequence[ModelBundle], options: PredictOptions = PredictOptions()) -> None:
        from strokeseg.training.device import select_device

        if not bundles:
            raise ConfigError("no model bundle given")
        if options.min_size_ml is not None and options.min_size_voxels is not None:
            raise ConfigError("give the minimum component size in ml or in voxels, not both")
        self.bundles, self.options = list(bundles), options
        first = self.bundle = bundles[0]
        self.models = []
        folds = [f - 1 for f in options.folds] if options.folds else None
        for b in bundles:
            if (b.channels, b.target, b.num_classes) != (first.channels, first.target, first.num_classes):
                raise ConfigError(
                    f"{b.path}: cannot ensemble with {first.path}: channels, target or classes differ "
                    f"({b.target}, {b.num_classes} classes, {', '.join(b.channels)})"
                )
            self.models += b.load_models(folds)
        # prediction copies with batch norms folded into the convolutions (same function, faster)
        self.models = [(fold_batch_norms(m, inplace=True)[0], norm) for m, norm in self.models]
        self.device = select_device(options.device)
        if self.device.type == "cpu":
            configure_torch()
        self.window = first.recipe.window(options.mc_passes, options.tta)
        self.threshold = options.threshold if options.threshold is not None else first.threshold
        given = (options.threshold, options.min_size_ml, options.min_size_voxels)
        # the recipe's argmax, unless the user asked for a threshold or a minimum size
        self.argmax = first.recipe.postprocess.mode == LabelMode.ARGMAX and all(v is None for v in given)

    def on(self, device: str) -> Predictor:
        """A copy of this predictor whose networks run on ``device`` (e.g. one GPU of several)."""
        import copy

        from strokeseg.training.device import select_device

        other = copy.copy(self)
        other.device = select_device(device)
        other.models = [(m.to(other.device), norm) for m, norm in self.models]
        return other

    @classmethod
    def load(cls, model_dirs: Sequence[str | Path], options: PredictOptions = PredictOptions()) -> Predictor:
        """A predictor from bundle folders."""
        return cls([ModelBundle.load(m) for m in model_dirs], options)

    def min_size(self, voxel_ml: float) -> int:
        """S_min in voxels for a case with voxels of ``voxel_ml`` ml."""
        if self.options.min_size_voxels is not None:
            return int(self.options.min_size_voxels)
        if self.options.min_size_ml is not None:
            return math.ceil(self.options.min_size_ml / voxel_ml - 1e-9)
        return int(self.bundle.min_size)

    def load_case(self, ref: CaseRef) -> Case:
        """Load a case with the modalities the bundle needs (no label)."""
        b = self.bundle
        return load_case(
            ref, modalities=modalities_to_load(b.recipe.prepare, b.modalities), with_label=False, nonfinite=self.options.nonfinite
        )

    def predict(self, case: Case) -> Prediction:
        """Predict one loaded case (it must hold the bundle's modalities)."""
        t0 = time.perf_counter()
        b = self.bundle
        check_patch_fits(b.recipe, case.geometry.shape, case.case_id)
        prep = prepare_case(case, b.recipe.prepare, b.modalities, use_cache=self.options.use_cache)
        t1 = time.perf_counter()
        probs, var = predict_probs(prep, self.models, self.window, self.device, brain_only=True)
        t2 = time.perf_counter()
        smin = self.min_size(case.geometry.voxel_volume_ml)
        if self.argmax:
            labels = labels_argmax(probs, prep.brain, b.target, b.output_label)
        else:
            labels = labels_from_probs(probs, prep.brain, self.threshold, smin, b.target, b.output_label, b.num_classes)
        vols = volumes(labels, case.geometry.voxel_volume_ml, b.target, b.output_label)
        norm = self.models[0][1]
        guard = guard_labels(labels, prep.brain, case.geometry, case.images, vols["hypoperfused_ml"] is not None)
        if norm.mode == Normalization.DATASET:
            guard += input_range_warnings(prep.x, prep.brain, prep.channels, norm.reference(prep.x, prep.brain), norm.masked())
        case.notes = [*case.notes, *guard]
        t3 = time.perf_counter()
        info = {
            "case_id": case.case_id,
            **vols,
            "threshold": None if self.argmax else self.threshold,
            "min_size": None if self.argmax else smin,
            "postprocess": "argmax" if self.argmax else "threshold",
            "models": len(self.models),
            "mc_passes": self.window.mc_passes,
            "tta": self.window.tta_flip,
            "seconds": time.perf_counter() - t0,
            # per step: preprocessing (symmetric channels, from the cache when there), whitening and the
            # networks over every window, post-processing and volumes
            "timings_s": {"prepare": round(t1 - t0, 4), "networks": round(t2 - t1, 4), "postprocess": round(t3 - t2, 4)},
            "recipe": "+".join(x.recipe.name for x in self.bundles),
            "target": b.target,
            "notes": case.notes,
            "warnings": [w.to_dict() for w in warnings_of(case.notes)],
            **({"warning": prep.info["warning"]} if "warning" in prep.info else {}),
        }
        readout = with_implausible(readout_from_volumes(vols["core_ml"], vols["hypoperfused_ml"]), [w.message for w in guard])
        return Prediction(case.case_id, labels, probs[1:].sum(0).astype(np.float32), var, entropy(probs), readout, info)


def predict_case(bundle: Any, case: Case, options: PredictOptions = PredictOptions()) -> Prediction:
    """Predict one loaded :class:`~strokeseg.io.case.Case` with a bundle, a ready :class:`Predictor`,
    or an nnU-Net model folder from :func:`strokeseg.load_model` (``options`` apply to bundles).

    Examples:
        >>> from strokeseg import ModelBundle, load_case, open_dataset, predict_case  # doctest: +SKIP
        >>> ref = open_dataset("my_cases").cases[0]  # doctest: +SKIP
        >>> pred = predict_case(ModelBundle.load("model"), load_case(ref))  # doctest: +SKIP
        >>> pred.readout.core_ml  # doctest: +SKIP
    """
    predictor = Predictor([bundle], options) if isinstance(bundle, ModelBundle) else bundle
    return predictor.predict(case)


def write_prediction(folder: Path, pred: Prediction, case: Case, record: dict[str, Any] | None = None) -> None:
    """``<case>_label/_prob/_variance/_entropy.nii.gz`` (and ``_probabilities``, 4D, where the model
    gives per-class probabilities) on the case's grid, ``<case>_volumes.json`` and ``<case>_readout.json``
    (with ``record``'s fields: inputs, clinical values, verdicts, provenance)."""
    from strokeseg.io.nifti import write_nifti

    cid, g = pred.case_id, case.geometry
    write_nifti(folder / f"{cid}_label.nii.gz", pred.labels, g, dtype=np.uint8)
    write_nifti(folder / f"{cid}_prob.nii.gz", pred.probability, g)
    if pred.variance is not None:
        write_nifti(folder / f"{cid}_variance.nii.gz", pred.variance, g)
    if pred.class_probabilities is not None:  # (Z, Y, X, K), one volume per class or region
        write_nifti(folder / f"{cid}_probabilities.nii.gz", np.moveaxis(pred.class_probabilities, 0, -1), g)
    write_nifti(folder / f"{cid}_entropy.nii.gz", pred.entropy, g)
    write_record("volumes", folder / f"{cid}{VOLUMES_SUFFIX}", {"case_id": cid, **pred.info})
    readout = {
        "case_id": cid,
        "maps": f"model {pred.info['recipe']}",
        **pred.readout.to_dict(),
        "notes": case.notes,
        "warnings": [w.to_dict() for w in warnings_of(case.notes)],
    }
    if record is not None:
        readout.update(record)
    write_record("readout", folder / f"{cid}{READOUT_SUFFIX}", readout)


__all__ = ["PredictOptions", "Prediction", "Predictor", "predict_case", "write_prediction"]
