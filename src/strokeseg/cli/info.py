"""``strokeseg info PATH``: what a dataset, case folder or image file holds, and what is wrong with it."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import add_layout_options, say


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="describe a dataset, case or image: layout, cases, patients, modalities, labels, problems",
        description=(
            "Describe PATH: the detected layout, the number of cases and patients, every modality with its "
            "shape, spacing and value range, the label counts and lesion volumes in ml, and every problem found "
            "(unreadable files, NaN/Inf, grids that do not match, missing modalities, unknown label values). "
            "PATH may be a dataset folder, one case folder, a manifest, or a single image/4D series. "
            "Exits with status 1 when problems are found."
        ),
    )
    p.add_argument("path", help="dataset folder, case folder, manifest file, or image file")
    add_layout_options(p)
    p.add_argument("--json", metavar="FILE", help="also write the description as JSON to FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options.run import read_options
    from strokeseg.run import RunOptions
    from strokeseg.run.tools import info

    desc = info(args.path, read_options(args), json_out=args.json, options=RunOptions(echo=say))
    return 1 if desc.get("problems") else 0
