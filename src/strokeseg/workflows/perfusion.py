"""Perfusion maps for a single series or every case of a dataset, into an output folder.

The output is itself a dataset (layout ``strokeseg-maps``) that ``threshold``, ``train`` and
``predict`` read: per case the maps, ``brain_mask.nii.gz``, ``aif_mask.nii.gz``, for CT the
pre-contrast ``baseline.nii.gz`` (so a later threshold read-out excludes the same CSF as one made
from the series), and ``perfusion.json``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import InputError
from strokeseg.io.case import CaseRef
from strokeseg.io.outputs import RunFolder
from strokeseg.io.records import PERFUSION_NAME, SUMMARY_NAME, read_record, record_text
from strokeseg.io.volume import Series
from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.perfusion.maps import PerfusionResult
from strokeseg.util.executors import ExecutorConfig
from strokeseg.workflows.cases import CaseRun, run_cases


@dataclass(frozen=True)
class SeriesOptions:
    """How series are read and which masks override the automatic ones.

    Attributes:
        modality: ``ct`` or ``mr``; None: from the layout or the values.
        frame_interval: seconds between frames, overriding the file.
        nonfinite: ``error`` or ``zero`` for NaN/Inf voxels.
        brain_mask, aif_mask: mask files on the series grid, or None.
    """

    modality: str | None = None
    frame_interval: float | None = None
    nonfinite: str = "error"
    brain_mask: str | None = None
    aif_mask: str | None = None


@dataclass
class MapsResult:
    """One series' maps with the case id and the notes of reading it."""

    case_id: str
    result: PerfusionResult
    notes: list[str]


def perfusion_jobs(
    inp: Path, layout: str | None = None, label_map: dict[int, int] | None = None, series: dict[str, str] | None = None
) -> list[tuple[str, Any]]:
    """``[("", path)]`` for a single series (file or a DICOM folder of one series), else ``(case_id, CaseRef)`` per
    case with a series (``series``: a DICOM export's chosen series, role → SeriesInstanceUID)."""
    from strokeseg.io.dicom import count_series
    from strokeseg.io.layouts import open_dataset
    from strokeseg.io.layouts.base import is_image_file
    from strokeseg.io.layouts.dicom_folder import dicom_series_folders

    if not series and (
        (inp.is_file() and is_image_file(inp)) or (inp.is_dir() and dicom_series_folders(inp) == [inp] and count_series(inp) == 1)
    ):
        return [("", inp)]
    ds = open_dataset(inp, layout, label_map, series)
    refs = [r for r in ds.cases if r.series]
    if not refs:
        raise InputError(f"no case of this {ds.layout.name} dataset has a 4D perfusion series", inp)
    return [(r.case_id, r) for r in refs]


def _mask(path: str | None, series: Series) -> np.ndarray | None:
    from strokeseg.io.read import read_image

    if not path:
        return None
    vol = read_image(path)
    if not vol.geometry.same_grid(series.geometry, atol=1e-2):
        raise InputError(f"mask grid {vol.geometry.describe()} does not match the series grid {series.geometry.describe()}", path)
    return vol.array > 0.5


def _read(item: Path | CaseRef, opts: SeriesOptions) -> tuple[str, Series, str | None, Any]:
    """The case id, the series, its name, and for a dataset case the loaded case (label, patient, clinical data)."""
    from strokeseg.io.case import load_case
    from strokeseg.io.read import read_series

    if isinstance(item, Path):
        return item.name, read_series(item, opts.frame_interval, opts.nonfinite), None, None
    case = load_case(
        item,
        modalities=[],
        with_series=True,
        with_label=item.label is not None,
        nonfinite=opts.nonfinite,
        frame_interval=opts.frame_interval,
    )
    name = next(iter(case.series))
    return item.case_id, case.series[name], name, case


def maps_to_folder(item: Path | CaseRef, folder: Path, cfg: PerfusionConfig, opts: SeriesOptions) -> MapsResult:
    """Compute one series' maps and write them (and the CT baseline) into ``folder``."""
    from strokeseg.io.nifti import write_nifti
    from strokeseg.perfusion.run import maps_for_series, write_perfusion

    cid, series, name, case = _read(item, opts)
    res = maps_for_series(
        series, cfg, name=name, modality=opts.modality, brain_mask=_mask(opts.brain_mask, series), aif_mask=_mask(opts.aif_mask, series)
    )
    extra: dict[str, Any] = {"notes": series.notes} if series.notes else {}
    if case is not None:  # so that the maps folder is a dataset to train on: patient, clinical data and the label
        extra["case"] = {"patient_id": case.patient_id, "clinical": case.clinical}
        if case.label is not None:
            write_nifti(folder / "label.nii.gz", case.label, res.geometry, dtype=np.uint8)
    write_perfusion(folder, res, str(series.path), extra=extra or None)
    if res.info["modality"] == "ct":
        lo, hi = res.info["baseline_frames"]
        write_nifti(folder / "baseline.nii.gz", series.data[..., lo:hi].mean(axis=3).astype(np.float32), res.geometry)
    return MapsResult(cid, res, list(series.notes))


def perfusion_dataset(
    run: RunFolder,
    jobs: Sequence[tuple[str, Any]],
    cfg: PerfusionConfig,
    opts: SeriesOptions = SeriesOptions(),
    executor: ExecutorConfig | None = None,
) -> CaseRun[MapsResult]:
    """Maps for every job into ``run`` (cases spread by ``executor``); for a dataset, ``summary.json``
    lists the case folders that are there."""
    done = run_cases(run, jobs, functools.partial(maps_to_folder, cfg=cfg, opts=opts), "cases", executor=executor)
    if jobs and jobs[0][0]:
        rows = []
        for f in run.case_folders():
            if (f / PERFUSION_NAME).exists():
                info = read_record("perfusion", f / PERFUSION_NAME)
                rows.append(
                    {
                        "case_id": f.name,
                        "modality": info.modality,
                        "method": info.method,
                        "brain_voxels": info.brain_voxels,
                        "aif_voxels": (info.aif or {}).get("voxels"),
                        "warnings": info.warnings or [],
                    }
                )
        if rows:
            run.write_text(SUMMARY_NAME, record_text("maps-summary", {"cases": rows}))
    return done


def maps_summary_lines(done: CaseRun[MapsResult]) -> list[str]:
    """One line per case (modality, method, brain and AIF voxels, time) and its warnings."""
    lines = []
    for m in done.results:
        info = m.result.info
        aif = info["aif"]
        lines.append(
            f"{m.case_id}: {info['modality'].upper()} {info['method']}, {info['brain_voxels']} brain voxels, "
            f"AIF from {aif['voxels']} voxels (peak {aif['peak']:.3g} at {aif['time_to_peak_s']:.1f} s), "
            f"{info['timings_s']['total']:.2f} s"
        )
        lines += [f"  {w}" for w in [*m.notes, *m.result.warnings]]
    if done.skipped:
        lines.append(f"kept {len(done.skipped)} finished case(s) from the earlier run: {', '.join(done.skipped)}")
    return lines
