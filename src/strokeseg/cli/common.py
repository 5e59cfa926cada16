"""Argument helpers shared by several commands."""

from __future__ import annotations

import argparse

from strokeseg.errors import ConfigError


def label_map_arg(text: str) -> dict[int, int]:
    from strokeseg.io.labels import parse_label_map

    try:
        out = parse_label_map(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    assert out is not None
    return out


def add_layout_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--layout",
        metavar="NAME",
        help="dataset layout (default: detected): isles2015-siss, isles2015-spes, isles2018, isles2022, "
        "isles2024, isles2022-grand-challenge, manifest, dicom, strokeseg-maps (the output of 'strokeseg perfusion'), "
        "series-file (one 4D series)",
    )
    p.add_argument(
        "--label-map",
        type=label_map_arg,
        metavar="MAP",
        help="map the dataset's label values to canonical ones (0 background, 1 penumbra, 2 core), "
        "e.g. '1:2' for a core-only mask; default: the layout's own map",
    )


def add_nonfinite_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--nonfinite",
        choices=("error", "zero"),
        default="error",
        help="what to do with NaN/Inf voxels in an input image: stop with an error (default) or set them to 0",
    )


def _whole(text: str, minimum: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if v < minimum:
        raise argparse.ArgumentTypeError(f"must be ≥ {minimum}, got {v}")
    return v


def positive_int(text: str) -> int:
    return _whole(text, 1)


def nonnegative_int(text: str) -> int:
    return _whole(text, 0)


def nonnegative_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, got {text}")
    return v


def positive_float(text: str) -> float:
    v = nonnegative_float(text)
    if v == 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def fraction(text: str) -> float:
    v = nonnegative_float(text)
    if v > 1:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1], got {text}")
    return v


def fold_list(text: str) -> tuple[int, ...]:
    """``--folds 1,3``: fold numbers from 1, as the training log and the CV report number them."""
    try:
        folds = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated fold numbers such as 1,3; got {text!r}") from None
    if not folds or min(folds) < 1:
        raise argparse.ArgumentTypeError(
            f"fold numbers are whole numbers from 1 (as in the training log); got {text!r}"
        )
    return folds


def add_input(
    p: argparse.ArgumentParser, help_text: str, metavar: str = "INPUT", aliases: tuple[str, ...] = ("--input", "--data")
) -> None:
    """The one input convention: a positional INPUT (``aliases`` are accepted as the same)."""
    p.add_argument("input", nargs="?", metavar=metavar, help=help_text)
    p.add_argument(*aliases, dest="input_flag", metavar=metavar, help=f"the same as {metavar}")


def input_path(args: argparse.Namespace) -> str:
    """The INPUT of :func:`add_input`, given either way (not both)."""
    pos, flag = getattr(args, "input", None), getattr(args, "input_flag", None)
    if pos and flag and pos != flag:
        raise ConfigError(f"two inputs given ({pos} and {flag}); give INPUT once")
    if not (pos or flag):
        raise ConfigError("INPUT is required (a dataset folder, a case folder or a file)")
    return str(pos or flag)


def add_output_options(p: argparse.ArgumentParser, resume: bool = True) -> None:
    """``--overwrite`` (and ``--resume``): what to do with an --out that already holds results.

    Without either, a non-empty --out is refused, and a second run on the same --out is refused by a lock.
    """
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the contents of a non-empty --out written by an earlier strokeseg run",
    )
    if resume:
        g.add_argument(
            "--resume",
            action="store_true",
            help="continue an interrupted run: keep the finished cases in --out and process the rest",
        )


def output_mode(args: argparse.Namespace) -> str:
    return "overwrite" if getattr(args, "overwrite", False) else "resume" if getattr(args, "resume", False) else "new"


