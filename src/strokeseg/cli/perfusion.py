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
    series_choice,
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
    from pathlib import Path

    from strokeseg.cli.options import executor_config, input_path, output_mode, perfusion_config, print_notes, say
    from strokeseg.cli.options.provenance import run_settings
    from strokeseg.cli.options.report import finish_report
    from strokeseg.io.outputs import RunFolder
    from strokeseg.workflows.perfusion import SeriesOptions, maps_summary_lines, perfusion_dataset, perfusion_jobs

    inp = Path(input_path(args))
    executor = executor_config(args)  # options are checked before anything is read or written
    opts = SeriesOptions(args.modality, args.frame_interval, args.nonfinite, args.brain_mask, args.aif_mask)
    with RunFolder(
        args.out,
        output_mode(args),
        inputs=[inp, args.aif_mask, args.brain_mask],
        allow_in_input=args.allow_output_in_input,
        command="perfusion",
        settings=run_settings(args),
    ) as run:
        jobs = perfusion_jobs(inp, args.layout, args.label_map, series_choice(args))
        run.protect(f for _, r in jobs if not isinstance(r, Path) for f in r.files())
        done = perfusion_dataset(run, jobs, perfusion_config(args), opts, executor)
        print_notes(run.notes)
        say("\n".join(maps_summary_lines(done)))
        if done.results:
            print(f"wrote maps to {args.out}")
        finish_report(run, args)
        done.raise_failures(Path(args.out))
    return 0
