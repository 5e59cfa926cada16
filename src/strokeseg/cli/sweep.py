"""``strokeseg sweep``: cross-validate a recipe over a grid of hyper-parameters."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import add_training_options, training_overrides


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="cross-validate a recipe over a grid of settings (e.g. the focal Tversky grid) and tabulate the results",
        description=(
            "Run 'strokeseg train' once per point of a grid of recipe overrides, on cases prepared once, and write "
            "OUT/<point>/ (a model bundle per point) plus OUT/sweep.csv and OUT/sweep.md: mean Dice, HD and |ΔV| per "
            "region for every point. --ftl-grid is the slow-fusion paper's focal Tversky search: gamma in "
            "{1, 4/3, 1.5, 2, 3} x alpha in {0.3, 0.5, 0.7}, beta = 1 - alpha."
        ),
    )
    add_training_options(p, "sweep folder (one model bundle per grid point)")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a recipe field and its values; repeat for a Cartesian product (e.g. --grid loss.kwargs.gamma=1,2)",
    )
    p.add_argument("--ftl-grid", action="store_true", help="the slow-fusion paper's focal Tversky grid (16 points, its Table 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import input_path, output_mode, say
    from strokeseg.errors import ConfigError
    from strokeseg.run import RunOptions, sweep
    from strokeseg.workflows.train import TrainOptions, sweep_points

    if not (args.ftl_grid or args.grid):
        raise ConfigError("sweep: give --grid KEY=V1,V2,... or --ftl-grid")
    recipes = sweep_points(args.recipe, training_overrides(args), args.grid, args.ftl_grid)  # all checked before training
    opts = TrainOptions(args.layout, args.label_map, args.nonfinite, not args.no_cache, args.device, args.jobs)
    rows = sweep(input_path(args), args.out, recipes, opts, RunOptions(output_mode(args), args.allow_output_in_input, echo=say))
    return 0 if rows else 1
