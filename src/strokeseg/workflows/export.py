"""Export a strokeseg dataset (any layout) as an nnU-Net v2 raw dataset.

``Dataset{id:03d}_{name}/`` with ``dataset.json``, ``imagesTr/<case>_<XXXX>.nii.gz`` (the case's
modalities on one grid, through strokeseg's own reading and resampling), ``labelsTr/<case>.nii.gz``,
``imagesTs/`` for cases without a label (a dataset with none is one to predict),
``splits_final.json`` (strokeseg's patient-grouped folds, numbered from 0 as nnU-Net numbers
them; with two labelled patients or more) and ``strokeseg_provenance.json`` (nnU-Net case → strokeseg
case, patient, fold and source files).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import ConfigError, InputError, Message, Param
from strokeseg.io.case import CaseRef, load_case
from strokeseg.io.labels import CORE, PENUMBRA
from strokeseg.io.modes import ExportTarget
from strokeseg.io.nifti import write_nifti
from strokeseg.masks.brain import valid_map_mask
from strokeseg.masks.case import PERFUSION_MAPS
from strokeseg.training.folds import grouped_folds
from strokeseg.util.progress import progress

#: modalities in Hounsfield units: nnU-Net's CT normalisation (clipped to the foreground's 0.5–99.5 %)
CT_LIKE = ("CT", "CTA", "MIP")
TARGETS = tuple(t.value for t in ExportTarget)


@dataclass(frozen=True)
class ExportOptions:
    """What the export writes.

    Attributes:
        dataset_id: nnU-Net's dataset number (1–999); ``name``: the dataset name (letters, digits, _ and -).
        target: ``core`` (label 1 = core), ``lesion`` (1 = core ∪ penumbra) or ``regions``
            (0/1/2 with ``hypoperfused`` = [1, 2] and ``core`` = [2]).
        modalities: the channels in order (None: those every labelled case has, in canonical order).
        ct_channels: channels named ``CT`` in ``dataset.json`` (CT normalisation; None: CT, CTA, MIP).
        folds: number of patient-grouped folds for ``splits_final.json``; ``seed`` their shuffle.
    """

    dataset_id: int
    name: str
    target: ExportTarget | str = ExportTarget.CORE
    modalities: tuple[str, ...] | None = None
    ct_channels: tuple[str, ...] | None = None
    folds: int = 5
    seed: int = 0

    def folder(self) -> str:
        if not 1 <= self.dataset_id <= 999:
            raise ConfigError(
                Message(Param("dataset_id", verb="", scope="export"), f" must be 1–999 (nnU-Net's dataset numbers), got {self.dataset_id}")
            )
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", self.name):
            raise ConfigError(Message(Param("name", verb=""), f" must be letters, digits, _ and - (got {self.name!r})"))
        if self.target not in TARGETS:
            raise ConfigError(Message(Param("target", verb=""), f" must be one of {', '.join(TARGETS)}, got {self.target!r}"))
        return f"Dataset{self.dataset_id:03d}_{self.name}"


def export_labels(canonical: np.ndarray, target: ExportTarget) -> np.ndarray:
    """nnU-Net label values from canonical labels (0 background, 1 penumbra, 2 core)."""
    out: np.ndarray = canonical.astype(np.uint8)
    if target == ExportTarget.CORE:
        out = (canonical == CORE).astype(np.uint8)
    elif target == ExportTarget.LESION:
        out = (canonical >= PENUMBRA).astype(np.uint8)
    return out


def dataset_json(channels: Sequence[str], ct_channels: Sequence[str], target: ExportTarget, n_train: int) -> dict[str, Any]:
    """``dataset.json``: channel names (``CT`` where nnU-Net should use its CT normalisation), labels."""
    names = {str(i): ("CT" if c in ct_channels else c) for i, c in enumerate(channels)}
    labels: dict[str, Any] = {"background": 0, "core": 1} if target == ExportTarget.CORE else {"background": 0, "lesion": 1}
    out: dict[str, Any] = {"channel_names": names, "labels": labels, "numTraining": n_train, "file_ending": ".nii.gz"}
    if target == ExportTarget.REGIONS:
        out["labels"] = {"background": 0, "hypoperfused": [PENUMBRA, CORE], "core": [CORE]}
        out["regions_class_order"] = [PENUMBRA, CORE]
    out["strokeseg_channels"] = list(channels)  # the strokeseg modality of each channel
    return out


def _channels(refs: Sequence[CaseRef], requested: tuple[str, ...] | None) -> list[str]:
    from strokeseg.io.modalities import CANONICAL_MODALITIES, canonical_modality

    if requested:
        chans = [canonical_modality(m) for m in requested]
    else:
        common = set.intersection(*(set(r.images) for r in refs)) if refs else set()
        chans = [m for m in CANONICAL_MODALITIES if m in common] + sorted(common - set(CANONICAL_MODALITIES))
    if not chans:
        raise InputError("the cases share no image modality to export")
    missing = [(r.case_id, m) for r in refs for m in chans if m not in r.images]
    if missing:
        raise InputError(Message(f"case {missing[0][0]} lacks {missing[0][1]}; choose ", Param("modalities", verb=""), " the cases share"))
    return chans


def nnunet_splits(refs: Sequence[CaseRef], k: int, seed: int) -> list[dict[str, list[str]]] | None:
    """``splits_final.json``: strokeseg's patient-grouped folds of the labelled cases, fold ``i`` validating on
    strokeseg's fold ``i + 1``; None with fewer than two labelled patients (nothing to cross-validate)."""
    patients = len({r.patient_id for r in refs})
    if patients < 2:
        return None
    if k > patients:
        raise InputError(
            Message(f"{patients} labelled patients cannot make {k} folds; ", Param("folds", takes_value=True), f" {patients} or fewer")
        )
    folds = grouped_folds([r.case_id for r in refs], [r.patient_id for r in refs], k, seed)
    return [{"train": [c for j, f in enumerate(folds) if j != i for c in f], "val": list(fold)} for i, fold in enumerate(folds)]


