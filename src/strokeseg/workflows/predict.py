"""Prediction with trained model bundles: one case in memory, or a whole dataset into an output folder.

Per case: load → prepare (the bundle's channels) → sliding-window ensemble of the fold models
(MC dropout, optional flip TTA) → threshold T and minimum component size → canonical labels,
lesion probability, variance, entropy, region volumes and the clinical read-out.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.bundle import ModelBundle
from strokeseg.clinical.plausibility import guard_labels, input_range_warnings
from strokeseg.clinical.readout import Readout, format_readout_table, readout_csv, readout_from_volumes, with_implausible
from strokeseg.diagnostics import warnings_of
from strokeseg.errors import ConfigError
from strokeseg.inference.fusion import fold_batch_norms
from strokeseg.inference.predict import labels_argmax, labels_from_probs, predict_probs, volumes
from strokeseg.inference.sliding_window import entropy
from strokeseg.io.case import Case, CaseRef, load_case
from strokeseg.io.outputs import OutputMode, RunFolder
from strokeseg.io.records import READOUT_SUFFIX, VOLUMES_SUFFIX, read_record, write_record
from strokeseg.preprocessing.prepare import modalities_to_load, prepare_case
from strokeseg.recipes.recipe import check_patch_fits
from strokeseg.tables import json_text
from strokeseg.util.executors import ExecutorConfig
from strokeseg.util.threads import configure_torch
from strokeseg.workflows.cases import CaseRun, run_cases


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
        self.argmax = first.recipe.postprocess.mode == "argmax" and all(v is None for v in given)

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
        if norm.mode == "dataset":
            guard += input_range_warnings(prep.x, prep.brain, prep.channels, norm.parameters(prep.x, prep.brain), norm.masked())
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


@dataclass
class PredictRun:
    """What a dataset prediction did: the per-case results, skipped and failed cases, and summary rows."""

    cases: CaseRun[Prediction]
    volumes: list[dict[str, Any]]
    readouts: list[dict[str, Any]]


def case_devices(device: str, n_cases: int, n_gpus: int) -> list[str | None]:
    """The device of each case of a parallel prediction: the visible GPUs round robin (case k on ``cuda:k mod n``)
    when there are several, else None (the predictor's own device)."""
    from strokeseg.training.device import round_robin

    spread: list[str | None] | None = list(round_robin(device, n_cases, n_gpus) or []) if n_gpus >= 2 else None
    return spread or [None] * n_cases


def _predict_one(
    item: tuple[CaseRef, str | None], folder: Path, predictor: Predictor, run: tuple[str, dict[str, Any]] = ("predict", {})
) -> Prediction:
    """One case's prediction into ``folder`` (a module-level task, so that it pickles for worker processes);
    ``item`` = the case and the device it is predicted on (None: the predictor's)."""
    from strokeseg.workflows.record import record_fields

    ref, device = item
    if device is not None and device != str(predictor.device):
        predictor = predictor.on(device)
    case = predictor.load_case(ref)
    pred = predictor.predict(case)
    readout = {**pred.readout.to_dict(), "perfusion": True}
    write_prediction(folder, pred, case, record_fields(readout, ref, None, *run))
    return pred


def predict_dataset(run: RunFolder, predictor: Predictor, refs: Sequence[CaseRef], executor: ExecutorConfig | None = None) -> PredictRun:
    """Predict every case into ``run`` (one staged folder per case, spread by ``executor``; each
    worker receives the predictor's models, and on a machine with several GPUs each case goes to
    one of them, round robin), then write the cohort files ``volumes.json`` and ``readout.csv``
    from the case folders that are there."""

    one = functools.partial(_predict_one, predictor=predictor, run=(run.command, run.settings))
    n_gpus = 0
    if predictor.device.type == "cuda" and executor is not None and executor.parallel:
        import torch

        n_gpus = torch.cuda.device_count()  # several GPUs: the cases go round robin over them
    devices = case_devices(str(predictor.device), len(refs), n_gpus)
    done = run_cases(run, [(r.case_id, (r, d)) for r, d in zip(refs, devices)], one, "predict", executor=executor)
    vols, reads = [], []
    for f in run.case_folders():
        if (f / f"{f.name}{VOLUMES_SUFFIX}").exists():
            vols.append(read_record("volumes", f / f"{f.name}{VOLUMES_SUFFIX}"))
        if (f / f"{f.name}{READOUT_SUFFIX}").exists():
            reads.append(read_record("readout", f / f"{f.name}{READOUT_SUFFIX}"))
    if vols:
        run.write_text("volumes.json", json_text(vols))
    if reads:
        run.write_text("readout.csv", readout_csv(reads))
    return PredictRun(done, vols, reads)


def predict_summary_lines(result: PredictRun) -> list[str]:
    """What ``strokeseg predict`` prints: NaN notes, the read-out table, one line per case and what was kept."""
    lines = []
    for p in result.cases.results:
        lines += [f"{p.case_id}: {w}" for w in warnings_of(p.info["notes"])]
    if result.cases.results:
        lines.append(format_readout_table([(p.case_id, p.readout) for p in result.cases.results], None))
    for p in result.cases.results:
        warn = f"  [{p.info['warning']}]" if "warning" in p.info else ""
        lines.append(f"{p.case_id}: {p.info['seconds']:.1f} s{warn}")
    if result.cases.skipped:
        lines.append(f"kept {len(result.cases.skipped)} finished case(s) from the earlier run: {', '.join(result.cases.skipped)}")
    return lines


__all__ = ["OutputMode", "PredictOptions", "Prediction", "Predictor", "predict_case", "predict_dataset", "write_prediction"]
