"""``threshold``, ``perfusion``, ``predict`` and ``evaluate``: the commands' runs as Python calls.

Each call checks its options before anything is written, opens the run folder, runs the workflow, passes
what the command prints to ``options.echo``, writes the report when ``options.report`` is set, and raises
:class:`~strokeseg.errors.CaseFailures` (after the other cases are written) when a case failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strokeseg.run.options import ReadOptions, RunOptions, finish, open_input, patient_cases, run_folder

if TYPE_CHECKING:  # annotations only: each call imports the stages it uses
    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.perfusion.config import PerfusionConfig

DEFAULT_READ, DEFAULT_RUN = ReadOptions(), RunOptions()  # frozen: safe as shared defaults


def threshold(
    dataset: str | Path,
    out: str | Path,
    config: ThresholdConfig | None = None,
    perfusion: PerfusionConfig | None = None,
    truth: str | Path | None = None,
    read: ReadOptions = DEFAULT_READ,
    options: RunOptions = DEFAULT_RUN,
) -> Any:
    """``strokeseg threshold``: core, penumbra, mismatch and eligibility of every case of ``dataset`` into ``out``
    (labels, read-outs, ``readout.csv``), evaluated against ``truth`` when given.

    Returns:
        the :class:`~strokeseg.workflows.threshold.ThresholdRun` (rows of the read-out, the cases, the evaluation).
    """
    from strokeseg.clinical.config import ThresholdConfig
    from strokeseg.workflows.threshold import evaluation_summary, read_truth, threshold_dataset, threshold_summary_lines

    cfg = config or ThresholdConfig()
    with run_folder(out, "threshold", options, [dataset, truth]) as run:
        ds = open_input(dataset, read)
        run.protect(f for r in ds.cases for f in r.files())
        refs = patient_cases(ds.cases, read)
        label_map = dict(read.label_map) if read.label_map else None
        gt = read_truth(Path(truth), read.layout, label_map) if truth else None  # checked before any case is written
        how = {"nonfinite": read.nonfinite, "frame_interval": read.frame_interval, "modality": read.modality}
        res = threshold_dataset(run, refs, cfg, perfusion, gt, how, options.executor)
        lines = ["\n".join(threshold_summary_lines(res, cfg)), f"wrote labels and read-outs to {out}" if res.rows else ""]
        finish(run, options, *lines, evaluation_summary(res) if res.evaluation is not None else "")
        res.cases.raise_failures(Path(out))
    return res


def perfusion(
    series: str | Path,
    out: str | Path,
    config: PerfusionConfig | None = None,
    masks: tuple[str | Path | None, str | Path | None] = (None, None),
    read: ReadOptions = DEFAULT_READ,
    options: RunOptions = DEFAULT_RUN,
) -> Any:
    """``strokeseg perfusion``: CBF, CBV, MTT, Tmax and TTP of a 4D series (file or DICOM folder) or of every
    case of a dataset into ``out``; ``masks``: brain and AIF mask files overriding the automatic ones.

    Returns:
        the :class:`~strokeseg.workflows.cases.CaseRun` of the maps.
    """
    from strokeseg.perfusion.config import PerfusionConfig
    from strokeseg.workflows.perfusion import SeriesOptions, maps_summary_lines, perfusion_dataset, perfusion_jobs

    brain, aif = (str(m) if m else None for m in masks)
    opts = SeriesOptions(read.modality, read.frame_interval, read.nonfinite, brain, aif)
    with run_folder(out, "perfusion", options, [series, aif, brain]) as run:
        label_map = dict(read.label_map) if read.label_map else None
        jobs = perfusion_jobs(Path(series), read.layout, label_map, dict(read.series) if read.series else None)
        run.protect(f for _, r in jobs if not isinstance(r, Path) for f in r.files())
        done = perfusion_dataset(run, jobs, config or PerfusionConfig(), opts, options.executor)
        finish(run, options, "\n".join(maps_summary_lines(done)), f"wrote maps to {out}" if done.results else "")
        done.raise_failures(Path(out))
    return done


def predict(
    dataset: str | Path,
    out: str | Path,
    models: Sequence[str | Path],
    predict: Any = None,
    nnunet: Any = None,
    read: ReadOptions = DEFAULT_READ,
    options: RunOptions = DEFAULT_RUN,
) -> Any:
    """``strokeseg predict``: segment every case of ``dataset`` with trained ``models`` (strokeseg bundles, or
    nnU-Net v2 results folders run natively) into ``out``.

    Args:
        predict: :class:`~strokeseg.prediction.engine.PredictOptions` (None: the defaults).
        nnunet: :class:`~strokeseg.prediction.nnunet.NnUNetOptions` for nnU-Net folders (None: the defaults).

    Returns:
        the :class:`~strokeseg.workflows.predict.PredictRun`.
    """
    from strokeseg.prediction.engine import PredictOptions
    from strokeseg.prediction.nnunet import NnUNetOptions, load_predictor
    from strokeseg.workflows.predict import predict_dataset, predict_summary_lines

    opts = predict or PredictOptions(nonfinite=read.nonfinite)
    with run_folder(out, "predict", options, [dataset], models=models) as run:
        predictor = load_predictor([str(m) for m in models], opts, nnunet or NnUNetOptions(nonfinite=read.nonfinite))
        ds = open_input(dataset, read)
        run.protect(f for r in ds.cases for f in r.files())
        result = predict_dataset(run, predictor, patient_cases(ds.cases, read), options.executor)
        finish(run, options, "\n".join(predict_summary_lines(result)), f"wrote predictions to {out}" if result.volumes else "")
        result.cases.raise_failures(Path(out))
    return result


def evaluate(predictions: str | Path, truth: str | Path, out: str | Path, evaluation: Any = None, options: RunOptions = DEFAULT_RUN) -> Any:
    """``strokeseg evaluate``: ISLES-exact metrics of a folder of predicted label maps against ``truth`` into
    ``out`` (``per_case.csv``, ``summary.md``, ``summary.json``).

    Args:
        evaluation: :class:`~strokeseg.workflows.evaluate.EvaluateOptions` (None: the defaults); its executor
            is ``options.executor`` when that is set.

    Returns:
        the :class:`~strokeseg.evaluation.runner.EvaluationResult`.
    """
    from strokeseg.workflows.evaluate import EvaluateOptions, evaluate_to_folder, evaluation_lines

    opts = evaluation or EvaluateOptions()
    if options.executor is not None:
        opts = replace(opts, executor=options.executor)
    with run_folder(out, "evaluate", options, [predictions, truth]) as run:
        result = evaluate_to_folder(run, predictions, truth, opts)
        wrote = "wrote " + ", ".join(str(run.out / n) for n in ("per_case.csv", "summary.md", "summary.json"))
        finish(run, options, "\n".join(evaluation_lines(result)), wrote)
    return result


__all__ = ["evaluate", "perfusion", "predict", "threshold"]