def _without_sentinels(images: dict[str, np.ndarray], chans: Sequence[str]) -> tuple[dict[str, np.ndarray], int]:
    """Perfusion maps with 0 wherever any map is not physiological (vendor sentinels such as CBF 1e-6
    or Tmax −30, NaN, negative values: :func:`~strokeseg.masks.brain.valid_map_mask`), so that nnU-Net's
    crop to non-zero and its statistics see tissue only; returns the maps and how many voxels were zeroed."""
    maps = {m: images[m] for m in chans if m in PERFUSION_MAPS}
    if not maps:
        return images, 0
    valid, _ = valid_map_mask(maps)
    out = dict(images)
    for m in maps:
        out[m] = np.where(valid, np.nan_to_num(images[m]), 0.0).astype(np.float32)
    return out, int((~valid).sum())


def _write_case(root: Path, ref: CaseRef, chans: Sequence[str], target: ExportTarget) -> dict[str, Any]:
    case = load_case(ref, modalities=chans, with_label=ref.label is not None)
    split = "imagesTr" if case.label is not None else "imagesTs"
    images, zeroed = _without_sentinels(case.images, chans)
    for i, m in enumerate(chans):
        write_nifti(root / split / f"{ref.case_id}_{i:04d}.nii.gz", images[m].astype(np.float32), case.geometry)
    if case.label is not None:
        write_nifti(root / "labelsTr" / f"{ref.case_id}.nii.gz", export_labels(case.label, target), case.geometry, dtype=np.uint8)
    return {
        "strokeseg_case": ref.case_id,
        "patient": ref.patient_id,
        "split": split,
        "sources": {m: str(ref.images[m]) for m in chans} | ({"label": str(ref.label)} if ref.label else {}),
        "notes": case.notes,
        "map_voxels_zeroed": zeroed,  # outside the voxels where every perfusion map is physiological
    }


def export_nnunet(refs: Sequence[CaseRef], stage: Path, opts: ExportOptions) -> Path:
    """Write the nnU-Net raw dataset of ``refs`` under ``stage`` and return its folder."""
    root = stage / opts.folder()
    target = ExportTarget(opts.target)  # checked by folder()
    labelled = [r for r in refs if r.label is not None]
    chans = _channels(labelled or refs, opts.modalities)  # unlabelled only: a dataset to predict (imagesTs)
    ct = opts.ct_channels if opts.ct_channels is not None else CT_LIKE
    subs = (("imagesTr", "labelsTr") if labelled else ()) + (("imagesTs",) if len(labelled) < len(refs) else ())
    for sub in subs:
        (root / sub).mkdir(parents=True)
    splits = nnunet_splits(labelled, opts.folds, opts.seed)
    fold_of = {c: i for i, s in enumerate(splits or []) for c in s["val"]}
    provenance = {}
    for ref in progress(refs, desc="export", unit="case"):
        provenance[ref.case_id] = {**_write_case(root, ref, chans, target), "fold": fold_of.get(ref.case_id)}
    meta = dataset_json(chans, ct, target, len(labelled))
    (root / "dataset.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    if splits is not None:
        (root / "splits_final.json").write_text(json.dumps(splits, indent=2), encoding="utf-8")
    folds = len(splits) if splits is not None else None
    record = {"version": 1, "target": opts.target, "channels": chans, "folds": folds, "seed": opts.seed, "cases": provenance}
    (root / "strokeseg_provenance.json").write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    return root
