"""``strokeseg sweep``: cross-validate a recipe over a grid of hyper-parameters."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.common import add_training_options, training_overrides


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
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="a recipe field and its values; repeat for a Cartesian product (e.g. --grid loss.kwargs.gamma=1,2)")
    p.add_argument("--ftl-grid", action="store_true", help="the slow-fusion paper's focal Tversky grid (15 points)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.common import output_mode
    from strokeseg.errors import ConfigError
    from strokeseg.io.outputs import RunFolder
    from strokeseg.recipes.recipe import load_recipe, parse_override
    from strokeseg.training.sweep import ftl_grid, parse_grid

    points = (ftl_grid() if args.ftl_grid else []) + (parse_grid(args.grid) if args.grid else [])
    if not points:
        raise ConfigError("sweep: give --grid KEY=V1,V2,... or --ftl-grid")
    base = dict(parse_override(o) for o in training_overrides(args))
    recipes = [load_recipe(args.recipe, {**base, **pt}) for pt in points]  # every point checked before training starts
    run = RunFolder(args.out, output_mode(args), inputs=[args.data], allow_in_input=args.allow_output_in_input,
                    command="sweep")
    with run:
        return _sweep(args, points, recipes, run)


def _sweep(args: argparse.Namespace, points: list, recipes: list, run) -> int:
    import csv
    import io
    from pathlib import Path

    from strokeseg.io.atomic import write_text
    from strokeseg.training.cv import cross_validate
    from strokeseg.training.device import select_device
    from strokeseg.training.run import prepare_dataset
    from strokeseg.training.sweep import point_name

    names = [point_name(pt) for pt in points]
    folders = [run.path(name) for name in names]  # every point's folder checked to lie inside --out before any work
    device = select_device(args.device)
    cases = prepare_dataset(Path(args.data), recipes[0], args.layout, args.label_map, args.nonfinite, not args.no_cache)
    run.begin_writing()
    rows = []
    for i, (name, folder, recipe) in enumerate(zip(names, folders, recipes)):
        print(f"sweep point {i + 1}/{len(points)}: {name}")
        _, res = cross_validate(cases, recipe, folder, device, jobs=args.jobs)
        row: dict[str, Any] = {"point": name}
        for s in res.summaries:
            if s.group == "all":
                row.update({f"{s.region}_dice": round(s.metrics["dice"].mean, 4), f"{s.region}_hd": round(s.metrics["hd"].mean, 2),
                            f"{s.region}_absdv_ml": round(s.metrics["abs_vol_diff_ml"].mean, 2)})
        rows.append(row)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols)
    w.writeheader()
    w.writerows(rows)
    write_text(Path(args.out) / "sweep.csv", buf.getvalue())
    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)] + ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    write_text(Path(args.out) / "sweep.md", "\n".join(md) + "\n")
    print("\n".join(md))
    return 0
