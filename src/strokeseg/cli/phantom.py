"""``strokeseg phantom``: synthetic acute-stroke cases with exact ground truth."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import add_output_options
from strokeseg.cli.options.phantom import DESCRIPTION, add_phantom_options


def register(sub: argparse._SubParsersAction) -> None:
    help_ = "generate a digital stroke phantom cohort (CT perfusion or DSC-MRI) with exact ground truth"
    p = sub.add_parser("phantom", help=help_, description=DESCRIPTION)
    add_phantom_options(p)
    add_output_options(p, resume=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import output_mode, say
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.phantom.grid import GridConfig
    from strokeseg.run import RunOptions
    from strokeseg.run.tools import grid_phantom, phantom
    from strokeseg.workflows.phantom import CohortSpec

    options = RunOptions(mode=output_mode(args), echo=say)
    if args.grid:
        noise = args.noise_hu if args.noise_hu is not None else 3.0
        grid_phantom(args.out, GridConfig(noise_hu=noise, frame_interval=args.frame_interval or 1.0, seed=args.seed), options)
        return 0
    layout = args.layout or ("isles2018" if args.modality == "ct" else "isles2015-spes")
    cfg = PhantomConfig(
        modality=args.modality,
        slices=args.slices,
        frames=args.frames,
        frame_interval=args.frame_interval,
        noise_hu=args.noise_hu,
        snr=args.snr,
        residue=args.residue,
        p_no_stroke=args.no_stroke_fraction,
    )
    spec = CohortSpec(args.cases, cfg, layout, seed=args.seed, second_slab_fraction=args.second_slab_fraction, quirks=tuple(args.quirk))
    phantom(args.out, spec, jobs=args.jobs, options=options)
    return 0
