"""Scoring a folder of predictions against a truth, into an output folder (the ISLES challenges' metrics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from strokeseg.evaluation.runner import (
    EvaluationResult,
    ScoringOptions,
    evaluate_predictions,
    load_truth,
    not_assessable_lines,
    summary_markdown,
    write_results,
)
from strokeseg.io.outputs import RunFolder
from strokeseg.util.executors import ExecutorConfig


@dataclass(frozen=True)
class EvaluateOptions:
    """How the truth and the predictions are read: the truth's layout (None: detected) and label map, the
    predictions' label map, the regions to score (None: those the truth annotates), the NaN/Inf policy, the
    lesion-matching protocol (``isles22`` or ``isles24``), and where the cases are scored (None: in this process)."""

    layout: str | None = None
    label_map: Mapping[int, int] | None = None
    pred_label_map: Mapping[int, int] | None = None
    regions: Sequence[str] | None = None
    nonfinite: str = "error"
    executor: ExecutorConfig | None = None
    protocol: str = "isles22"


def evaluate_to_folder(run: RunFolder, pred: str | Path, truth: str | Path, opts: EvaluateOptions = EvaluateOptions()) -> EvaluationResult:
    """Evaluate and write ``per_case.csv``, ``summary.md`` and ``summary.json`` together into ``run``."""
    truth_set = load_truth(Path(truth), opts.layout, opts.label_map, opts.nonfinite)
    scoring = ScoringOptions(opts.nonfinite, opts.protocol)
    result = evaluate_predictions(Path(pred), truth_set, opts.pred_label_map, opts.regions, scoring, opts.executor)
    with run.stage() as stage:  # the three files appear together
        write_results(result, stage)
    return result


def evaluation_lines(result: EvaluationResult) -> list[str]:
    """The summary table, unmatched cases and warnings, as ``strokeseg evaluate`` prints them."""
    lines = [summary_markdown(result.summaries), *not_assessable_lines(result)]
    if result.unmatched_truth:
        lines.append(f"truth cases without a prediction ({len(result.unmatched_truth)}): {', '.join(result.unmatched_truth)}")
    if result.unmatched_pred:
        lines.append(f"prediction files matching no truth case ({len(result.unmatched_pred)}): {', '.join(result.unmatched_pred)}")
    lines += [f"warning: {w}" for w in result.warnings]
    return lines
