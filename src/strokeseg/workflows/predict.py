"""Prediction of a whole dataset into an output folder, with the engine of :mod:`strokeseg.prediction`: one staged
folder per case, spread by an executor (and over the GPUs), then the cohort's ``volumes.json`` and ``readout.csv``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strokeseg.clinical.readout import format_readout_table, readout_csv
from strokeseg.diagnostics import warnings_of
from strokeseg.io.case import CaseRef
from strokeseg.io.outputs import RunFolder
from strokeseg.io.records import READOUT_SUFFIX, VOLUMES_SUFFIX, ReadoutRecord, VolumesRecord
from strokeseg.prediction.engine import Prediction, Predictor, write_prediction
from strokeseg.tables import json_text
from strokeseg.util.executors import ExecutorConfig
from strokeseg.workflows.cases import CaseRun, run_cases


@dataclass
class PredictRun:
    """What a dataset prediction did: the per-case results, skipped and failed cases, and summary rows."""

    cases: CaseRun[Prediction]
    volumes: list[VolumesRecord]
    readouts: list[ReadoutRecord]


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
            vols.append(VolumesRecord.read(f / f"{f.name}{VOLUMES_SUFFIX}"))
        if (f / f"{f.name}{READOUT_SUFFIX}").exists():
            reads.append(ReadoutRecord.read(f / f"{f.name}{READOUT_SUFFIX}"))
    if vols:
        run.write_text("volumes.json", json_text([v.to_json() for v in vols]))
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


__all__ = ["PredictRun", "case_devices", "predict_dataset", "predict_summary_lines"]
