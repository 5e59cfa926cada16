"""Perfusion maps for a case or a series file, and writing them (NIfTI + JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.diagnostics import warnings_of
from strokeseg.errors import InputError, Message, Param
from strokeseg.io.case import Case
from strokeseg.io.nifti import write_nifti
from strokeseg.io.records import PERFUSION_NAME, write_record
from strokeseg.io.volume import Series
from strokeseg.kinetics.constants import MR_SKIP_FRAMES
from strokeseg.perfusion.config import Modality, PerfusionConfig
from strokeseg.perfusion.maps import PerfusionResult, compute_maps

SERIES_MODALITY = {"CTP": Modality.CT, "PWI": Modality.MR}


def infer_modality(series: Series, name: str | None = None) -> Modality:
    """CT or DSC-MR from the series name, else from its values (HU have air at about −1000)."""
    if name in SERIES_MODALITY:
        return SERIES_MODALITY[name]
    lo = float(np.percentile(series.data[..., 0], 1))
    if lo < -200:
        return Modality.CT
    early = series.data[..., :3].mean(axis=3)
    brainish = early[early > np.percentile(early, 50)]
    if lo >= 0 and brainish.size and float(np.median(brainish)) > 150:
        return Modality.MR
    raise InputError(
        Message("cannot tell whether this series is CT (HU) or DSC-MRI; ", Param("modality", takes_value=True), " ct or mr"), series.path
    )


def case_series(case: Case) -> tuple[str, Series]:
    """The case's perfusion series and its name (CTP first)."""
    if not case.series:
        raise InputError(f"case {case.case_id} has no 4D perfusion series")
    name = "CTP" if "CTP" in case.series else next(iter(case.series))
    return name, case.series[name]


def maps_for_series(
    series: Series,
    config: PerfusionConfig,
    name: str | None = None,
    modality: str | None = None,
    brain_mask: np.ndarray | None = None,
    aif_mask: np.ndarray | None = None,
    show_progress: bool = True,
) -> PerfusionResult:
    """The maps of one series, with the modality given or inferred and the MR baseline skip applied."""
    mod = Modality(modality) if modality else infer_modality(series, name)
    cfg = (
        config
        if config.modality is mod
        else config.with_(modality=mod, skip_frames=MR_SKIP_FRAMES if mod is Modality.MR else config.skip_frames)
    )
    return compute_maps(series, cfg, brain_mask=brain_mask, aif_mask=aif_mask, show_progress=show_progress)


def write_perfusion(folder: Path, result: PerfusionResult, source: str, extra: dict[str, Any] | None = None) -> list[Path]:
    """Write the maps, brain and AIF masks, and ``perfusion.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, arr in result.maps.items():
        paths.append(write_nifti(folder / f"{name}.nii.gz", arr, result.geometry))
    paths.append(write_nifti(folder / "brain_mask.nii.gz", result.brain_mask, result.geometry, dtype=np.uint8))
    paths.append(write_nifti(folder / "aif_mask.nii.gz", result.aif_mask, result.geometry, dtype=np.uint8))
    info = {
        "source": source,
        **result.info,
        "warnings": result.warnings,
        "data_warnings": [w.to_dict() for w in warnings_of(result.warnings)],
        "units": {"CBF": "ml/100 g/min", "CBV": "ml/100 g", "MTT": "s", "Tmax": "s", "TTP": "s from the first frame"},
        "aif_times_s": [float(t) for t in result.frame_times],
        **(extra or {}),
    }
    paths.append(write_record("perfusion", folder / PERFUSION_NAME, info))
    return paths
