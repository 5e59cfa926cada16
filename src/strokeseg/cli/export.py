"""``strokeseg export nnunet``: a dataset in any layout as an nnU-Net v2 raw dataset."""

from __future__ import annotations

import argparse

from strokeseg.cli.options import add_input, add_layout_options, add_output_options, positive_int
from strokeseg.io.modes import ExportTarget


def _names(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a dataset (any layout) as an nnU-Net v2 raw dataset with strokeseg's patient-grouped folds",
        description=(
            "Write DATASET as <out>/Dataset<ID>_<NAME>/: dataset.json, imagesTr/<case>_<XXXX>.nii.gz (the modalities on "
            "one grid), labelsTr/<case>.nii.gz, imagesTs/ for unlabelled cases, splits_final.json (strokeseg's "
            "patient-grouped folds, from 0; copy it into nnUNet_preprocessed/Dataset<ID>_<NAME>/ before training) and "
            "strokeseg_provenance.json (nnU-Net case → strokeseg case, patient, fold, source files)."
        ),
    )
    p.add_argument("format", choices=("nnunet",), help="the export format")
    add_input(p, "the dataset to export (any layout strokeseg reads)", "DATASET")
    p.add_argument("--out", required=True, metavar="DIR", help="folder that receives Dataset<ID>_<NAME>/")
    p.add_argument("--id", required=True, type=positive_int, help="nnU-Net dataset number (1–999)")
    p.add_argument("--name", required=True, help="dataset name (letters, digits, _ and -)")
    p.add_argument(
        "--target",
        choices=[t.value for t in ExportTarget],
        default=ExportTarget.CORE.value,
        help="labels: core (1), lesion = core ∪ penumbra (1), or regions (hypoperfused = {1, 2}, core = {2})",
    )
    p.add_argument("--modalities", type=_names, metavar="LIST", help="channels in order (default: those every labelled case has)")
    p.add_argument(
        "--ct-channels",
        type=_names,
        metavar="LIST",
        help="channels nnU-Net normalises as CT (default: CT, CTA, MIP); the others are z-scored",
    )
    p.add_argument("--folds", type=positive_int, default=5, help="patient-grouped folds for splits_final.json (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds' patient shuffle (default 0)")
    add_layout_options(p)
    add_output_options(p, resume=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from strokeseg.cli.options import input_path, output_mode
    from strokeseg.cli.options.run import read_options
    from strokeseg.run import RunOptions, export
    from strokeseg.workflows.export import ExportOptions

    opts = ExportOptions(args.id, args.name, args.target, args.modalities, args.ct_channels, args.folds, args.seed)
    export(input_path(args), args.out, opts, read_options(args), RunOptions(output_mode(args), echo=print))
    return 0
