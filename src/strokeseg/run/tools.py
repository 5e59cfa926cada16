"""``demo``, ``phantom``, ``info`` and ``cv-report``: the remaining commands' runs as Python calls.

Like the other calls of :mod:`strokeseg.run`, each does what its command does (run folder, the workflow,
what the command prints to ``options.echo``), and the command is argument parsing plus that call.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strokeseg.run.options import ReadOptions, RunOptions, run_folder

if TYPE_CHECKING:  # annotations only: each call imports the stages it uses
    from strokeseg.phantom.grid import GridConfig
    from strokeseg.workflows.demo import DemoConfig
    from strokeseg.workflows.phantom import CohortSpec

_READ, _RUN = ReadOptions(), RunOptions()


def demo(out: str | Path, config: DemoConfig | None = None, overwrite: bool = False, options: RunOptions = _RUN) -> dict[str, float]:
    """``strokeseg demo``: phantom → perfusion maps → train CT-2D → predict → evaluate, into ``out``.

    A rerun reuses the phantom cohorts already in ``out``; ``overwrite`` starts from nothing (``options.mode``
    is not used: the demo always resumes or overwrites its own folder). Each step's line goes to ``options.echo``.

    Returns:
        the core Dice of cross-validation, of the held-out prediction and of the threshold method, and the step times.
    """
    from strokeseg.io.outputs import RunFolder
    from strokeseg.workflows.demo import DemoConfig, run_demo

    with RunFolder(out, "overwrite" if overwrite else "resume", command="demo") as run:
        run.begin_writing()
        return run_demo(Path(out), config or DemoConfig(), log=options.say)


def phantom(out: str | Path, spec: CohortSpec, jobs: int = 1, options: RunOptions = _RUN) -> list[dict[str, Any]]:
    """``strokeseg phantom``: a synthetic cohort (``spec``) with its truth and vendor-style maps, written into ``out``
    whole or not at all, on ``jobs`` processes.

    Returns:
        the cohort's manifest rows (one per case).
    """
    from strokeseg.workflows.phantom import cohort_summary, write_phantom_cohort

    with run_folder(out, "phantom", options, []) as run, run.stage() as stage:
        rows = write_phantom_cohort(stage, spec, jobs=jobs, progress=True)
    options.say(cohort_summary(rows, spec.config.modality, spec.layout, Path(out)))
    return rows


def grid_phantom(out: str | Path, config: GridConfig, options: RunOptions = _RUN) -> int:
    """``strokeseg phantom --grid``: the Kudo-style validation grid (CBF × MTT × delay × residue tiles) into ``out``.

    Returns:
        the number of tiles.
    """
    from strokeseg.workflows.phantom import write_grid_phantom

    with run_folder(out, "phantom", options, []) as run, run.stage() as stage:
        n_tiles = write_grid_phantom(stage, config)
    options.say(f"wrote the grid phantom ({n_tiles} tiles) to {out}")
    return n_tiles


def info(path: str | Path, read: ReadOptions = _READ, json_out: str | Path | None = None, options: RunOptions = _RUN) -> dict[str, Any]:
    """``strokeseg info``: what strokeseg reads in ``path`` (a file or a dataset in any layout), and its problems.

    The description goes to ``options.echo``; with ``json_out`` it is also written there as JSON (never into
    the input it describes).

    Returns:
        the description (``problems`` lists what would stop a command).

    Raises:
        InputError: ``json_out`` lies in (or is) the input.
    """
    import json

    from strokeseg.errors import InputError, Message, Param
    from strokeseg.io.atomic import write_text
    from strokeseg.io.inspect import describe_path, format_description

    if json_out is not None:
        src, dst = Path(path).resolve(), Path(json_out).resolve()
        if dst == src or src in dst.parents:
            raise InputError(
                Message(Param("json_out", verb=""), " would write into the input it describes; choose a file outside it"), json_out
            )
    label_map: Mapping[int, int] | None = dict(read.label_map) if read.label_map else None
    desc: dict[str, Any] = describe_path(Path(path), layout=read.layout, label_map=label_map, series=read.series)
    options.say(format_description(desc))
    if json_out is not None:
        write_text(Path(json_out), json.dumps(desc, indent=2, default=str))
    return desc


def cv_report(model: str | Path, options: RunOptions = _RUN) -> str:
    """``strokeseg cv-report``: the cross-validation report a training run left in ``model/cv/cv_report.md``.

    Raises:
        InputError: the folder holds no such report.
    """
    from strokeseg.errors import InputError

    path = Path(model) / "cv" / "cv_report.md"
    if not path.exists():
        raise InputError("no cross-validation report (cv/cv_report.md) in this folder", model)
    text = path.read_text(encoding="utf-8")
    options.say(text)
    return text


__all__ = ["cv_report", "demo", "grid_phantom", "info", "phantom"]
