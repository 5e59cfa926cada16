"""``strokeseg info PATH``: what a dataset, case folder or image file holds, and what is wrong with it."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import add_layout_options, say, series_choice


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
    import json
    from pathlib import Path

    from strokeseg.io.atomic import write_text
    from strokeseg.io.inspect import describe_path, format_description

    if args.json:  # never written into (or over) the data it describes
        from strokeseg.errors import InputError

        src, dst = Path(args.path).resolve(), Path(args.json).resolve()
        if dst == src or src in dst.parents:
            raise InputError("--json would write into the input it describes; choose a file outside it", args.json)
    desc = describe_path(Path(args.path), layout=args.layout, label_map=args.label_map, series=series_choice(args))
    say(format_description(desc))
    if args.json:
        write_text(args.json, json.dumps(desc, indent=2, default=str))
    return 1 if desc.get("problems") else 0
