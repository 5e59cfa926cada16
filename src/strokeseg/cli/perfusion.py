"""``strokeseg perfusion``: CBF, CBV, MTT, Tmax and TTP maps from a raw 4D series."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import (
    add_executor_options,
    add_input,
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    add_perfusion_options,
)
from strokeseg.cli.options.report import add_report_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "perfusion",
        help="compute perfusion maps (CBF, CBV, MTT, Tmax, TTP) from a raw 4D CT/MR series",
        description=(
            "Compute CBF (ml/100 g/min), CBV (ml/100 g), MTT (s), Tmax (s) and TTP (s) from a raw 4D perfusion "
            "series: brain mask, bolus-arrival detection, signal → concentration (CT: HU above baseline; MR: ΔR2*), "
            "automatic AIF (Mouridsen-style; --aif-mask overrides), optional VOF partial-volume scaling, and "
            "deconvolution vectorised over all voxels. INPUT is a 4D NIfTI/MHA file, a DICOM series folder, or a "
            "dataset/case folder in any supported layout (every case with a 4D series is processed). Writes NIfTI maps "
            "with the series' geometry, brain_mask, aif_mask and perfusion.json (settings, AIF and VOF curves and voxels, "
            "and the QC checks: truncated bolus, low enhancement, too few valid voxels, head motion), one folder per "
            "case for a dataset, plus summary.json listing the cases."
        ),
    )
    add_input(p, "4D series file, DICOM folder, or dataset/case folder", "SERIES_OR_CASE")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (one sub-folder per case for datasets)")
    p.add_argument("--aif-mask", metavar="FILE", help="NIfTI mask of the AIF voxels (overrides automatic selection)")
    p.add_argument("--brain-mask", metavar="FILE", help="NIfTI brain mask (overrides the automatic one)")
    add_perfusion_options(p)
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside the input folder")
    add_output_options(p)
    add_executor_options(p)
    add_report_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import input_path, perfusion_config
    from strokeseg.cli.options.run import read_options, run_options
    from strokeseg.run import perfusion

    options = run_options(args)  # options are checked before anything is read or written
    perfusion(input_path(args), args.out, perfusion_config(args), (args.brain_mask, args.aif_mask), read_options(args), options)
    return 0
