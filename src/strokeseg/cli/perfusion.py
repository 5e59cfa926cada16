"""``strokeseg perfusion``: CBF, CBV, MTT, Tmax and TTP maps from a raw 4D series."""

from __future__ import annotations

import argparse

from strokeseg.cli.common import (
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    add_perfusion_options,
)


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
            "with the series' geometry, brain_mask, aif_mask and perfusion.json (settings, AIF curve and voxels), one "
            "folder per case for a dataset, plus summary.json listing the cases."
        ),
    )
    p.add_argument("input", metavar="SERIES_OR_CASE", help="4D series file, DICOM folder, or dataset/case folder")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (one sub-folder per case for datasets)")
    p.add_argument("--aif-mask", metavar="FILE", help="NIfTI mask of the AIF voxels (overrides automatic selection)")
    p.add_argument("--brain-mask", metavar="FILE", help="NIfTI brain mask (overrides the automatic one)")
    add_perfusion_options(p)
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside the input folder")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    import numpy as np

    from strokeseg.cli.common import output_mode, perfusion_config
    from strokeseg.errors import InputError
    from strokeseg.io.layouts.base import is_image_file
    from strokeseg.io.outputs import RunFolder
    from strokeseg.io.read import read_image, read_series
    from strokeseg.perfusion.run import maps_for_series, write_perfusion
    from strokeseg.workflows.cases import run_cases

    inp = Path(args.input)
    cfg = perfusion_config(args)

    def mask(path: str | None, grid) -> np.ndarray | None:
        if not path:
            return None
        vol = read_image(path)
        if not vol.geometry.same_grid(grid, atol=1e-2):
            raise InputError(f"mask grid {vol.geometry.describe()} does not match the series grid {grid.describe()}", path)
        return vol.array > 0.5

    with RunFolder(args.out, output_mode(args), inputs=[inp, args.aif_mask, args.brain_mask],
                   allow_in_input=args.allow_output_in_input, command="perfusion") as run:
        single = inp.is_file() and is_image_file(inp)
        if single or (inp.is_dir() and _is_series_dicom(inp)):
            jobs: list[tuple[str, object]] = [("", inp)]
        else:
            from strokeseg.io.layouts import open_dataset

            ds = open_dataset(inp, args.layout, args.label_map)
            refs = [r for r in ds.cases if r.series]
            if not refs:
                raise InputError(f"no case of this {ds.layout.name} dataset has a 4D perfusion series", inp)
            run.protect(f for r in refs for f in r.files())
            jobs = [(r.case_id, r) for r in refs]

        def one(item, folder: Path):
            if isinstance(item, Path):
                series, sname, cid = read_series(item, args.frame_interval, args.nonfinite), None, item.name
            else:
                from strokeseg.io.case import load_case

                case = load_case(item, modalities=[], with_series=True, with_label=False, nonfinite=args.nonfinite,
                                 frame_interval=args.frame_interval)
                sname = next(iter(case.series))
                series, cid = case.series[sname], item.case_id
            res = maps_for_series(series, cfg, name=sname, modality=args.modality,
                                  brain_mask=mask(args.brain_mask, series.geometry), aif_mask=mask(args.aif_mask, series.geometry))
            write_perfusion(folder, res, str(series.path), extra={"notes": series.notes} if series.notes else None)
            return cid, res, series.notes

        done = run_cases(run, jobs, one, "cases")
        if jobs[0][0]:  # a dataset: the cohort summary lists exactly the case folders that are there
            rows = []
            for f in run.case_folders():
                if (f / "perfusion.json").exists():
                    info = json.loads((f / "perfusion.json").read_text(encoding="utf-8"))
                    rows.append({"case_id": f.name, "modality": info.get("modality"), "method": info.get("method"),
                                 "brain_voxels": info.get("brain_voxels"), "aif_voxels": info.get("aif", {}).get("voxels"),
                                 "warnings": info.get("warnings", [])})
            if rows:
                run.write_text("summary.json", json.dumps({"cases": rows}, indent=2, default=str))
        for n in run.notes:
            print(f"note: {n}")
        for cid, res, notes in done.results:
            t = res.info["timings_s"]["total"]
            print(f"{cid}: {res.info['modality'].upper()} {res.info['method']}, {res.info['brain_voxels']} brain voxels, "
                  f"AIF from {res.info['aif']['voxels']} voxels (peak {res.info['aif']['peak']:.3g} at "
                  f"{res.info['aif']['time_to_peak_s']:.1f} s), {t:.2f} s")
            for w in [*notes, *res.warnings]:
                print(f"  {w}")
        if done.skipped:
            print(f"kept {len(done.skipped)} finished case(s) from the earlier run: {', '.join(done.skipped)}")
        if done.results:
            print(f"wrote maps to {args.out}")
        done.raise_failures(Path(args.out))
    return 0


def _is_series_dicom(folder) -> bool:
    from strokeseg.io.layouts.dicom_folder import dicom_series_folders

    return dicom_series_folders(folder) == [folder]
