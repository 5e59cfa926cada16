"""Training a recipe by cross-validation into a model bundle, and sweeps over recipe overrides."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strokeseg.bundle import ModelBundle
from strokeseg.evaluation.runner import EvaluationResult
from strokeseg.io.outputs import RunFolder
from strokeseg.recipes.recipe import Recipe
from strokeseg.recipes.specs import FineTuningFallback
from strokeseg.tables import csv_text, markdown_table

_log = logging.getLogger("strokeseg")


@dataclass(frozen=True)
class TrainOptions:
    """How a training run reads its data and uses the machine.

    Attributes:
        layout, label_map: dataset layout (None: detected) and label override.
        nonfinite: ``error`` or ``zero`` for NaN/Inf voxels.
        use_cache: reuse cached symmetric modalities.
        device: ``auto``, ``cpu`` or ``cuda``.
        jobs: folds trained at once in worker processes.
        resume: continue from the folds' checkpoints.
    """

    layout: str | None = None
    label_map: Mapping[int, int] | None = None
    nonfinite: str = "error"
    use_cache: bool = True
    device: str = "auto"
    jobs: int = 1
    resume: bool = False


def train_notes(recipe: Recipe) -> list[str]:
    """What a user should know before training starts (a random backbone for a fine-tuning recipe)."""
    if recipe.train.pretrained is None and recipe.train.fine_tuning:
        skip = recipe.fine_tuning_without_pretrained == FineTuningFallback.SKIP
        return [
            "random initialisation: not the paper's method (no 'pretrained' file; the paper started from pretrained weights)"
            + (
                "; its frozen fine-tuning stages are skipped and every layer trains from the start "
                "(set fine_tuning_without_pretrained=keep to run them as written)"
                if skip
                else ""
            )
        ]
    return []


def train(
    data: str | Path,
    recipe: Recipe,
    out: RunFolder | str | Path,
    options: TrainOptions = TrainOptions(),
    log: Callable[[str], None] = _log.info,
) -> tuple[ModelBundle, EvaluationResult] | None:
    """Cross-validate ``recipe`` on the labelled cases of ``data``; the bundle is written to ``out``.

    Returns the bundle (fold models, T and S_min) and the out-of-fold evaluation. Under torchrun
    (``WORLD_SIZE`` > 1) the folds train data-parallel over the processes; rank 0 returns the
    bundle, every other rank None (it writes nothing).

    Examples:
        >>> from strokeseg import load_recipe, train  # doctest: +SKIP
        >>> bundle, cv = train("phantoms", load_recipe("clerigues-ct-2d-fast"), "model")  # doctest: +SKIP
    """
    from strokeseg.training.cv import cross_validate, train_folds_distributed
    from strokeseg.training.device import select_device
    from strokeseg.training.distributed import DistContext
    from strokeseg.training.run import prepare_dataset

    dist = DistContext.from_env()
    device = dist.device(select_device(options.device))
    if dist.active and options.jobs > 1:
        from strokeseg.errors import ConfigError, Message, Param

        raise ConfigError(
            Message("under torchrun each fold trains on every process: ", Param("jobs", verb=""), " (folds at once) must be 1")
        )
    if device.type == "cpu" and options.jobs <= 1:  # parallel folds set their own share in each worker
        from strokeseg.util.threads import configure_torch, thread_count

        configure_torch(max(1, thread_count() // dist.world) if dist.active else None)  # torchrun: the ranks share the cores
    for n in train_notes(recipe):
        log(f"note: {n}")
    log(
        f"device {device}{f' ({options.jobs} folds at once)' if options.jobs > 1 else ''}; target {recipe.prepare.target}; "
        f"{recipe.folds} folds; up to {recipe.train.epochs} epochs (patience {recipe.train.patience})"
    )
    cases = prepare_dataset(Path(data), recipe, options.layout, options.label_map, options.nonfinite, options.use_cache)
    log(f"{len(cases)} labelled cases of {len({c.patient_id for c in cases})} patients; channels: {', '.join(cases[0].channels)}")
    folder = out.out if isinstance(out, RunFolder) else Path(out)
    if isinstance(out, RunFolder):
        out.begin_writing()
    resume = options.resume
    if dist.active:  # torchrun: every fold data-parallel; then rank 0 alone predicts, searches T/S_min, writes the bundle
        dist.start(device)
        try:
            train_folds_distributed(cases, recipe, folder, device, dist, resume, log)
        except RuntimeError as exc:
            raise dist.lost(exc) from exc
        finally:
            dist.stop()
        if not dist.is_main:
            return None
        resume = True
    return cross_validate(cases, recipe, folder, device, resume=resume, jobs=options.jobs, log=log)


def sweep(
    data: str | Path,
    run: RunFolder,
    points: Sequence[tuple[str, Recipe]],
    options: TrainOptions = TrainOptions(),
    log: Callable[[str], None] = _log.info,
) -> list[dict[str, Any]]:
    """One cross-validation per ``(name, recipe)`` point into ``run/<name>/``; writes ``sweep.csv`` and
    ``sweep.md`` (mean Dice, HD and |ΔV| per region) and returns their rows."""
    from strokeseg.training.cv import cross_validate
    from strokeseg.training.device import select_device
    from strokeseg.training.run import prepare_dataset

    folders = [run.path(name) for name, _ in points]  # every point's folder checked to lie inside --out before any work
    device = select_device(options.device)
    cases = prepare_dataset(Path(data), points[0][1], options.layout, options.label_map, options.nonfinite, options.use_cache)
    run.begin_writing()
    rows = []
    for i, ((name, recipe), folder) in enumerate(zip(points, folders)):
        log(f"sweep point {i + 1}/{len(points)}: {name}")
        _, res = cross_validate(cases, recipe, folder, device, jobs=options.jobs, log=log)
        row: dict[str, Any] = {"point": name}
        for s in res.summaries:
            if s.group == "all":
                row.update(
                    {
                        f"{s.region}_dice": round(s.metrics["dice"].mean, 4),
                        f"{s.region}_hd": round(s.metrics["hd"].mean, 2),
                        f"{s.region}_absdv_ml": round(s.metrics["abs_vol_diff_ml"].mean, 2),
                    }
                )
        rows.append(row)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    run.write_text("sweep.csv", csv_text(rows, cols))
    run.write_text("sweep.md", "\n".join(markdown_table(cols, ([r.get(c, "") for c in cols] for r in rows))) + "\n")
    return rows


def sweep_points(recipe: str, overrides: list[str], grid: list[str], ftl_grid: bool) -> list[tuple[str, Recipe]]:
    """The named recipes of a sweep: ``recipe`` with ``overrides``, at every point of the Cartesian product of
    ``grid`` (``KEY=V1,V2,...`` each) and, with ``ftl_grid``, the slow-fusion paper's focal Tversky grid."""
    from strokeseg.recipes.recipe import load_recipe, parse_override
    from strokeseg.training.sweep import ftl_grid as ftl_points
    from strokeseg.training.sweep import parse_grid, point_name

    points = (ftl_points() if ftl_grid else []) + (parse_grid(grid) if grid else [])
    base = dict(parse_override(o) for o in overrides)
    return [(point_name(pt), load_recipe(recipe, {**base, **pt})) for pt in points]


def check_pretrained(path: str | Path) -> Path:
    """A pretrained weight file, read now (``weights_only``) so that a bad one is refused before any data are prepared."""
    from strokeseg.errors import ConfigError
    from strokeseg.models.backbones import read_state_dict

    if not Path(path).is_file():
        raise ConfigError(f"{path}: pretrained weight file not found")
    read_state_dict(path)
    return Path(path).resolve()