def require(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


def add_perfusion_options(p: argparse.ArgumentParser) -> None:
    """Options of the perfusion analysis (shared by ``perfusion`` and ``threshold``, with one default)."""
    from strokeseg.perfusion.config import PerfusionConfig

    default_method = PerfusionConfig().method.value
    why = "; measured best over the grid phantom, the OSIPI DRO and the threshold cohort, docs/perfusion-default.md"
    g = p.add_argument_group("perfusion analysis")
    g.add_argument(
        "--method",
        default=default_method,
        choices=("osvd", "csvd", "ssvd", "tikhonov-gcv", "tikhonov-lcurve", "parametric"),
        help=f"deconvolution (default {default_method}{why}): oSVD (delay-insensitive, per-voxel oscillation "
        "index), cSVD (block-circulant, 10 %% threshold), sSVD (20 %%, delay-sensitive), block-circulant "
        "Tikhonov with λ per voxel by GCV or L-curve, or a parametric least-squares fit of an exponential "
        "residue with delay (unbiased onset/Tmax and the flow of data that follow that model)",
    )
    g.add_argument(
        "--parametric-convolution",
        choices=("continuous", "discrete"),
        default="continuous",
        help="forward model of --method parametric: continuous (scanners, the phantom; default) or the "
        "discrete sum of simulation reference objects such as OSIPI's DSC DRO",
    )
    g.add_argument(
        "--modality", choices=("ct", "mr"), help="ct (HU) or mr (DSC signal); default: from the layout or the values"
    )
    g.add_argument(
        "--frame-interval", type=positive_float, metavar="S", help="seconds between frames (overrides the file)"
    )
    g.add_argument(
        "--smoothing-fwhm",
        type=nonnegative_float,
        metavar="MM",
        help="in-plane Gaussian smoothing inside the brain before deconvolution, FWHM in mm (default 3; 0 = off)",
    )
    g.add_argument(
        "--cbv",
        choices=("auc", "residue"),
        default="auc",
        help="CBV from the area ratio (default; exact for sampled continuous curves) or from the deconvolved "
        "residue's trapezoid area (exact for discrete-sum simulated data such as OSIPI's DRO)",
    )
    g.add_argument(
        "--tmax",
        dest="tmax_estimator",
        choices=("peak", "edge"),
        default="peak",
        help="Tmax at the residue's sub-sample peak (default) or where its leading edge reaches 90 %% of the peak",
    )
    g.add_argument(
        "--vof",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="scale the AIF to the area of the venous output function (partial-volume correction of a "
        "too-low AIF from small arteries; default: on for CT, off for MR)",
    )
    g.add_argument(
        "--echo-time", type=positive_float, default=0.03, metavar="S", help="DSC-MRI echo time in s (default 0.03)"
    )
    g.add_argument(
        "--hematocrit-factor", type=positive_float, default=0.73, help="kH = (1−Hct_large)/(1−Hct_small) (default 0.73)"
    )
    g.add_argument("--density", type=positive_float, default=1.04, help="brain tissue density in g/ml (default 1.04)")


def perfusion_config(args: argparse.Namespace):
    from strokeseg.perfusion.config import PerfusionConfig

    kw = {
        "method": args.method,
        "cbv_estimator": args.cbv,
        "tmax_estimator": args.tmax_estimator,
        "vof_correction": args.vof,
        "echo_time": args.echo_time,
        "hematocrit_factor": args.hematocrit_factor,
        "density": args.density,
        "parametric_convolution": args.parametric_convolution,
    }
    if args.smoothing_fwhm is not None:
        kw["spatial_fwhm_mm"] = args.smoothing_fwhm
    return PerfusionConfig.for_modality(args.modality or "ct", **kw)


def add_training_options(p: argparse.ArgumentParser, out_help: str) -> None:
    """The options every command that trains a recipe takes (``train``, ``sweep``)."""
    from strokeseg.recipes.recipe import shipped_recipes

    p.add_argument(
        "--recipe",
        required=True,
        metavar="NAME|FILE",
        help=f"shipped recipe ({', '.join(shipped_recipes())}) or a recipe YAML file",
    )
    add_input(p, "training dataset (any layout, e.g. the output folder of 'strokeseg perfusion')", "DATASET")
    p.add_argument("--out", required=True, metavar="DIR", help=out_help)
    p.add_argument("--folds", type=positive_int, help="number of folds (default: the recipe's)")
    p.add_argument("--epochs", type=positive_int, help="maximum epochs (default: the recipe's)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe field, e.g. --set sampling.patches_per_case=1000 (repeatable)",
    )
    p.add_argument(
        "--pretrained",
        metavar="PATH",
        help="torchvision ImageNet weight file (state dict) for the network's backbone, e.g. vgg16 / vgg11_bn / "
        "resnet50 weights saved with torch.save(model.state_dict()); without it backbones start random",
    )
    p.add_argument("--device", default="auto", help="auto (CUDA if present, else CPU), cpu or cuda")
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        help="train this many folds at once in worker processes sharing the device (default 1: one after "
        "another); on CPU the cores are split between the jobs. The bundle equals a sequential run's",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="recompute the symmetric modalities instead of using the cache"
    )
    add_layout_options(p)
    add_nonfinite_option(p)
    p.add_argument("--allow-output-in-input", action="store_true", help="allow --out inside DATASET")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the contents of a non-empty --out written by an earlier strokeseg run",
    )


def training_overrides(args: argparse.Namespace) -> list[str]:
    """Recipe overrides from ``add_training_options`` (and ``--seed`` where a command has it)."""
    from pathlib import Path

    overrides = list(args.set)
    for key in ("folds", "epochs", "seed"):
        val = getattr(args, key, None)
        if val is not None:
            overrides.append(f"{key}={val}")
    if args.pretrained:
        if not Path(args.pretrained).is_file():
            raise ConfigError(f"{args.pretrained}: pretrained weight file not found")
        from strokeseg.models.backbones import read_state_dict

        read_state_dict(args.pretrained)  # refused now (weights_only, one line), not after the data are prepared
        overrides.append(f"pretrained={Path(args.pretrained).resolve()}")
    return overrides


def print_notes(notes: list[str]) -> None:
    """The run folder's notes (leftovers removed, old contents set aside), one ``note:`` line each."""
    for n in notes:
        say(f"note: {n}")


def say(text: str) -> None:
    """Print library text to stdout with parameter names shown as the flags that set them."""
    from strokeseg.cli.flags import to_flags

    print(to_flags(text))
