"""``export`` and ``nnunet_baseline``: a dataset written for nnU-Net, and nnU-Net's own training on it, as calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strokeseg.run.options import ReadOptions, RunOptions, finish, open_input, run_folder

_READ, _RUN = ReadOptions(), RunOptions()


def export(dataset: str | Path, out: str | Path, export: Any, read: ReadOptions = _READ, options: RunOptions = _RUN) -> Path:
    """``strokeseg export nnunet``: ``dataset`` (any layout) as an nnU-Net raw dataset in ``out``.

    Args:
        export: :class:`~strokeseg.workflows.export.ExportOptions` (dataset id and name, target, channels, folds).

    Returns:
        the written ``DatasetXXX_Name`` folder.
    """
    from strokeseg.errors import InputError
    from strokeseg.workflows.export import export_nnunet

    export.folder()  # a bad id or name fails before anything is read
    with run_folder(out, "export", options, [dataset]) as run:
        ds = open_input(dataset, read)
        run.protect(f for r in ds.cases for f in r.files())
        try:
            with run.stage() as stage:
                root = export_nnunet(ds.cases, stage, export)
        except InputError as err:  # name the dataset where the message names no file
            raise (err if err.path is not None else InputError(err.message, dataset)) from None
        finish(run, options, f"wrote {Path(out) / root.name} ({len(ds.cases)} cases)")
    return Path(out) / root.name


def nnunet_baseline(dataset: str | Path, out: str | Path, baseline: Any, read: ReadOptions = _READ, options: RunOptions = _RUN) -> Any:
    """``strokeseg nnunet-baseline``: nnU-Net v2's own planning, preprocessing and training on ``dataset``, with
    strokeseg's folds, scored out of fold as strokeseg scores (needs the nnunet extra).

    Args:
        baseline: :class:`~strokeseg.workflows.nnunet_baseline.BaselineOptions`.

    Returns:
        the out-of-fold evaluation.
    """
    from strokeseg.evaluation.runner import summary_markdown
    from strokeseg.workflows.nnunet_baseline import nnunet_baseline as run_baseline

    with run_folder(out, "nnunet-baseline", options, [dataset]) as run:
        ds = open_input(dataset, read)
        run.protect(f for r in ds.cases for f in r.files())
        run.begin_writing()
        result = run_baseline(ds.cases, run.out, baseline)
    options.say(summary_markdown(result.summaries, "nnU-Net baseline (out-of-fold)"))
    return result


__all__ = ["export", "nnunet_baseline"]
