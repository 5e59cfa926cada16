"""The clinical threshold read-out of every case of a dataset, into an output folder."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.clinical.pipeline import CaseReadout, threshold_case
from strokeseg.clinical.readout import format_readout_table, readout_csv
from strokeseg.io.case import CaseRef, load_case
from strokeseg.io.outputs import RunFolder
from strokeseg.io.records import READOUT_SUFFIX, ReadoutRecord, write_record
from strokeseg.perfusion.config import PerfusionConfig
from strokeseg.util.executors import ExecutorConfig
from strokeseg.workflows.cases import CaseRun, run_cases
from strokeseg.workflows.record import record_fields

INPUTS = ("CBF", "CBV", "Tmax", "ADC", "DWI", "CT")


@dataclass
class ThresholdRun:
    """What a dataset read-out did: the per-case results, the read-out rows, and the evaluation when a truth was given."""

    cases: CaseRun[CaseReadout]
    rows: list[ReadoutRecord]
    evaluation: Any = None  # EvaluationResult against the truth, when one was given


def threshold_ref(
    ref: CaseRef,
    cfg: ThresholdConfig,
    perfusion: PerfusionConfig | None = None,
    nonfinite: str = "error",
    frame_interval: float | None = None,
    modality: str | None = None,
) -> CaseReadout:
    """Load what a threshold read-out needs (maps, ADC/DWI, CT; the 4D series when maps are missing) and read it out."""
    wanted = [m for m in INPUTS if m in ref.images]
    need_series = not ({"CBF", "Tmax"} <= set(wanted))
    case = load_case(
        ref,
        modalities=wanted,
        with_series=need_series and bool(ref.series),
        with_label=False,
        nonfinite=nonfinite,
        frame_interval=frame_interval,
    )
    return threshold_case(case, cfg, perfusion, modality)


def _threshold_one(
    ref: CaseRef, folder: Path, cfg: ThresholdConfig, perfusion: PerfusionConfig | None, truth: Any, read: dict[str, Any], run: tuple
) -> CaseReadout:
    """One case's labels and read-out into ``folder`` (a module-level task, so that it pickles for worker
    processes); maps computed from the series go to ``folder/perfusion`` (the maps the labels came from)."""
    import time

    from strokeseg.io.nifti import write_nifti
    from strokeseg.perfusion.run import write_perfusion

    t0 = time.perf_counter()
    cr = threshold_ref(ref, cfg, perfusion, **read)
    if truth is not None:
        from strokeseg.evaluation.runner import check_against_truth

        check_against_truth(cr.case_id, cr.geometry, truth[0], ref.where)
    write_nifti(folder / f"{cr.case_id}_label.nii.gz", cr.result.labels, cr.geometry, dtype=np.uint8)
    if cr.perfusion is not None:
        write_perfusion(folder / "perfusion", cr.perfusion, str(next(iter(ref.series.values()), "")))
        cr.perfusion = None  # written: not sent back from a worker
    record = cr.to_dict(cfg)
    record.update(record_fields(record, ref, cfg, *run))
    record["seconds"] = round(time.perf_counter() - t0, 3)
    write_record("readout", folder / f"{cr.case_id}{READOUT_SUFFIX}", record)
    return cr


def threshold_dataset(
    run: RunFolder,
    refs: Sequence[CaseRef],
    cfg: ThresholdConfig,
    perfusion: PerfusionConfig | None = None,
    truth: Any = None,
    read: dict[str, Any] | None = None,
    executor: ExecutorConfig | None = None,
) -> ThresholdRun:
    """Labels and read-outs per case, then ``readout.csv`` and ``thresholds.json``; with ``truth`` (from
    :func:`strokeseg.evaluation.runner.load_truth`) each case's grid is checked first and the labels evaluated."""
    one = functools.partial(_threshold_one, cfg=cfg, perfusion=perfusion, truth=truth, read=read or {}, run=(run.command, run.settings))
    done = run_cases(run, [(r.case_id, r) for r in refs], one, "threshold", executor=executor)
    rows = [ReadoutRecord.read(f / f"{f.name}{READOUT_SUFFIX}") for f in run.case_folders() if (f / f"{f.name}{READOUT_SUFFIX}").exists()]
    out = ThresholdRun(done, rows)
    if rows:
        run.write_text("readout.csv", readout_csv(rows))
        run.write_text("thresholds.json", json.dumps(cfg.to_dict(), indent=2))
    if rows and truth is not None:
        from strokeseg.evaluation.runner import evaluate_predictions, write_results

        out.evaluation = evaluate_predictions(run.out, truth)
        run.claim("evaluation")
        write_results(out.evaluation, run.path("evaluation"), title="Threshold method vs ground truth")
    return out


def threshold_summary_lines(res: ThresholdRun, cfg: ThresholdConfig) -> list[str]:
    """The read-out table, the cases' warnings, what was kept, and the evaluation summary."""
    lines = []
    if res.cases.results:
        lines.append(format_readout_table([(cr.case_id, cr.readout) for cr in res.cases.results], cfg))
    for cr in res.cases.results:
        lines += [f"{cr.case_id}: {w}" for w in cr.warnings]
    if res.cases.skipped:
        lines.append(f"kept {len(res.cases.skipped)} finished case(s) from the earlier run: {', '.join(res.cases.skipped)}")
    return lines


def read_truth(truth: Path, layout: str | None, label_map: Any = None) -> Any:
    """The ground truth to evaluate the read-outs against (any layout, or a folder of label maps)."""
    from strokeseg.evaluation.runner import load_truth

    return load_truth(Path(truth), layout, label_map)


def evaluation_summary(res: ThresholdRun) -> str:
    """The Markdown table of the labels' ISLES metrics against the truth."""
    from strokeseg.evaluation.runner import summary_markdown

    return summary_markdown(res.evaluation.summaries, "Threshold method vs ground truth")
