"""``train``, ``sweep`` and ``report``: the training runs and the report of any run folder, as Python calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from strokeseg.run.options import RunOptions, finish, run_folder

_RUN = RunOptions()


def train(data: str | Path, recipe: Any, out: str | Path, train: Any = None, options: RunOptions = _RUN) -> Any:
    """``strokeseg train`` in one process: cross-validate ``recipe`` (a :class:`~strokeseg.recipes.recipe.Recipe`
    or a shipped name or YAML file) on ``data`` and write the model bundle, the CV report and, with
    ``options.report``, the CV pages to ``out``. ``train``: :class:`~strokeseg.workflows.train.TrainOptions`
    (None: the defaults; its ``resume`` must agree with ``options.mode``). Data-parallel training stays with the
    command's launcher (``--nproc``) or torchrun.

    Returns:
        ``(bundle, out-of-fold evaluation)``.
    """
    from strokeseg.errors import ConfigError
    from strokeseg.recipes.recipe import Recipe, load_recipe
    from strokeseg.workflows.train import TrainOptions
    from strokeseg.workflows.train import train as train_workflow

    rec = recipe if isinstance(recipe, Recipe) else load_recipe(recipe)
    opts = train or TrainOptions(resume=str(options.mode) == "resume")
    if opts.resume != (str(options.mode) == "resume"):
        raise ConfigError("resume the training with the run folder's resume mode too")
    with run_folder(out, "train", replace(options, executor=None, settings={"recipe": rec.name}), [data]) as run:
        options.say(*(f"note: {n}" for n in run.notes), f"recipe {rec.name}: {rec.description}")
        done = train_workflow(data, rec, run, opts, log=options.say)
        if done is None:
            raise ConfigError("this process is a torchrun worker: only rank 0 returns the bundle")
        bundle = done[0]
        cv = (Path(out) / "cv" / "cv_report.md").read_text(encoding="utf-8")
        finish(run, options, cv, f"model bundle written to {out} (T = {bundle.threshold:g}, S_min = {bundle.min_size} voxels)", notes=False)
    return done


def report(run_dir: str | Path, report: Any = None, echo: Callable[[str], None] | None = None) -> Any:
    """``strokeseg report``: the HTML report (and DICOM outputs) of a run folder that any command wrote.

    Args:
        report: :class:`~strokeseg.workflows.report.ReportOptions` (None: the defaults).

    Returns:
        the report's result (its pages).
    """
    from strokeseg.errors import InputError
    from strokeseg.io.outputs import OutputMode, RunFolder
    from strokeseg.report.collect import detect_kind
    from strokeseg.run.options import check_reference
    from strokeseg.workflows.report import ReportOptions, report_run

    opts = report or ReportOptions()
    check_reference(RunOptions(report=opts))  # before anything is written
    root = Path(run_dir)
    if not root.is_dir():
        raise InputError("run folder not found", root)
    kind = detect_kind(root)  # refuses a folder that no strokeseg command wrote, before taking its lock
    with RunFolder(root, OutputMode.RESUME, command=kind) as run:
        result = report_run(run, opts)
    RunOptions(echo=echo).say(f"wrote {len(result.pages)} page(s) to {root / 'report'}; open {root / 'report' / 'index.html'}")
    return result


def sweep(data: str | Path, out: str | Path, points: Any, train: Any = None, options: RunOptions = _RUN) -> list[dict[str, Any]]:
    """``strokeseg sweep``: one cross-validation per ``(name, recipe)`` point (from
    :func:`~strokeseg.workflows.train.sweep_points`) into ``out/<name>/``, with ``sweep.csv`` and ``sweep.md``.

    Returns:
        the table's rows (mean Dice, HD and |ΔV| per region and point).
    """
    from strokeseg.workflows.train import TrainOptions
    from strokeseg.workflows.train import sweep as sweep_workflow

    with run_folder(out, "sweep", replace(options, executor=None), [data]) as run:
        rows = sweep_workflow(data, run, list(points), train or TrainOptions(), log=options.say)
        options.say((run.out / "sweep.md").read_text(encoding="utf-8").rstrip("\n"))
    return rows


__all__ = ["report", "sweep", "train"]
