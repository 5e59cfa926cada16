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
        "isles2024, manifest, dicom",
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


def positive_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {v}")
    return v


def require(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


def add_perfusion_options(p: argparse.ArgumentParser, default_method: str = "osvd", why: str = "") -> None:
    """Options of the perfusion analysis (shared by ``perfusion`` and ``threshold``)."""
    g = p.add_argument_group("perfusion analysis")
    g.add_argument("--method", default=default_method, choices=("osvd", "csvd", "ssvd", "tikhonov-gcv", "tikhonov-lcurve"),
                   help=f"deconvolution (default {default_method}{why}): oSVD (delay-insensitive, per-voxel oscillation "
                   "index), cSVD (block-circulant, 10 %% threshold), sSVD (20 %%, delay-sensitive), block-circulant "
                   "Tikhonov with λ per voxel by GCV or L-curve")
    g.add_argument("--modality", choices=("ct", "mr"), help="ct (HU) or mr (DSC signal); default: from the layout or the values")
    g.add_argument("--frame-interval", type=float, metavar="S", help="seconds between frames (overrides the file)")
    g.add_argument("--smoothing-fwhm", type=float, metavar="MM", help="in-plane Gaussian smoothing inside the brain "
                   "before deconvolution, FWHM in mm (default 3; 0 = off)")
    g.add_argument("--cbv", choices=("auc", "residue"), default="auc",
                   help="CBV from the area ratio (default; exact for sampled continuous curves) or from the deconvolved "
                   "residue's trapezoid area (exact for discrete-sum simulated data such as OSIPI's DRO)")
    g.add_argument("--tmax", dest="tmax_estimator", choices=("peak", "edge"), default="peak",
                   help="Tmax at the residue's sub-sample peak (default) or where its leading edge reaches 90 %% of the peak")
    g.add_argument("--vof", action="store_true", help="scale the AIF by the venous output function (partial-volume correction)")
    g.add_argument("--echo-time", type=float, default=0.03, metavar="S", help="DSC-MRI echo time in s (default 0.03)")
    g.add_argument("--hematocrit-factor", type=float, default=0.73, help="kH = (1−Hct_large)/(1−Hct_small) (default 0.73)")
    g.add_argument("--density", type=float, default=1.04, help="brain tissue density in g/ml (default 1.04)")


def perfusion_config(args: argparse.Namespace):
    from strokeseg.perfusion.config import PerfusionConfig

    kw = {"method": args.method, "cbv_estimator": args.cbv, "tmax_estimator": args.tmax_estimator,
          "vof_correction": args.vof, "echo_time": args.echo_time, "hematocrit_factor": args.hematocrit_factor,
          "density": args.density}
    if args.smoothing_fwhm is not None:
        kw["spatial_fwhm_mm"] = args.smoothing_fwhm
    return PerfusionConfig.for_modality(args.modality or "ct", **kw)
