"""Prediction with trained nnU-Net v2 model folders, natively, inside strokeseg's predict: the
case read by any layout, nnU-Net's labels on the input grid mapped onto penumbra/core, the
probabilities, the volumes, the plausibility guard and the clinical read-out.

Several model folders fuse as DeepISLES fuses its members: the mean of the probabilities (then
nnU-Net's labels from the mean), or a majority vote of the labels.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from strokeseg.clinical.plausibility import guard_labels
from strokeseg.clinical.readout import readout_from_volumes, with_implausible
from strokeseg.diagnostics import warnings_of
from strokeseg.errors import NNUNETV2_BACKEND, ConfigError, InputError, Message, Param
from strokeseg.inference.nnunet.folder import NnUNetModel, load_nnunet_model
from strokeseg.inference.nnunet.labels import canonical_lut, foreground_probability, thresholded_labels
from strokeseg.inference.nnunet.predictor import NnUNetOutput, NnUNetRunConfig, predict_nnunet, segmentation
from strokeseg.inference.predict import volumes
from strokeseg.inference.sliding_window import entropy
from strokeseg.io.case import Case, CaseRef, load_case
from strokeseg.io.labels import CORE, PENUMBRA, Target
from strokeseg.io.modalities import canonical_modality
from strokeseg.masks.case import case_brain_mask
from strokeseg.prediction.engine import Prediction
from strokeseg.util.threads import configure_torch


@dataclass(frozen=True)
class NnUNetOptions:
    """How nnU-Net model folders are run.

    Attributes:
        folds: fold folder suffixes (``("0", "1")``, ``("all",)``); None: every fold present.
        checkpoint: ``final`` or ``best``.
        labels: model label name → ``core``/``penumbra``/``background`` (else read by keyword).
        channels: the strokeseg modality of each model channel (else ``dataset.json``'s names).
        threshold: opt-in threshold on the foreground probability (None: nnU-Net's labels).
        fuse: ``mean`` (of probabilities) or ``vote`` (of labels), for several model folders.
        batch_mirrors: run a tile's mirrored copies as one batch (probabilities then differ from
            nnU-Net's by float rounding, ~1e-4; on 2 CPU cores slower than one copy at a time and about
            four times the memory: ``docs/results/nnunet_inference.md``).
        nonfinite: ``error`` or ``zero`` for NaN/Inf input voxels.
        backend: ``native`` (strokeseg's implementation) or ``nnunetv2`` (nnU-Net's own
            ``nnUNetPredictor`` in process; needs the nnunet extra).
    """

    folds: tuple[str, ...] | None = None
    checkpoint: str = "final"
    labels: dict[str, str] | None = None
    channels: tuple[str, ...] | None = None
    threshold: float | None = None
    fuse: str = "mean"
    batch_mirrors: bool = False
    nonfinite: str = "error"
    backend: str = "native"


def _modalities(models: Sequence[NnUNetModel], channels: tuple[str, ...] | None) -> list[str]:
    names = models[0].channel_names
    for m in models[1:]:
        if m.channel_names != names:
            raise ConfigError(f"{m.path}: cannot fuse with {models[0].path}: channels differ ({', '.join(m.channel_names)})")
    if channels is not None:
        if len(channels) != len(names):
            raise ConfigError(
                Message(
                    Param("channels", verb="", scope="nnunet"),
                    f" gives {len(channels)} modalities; the model has {len(names)} ({', '.join(names)})",
                )
            )
        return [canonical_modality(c) for c in channels]
    return [canonical_modality(n) for n in names]


class NnUNetRunner:
    """One or more nnU-Net v2 model folders, ready to predict strokeseg cases (the same interface
    as :class:`~strokeseg.prediction.engine.Predictor`: ``load_case``, ``predict``, ``on``)."""

    def __init__(self, models: Sequence[NnUNetModel], options: NnUNetOptions = NnUNetOptions()) -> None:
        if not models:
            raise ConfigError("no model folder given")
        if options.fuse not in ("mean", "vote"):
            raise ConfigError(Message(Param("fuse", verb=""), f" must be mean or vote, got {options.fuse!r}"))
        if options.backend not in ("native", "nnunetv2"):
            raise ConfigError(Message(Param("backend", verb=""), f" must be native or nnunetv2, got {options.backend!r}"))
        if options.backend == "nnunetv2":
            _check_nnunetv2()
        self.models, self.options = list(models), options
        self.modalities = _modalities(self.models, options.channels)
        self.luts = [canonical_lut(m, options.labels) for m in self.models]
        if options.fuse == "mean" and any(m.labels != self.models[0].labels for m in self.models[1:]):
            raise ConfigError(
                Message(
                    Param("fuse", verb="", value="mean"),
                    " needs model folders with the same labels; use ",
                    Param("fuse", verb="", value="vote"),
                )
            )
        self.device = torch.device("cpu")
        self.run_config = NnUNetRunConfig(batch_mirrors=options.batch_mirrors)
        configure_torch()

    @classmethod
    def load(cls, model_dirs: Sequence[str | Path], options: NnUNetOptions = NnUNetOptions()) -> NnUNetRunner:
        """A runner from results folders (``<Trainer>__<Plans>__<configuration>``)."""
        return cls([load_nnunet_model(d, options.folds, options.checkpoint) for d in model_dirs], options)

    def on(self, device: str) -> NnUNetRunner:
        """The native nnU-Net path runs on the CPU (nnU-Net's GPU path autocasts, another arithmetic)."""
        return self

    def load_case(self, ref: CaseRef) -> Case:
        """Load a case with the modalities the model folders take (no label)."""
        missing = [m for m in self.modalities if m not in ref.images]
        if missing:
            raise InputError(
                Message(
                    f"case {ref.case_id} lacks {', '.join(missing)}, which the nnU-Net model takes "
                    f"(its channels: {', '.join(self.models[0].channel_names)}; map them ",
                    Param("channels", verb="with", scope="nnunet"),
                    ")",
                )
            )
        return load_case(ref, modalities=self.modalities, with_label=False, nonfinite=self.options.nonfinite)

    def _run(self, model: NnUNetModel, images: np.ndarray, spacing: tuple[float, ...]) -> NnUNetOutput:
        if self.options.backend == "nnunetv2":
            from strokeseg.inference.nnunet.oracle import predict_arrays_nnunetv2

            return NnUNetOutput(*predict_arrays_nnunetv2(model, images, spacing))
        return predict_nnunet(model, images, spacing, self.run_config)

    def _labels_and_probability(self, case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """Canonical labels, lesion probability, between-model variance (None for one folder) and
        the class probabilities used for the entropy."""
        images = np.stack([case.images[m] for m in self.modalities]).astype(np.float32)
        spacing = tuple(reversed(case.geometry.spacing))  # nnU-Net's spacing is in array order (z, y, x)
        outs = [self._run(m, images, spacing) for m in self.models]
        fg = [foreground_probability(m, o.probabilities) for m, o in zip(self.models, outs)]
        variance = np.var(fg, axis=0).astype(np.float32) if len(outs) > 1 else None
        first = self.models[0]
        if self.options.fuse == "vote" and len(outs) > 1:
            canon = np.stack([lut[o.labels] for lut, o in zip(self.luts, outs)])
            votes = np.stack([(canon == k).sum(0) for k in (0, PENUMBRA, CORE)])
            labels = np.array([0, PENUMBRA, CORE], np.uint8)[votes.argmax(0)]  # a tie goes to the lower label
            same = all(m.labels == first.labels for m in self.models)  # else the first member's classes
            probs = np.mean([o.probabilities for o in outs], axis=0).astype(np.float32) if same else outs[0].probabilities
            return labels, np.mean(fg, axis=0).astype(np.float32), variance, probs
        probs = np.mean([o.probabilities for o in outs], axis=0).astype(np.float32) if len(outs) > 1 else outs[0].probabilities
        if self.options.threshold is not None:
            raw = thresholded_labels(first, probs, self.options.threshold)
        elif len(outs) > 1:
            raw = segmentation(first, probs)  # nnUNetv2_ensemble: labels of the mean probabilities
        else:
            raw = outs[0].labels
        return self.luts[0][raw], foreground_probability(first, probs), variance, probs

    def predict(self, case: Case) -> Prediction:
        """Predict one loaded case (it must hold the models' modalities)."""
        t0 = time.perf_counter()
        labels, probability, variance, probs = self._labels_and_probability(case)
        t1 = time.perf_counter()
        first = self.models[0]
        target = _target(self.luts)
        vols = volumes(labels, case.geometry.voxel_volume_ml, target, CORE)
        brain = case_brain_mask(case, self.modalities[0])
        guard = guard_labels(labels, brain, case.geometry, case.images, vols["hypoperfused_ml"] is not None)
        case.notes = [*case.notes, *guard]
        ent = entropy(np.stack([1 - probability, probability])) if first.has_regions else entropy(probs)
        info = {
            "case_id": case.case_id,
            **vols,
            "threshold": self.options.threshold,
            "models": len(self.models),
            "nnunet": [
                {"folder": str(m.path), "trainer": m.trainer, "configuration": m.configuration, "folds": list(m.folds)} for m in self.models
            ],
            "fuse": self.options.fuse if len(self.models) > 1 else None,
            "seconds": time.perf_counter() - t0,
            "timings_s": {"networks": round(t1 - t0, 4), "postprocess": round(time.perf_counter() - t1, 4)},
            "recipe": "nnU-Net " + "+".join(m.path.name for m in self.models),
            "target": target,
            "notes": case.notes,
            "warnings": [w.to_dict() for w in warnings_of(case.notes)],
        }
        readout = with_implausible(readout_from_volumes(vols["core_ml"], vols["hypoperfused_ml"]), [w.message for w in guard])
        info["probability_channels"] = _channel_names(first)
        return Prediction(case.case_id, labels, probability, variance, ent, readout, info, class_probabilities=probs)


def _check_nnunetv2() -> None:
    import importlib.util

    if importlib.util.find_spec("nnunetv2") is None:
        raise ConfigError(Message(NNUNETV2_BACKEND, " needs nnU-Net itself: make nnunet-deps (the nnunet extra, torch kept at its pin)"))


def _channel_names(model: NnUNetModel) -> list[str]:
    """The names of the probability volumes: every label (softmax), or every foreground region."""
    if model.has_regions:
        return [k for k, v in model.labels.items() if isinstance(v, (list, tuple)) or int(v) != 0]
    return [k for k, _ in sorted(model.labels.items(), key=lambda kv: int(kv[1]))]  # type: ignore[arg-type]


def load_model(path: str | Path, options: NnUNetOptions = NnUNetOptions()) -> Any:
    """A trained model folder, ready for :func:`strokeseg.predict_case`: an nnU-Net v2 results
    folder (``<Trainer>__<Plans>__<configuration>``, run natively) or a strokeseg bundle.

    Examples:
        >>> import strokeseg  # doctest: +SKIP
        >>> model = strokeseg.load_model("nnUNet_results/Dataset001_X/nnUNetTrainer__nnUNetPlans__3d_fullres")  # doctest: +SKIP
        >>> pred = strokeseg.predict_case(model, strokeseg.load_case(strokeseg.open_dataset("cases").cases[0]))  # doctest: +SKIP
        >>> pred.labels.shape, pred.readout.core_ml  # doctest: +SKIP
    """
    from strokeseg.bundle import ModelBundle
    from strokeseg.inference.nnunet.folder import is_nnunet_model

    p = Path(path)
    if is_nnunet_model(p) or (p / "plans.json").is_file() or (p / "checkpoint_final.pth").is_file():
        return NnUNetRunner.load([p], options)  # an incomplete nnU-Net folder gets nnU-Net's message
    return ModelBundle.load(p)


def load_predictor(model_dirs: Sequence[str | Path], options, nnunet: NnUNetOptions):
    """A :class:`NnUNetRunner` when every ``--model`` is an nnU-Net v2 results folder, else the
    bundles' :class:`~strokeseg.prediction.engine.Predictor`; a mix is refused."""
    from strokeseg.inference.nnunet.folder import is_nnunet_model
    from strokeseg.prediction.engine import Predictor

    kinds = [is_nnunet_model(d) for d in model_dirs]
    if all(kinds):
        bundle_only = {
            "folds": options.folds,
            "mc_passes": options.mc_passes,
            "tta": options.tta,
            "min_size_ml": options.min_size_ml,
            "min_size_voxels": options.min_size_voxels,
        }
        given = [Param(k, verb="") for k, v in bundle_only.items() if v not in (None, False)]
        if given:
            listed: list[str | Param] = [x for p in given for x in (", ", p)][1:]
            take = (
                " apply to strokeseg bundles; nnU-Net folders take ",
                Param("folds", verb="", scope="nnunet"),
                " and ",
                Param("threshold", verb=""),
            )
            raise ConfigError(Message(*listed, *take))
        return NnUNetRunner.load(model_dirs, nnunet)
    if any(kinds):
        raise ConfigError("cannot ensemble nnU-Net model folders with strokeseg bundles; give one kind")
    return Predictor.load(model_dirs, options)


def _target(luts: Sequence[np.ndarray]) -> Target:
    """strokeseg's target for the mapped labels: three-class, core only, or hypoperfused only."""
    values = set().union(*(set(int(v) for v in lut[1:]) for lut in luts))
    if {CORE, PENUMBRA} <= values:
        return Target.THREE_CLASS
    return Target.CORE if CORE in values else Target.HYPOPERFUSED
