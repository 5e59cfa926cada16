"""``export``, ``nnunet_baseline`` and ``compare``: a dataset written for nnU-Net, nnU-Net's own training on it, and
the comparison of methods, as calls."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from strokeseg.evaluation.modes import SignificanceTest
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


def compare(
    runs: Sequence[str],
    out: str | Path,
    reference: str | None = None,
    test: SignificanceTest | str = SignificanceTest.WILCOXON,
    options: RunOptions = _RUN,
) -> Any:
    """``strokeseg compare``: methods scored on the same cases (bundles or evaluation folders, ``NAME=DIR`` or
    ``DIR``) compared against ``reference`` (default: the first) with a paired ``test`` (``wilcoxon`` or
    ``ttest``) into ``out`` (``comparison.json``, ``comparison.md``, ``comparison.html``).

    Returns:
        the comparison (per region, method and metric: mean ± sd over cases and folds, per-fold means, p).
    """
    from strokeseg.evaluation.compare import comparison_markdown
    from strokeseg.workflows.compare import compare_to_folder, parse_run

    with run_folder(out, "compare", options, [parse_run(s)[1] for s in runs]) as run:
        result = compare_to_folder(run, list(runs), reference, test)
    options.say(comparison_markdown(result), f"wrote {Path(out) / 'comparison.md'}")
    return result


__all__ = ["compare", "export", "nnunet_baseline"]
