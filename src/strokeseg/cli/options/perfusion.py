"""The perfusion-analysis options (``perfusion`` and ``threshold``, with one default)."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options.types import nonnegative_float, positive_float
from strokeseg.perfusion.config import CbvEstimator, Convolution, Method, Modality, TmaxEstimator

METHODS = tuple(m.value for m in Method)  # the choices come from the enums: a new method is offered at once
MODALITIES = tuple(m.value for m in Modality)
HELP = {
    "method": "deconvolution (default {default}; measured best over the grid phantom, the OSIPI DRO and the threshold "
    "cohort, docs/explanation/perfusion-default.md): oSVD (delay-insensitive, per-voxel oscillation index), cSVD "
    "(block-circulant, 10 %% threshold), sSVD (20 %%, delay-sensitive), block-circulant Tikhonov with λ per voxel by GCV "
    "or L-curve, or a parametric least-squares fit of an exponential residue with delay",
    "parametric": "forward model of --method parametric: continuous (scanners, the phantom; default) or the discrete sum "
    "of simulation reference objects such as OSIPI's DSC DRO",
    "modality": "ct (HU) or mr (DSC signal); default: from the layout or the values",
    "smoothing": "in-plane Gaussian smoothing inside the brain before deconvolution, FWHM in mm (default 3; 0 = off)",
    "cbv": "CBV from the area ratio (default; exact for sampled continuous curves) or from the deconvolved residue's "
    "trapezoid area (exact for discrete-sum simulated data such as OSIPI's DRO)",
    "tmax": "Tmax at the residue's sub-sample peak (default), its leading edge at 90 %% of it, or the peak less its filter's delay (onset)",
    "peak_correction": "undo the regularised deconvolution's loss of residue peak (absolute CBF; strokeseg.perfusion.bias; default: on)",
    "motion_correction": "register every frame rigidly to the first used frame before the analysis (default: on)",
    "vof": "scale the AIF to the area of the venous output function (partial-volume correction of a too-low AIF from "
    "small arteries; default: on for CT, off for MR)",
}


def add_perfusion_options(p: argparse.ArgumentParser) -> None:
    """Options of the perfusion analysis (shared by ``perfusion`` and ``threshold``, with one default)."""
    from strokeseg.perfusion.config import PerfusionConfig

    defaults = PerfusionConfig()
    default = defaults.method.value
    g = p.add_argument_group("perfusion analysis")
    g.add_argument("--method", default=default, choices=METHODS, help=HELP["method"].format(default=default))
    conv = [c.value for c in Convolution]
    g.add_argument("--parametric-convolution", choices=conv, default=defaults.parametric_convolution.value, help=HELP["parametric"])
    g.add_argument("--modality", choices=MODALITIES, help=HELP["modality"])
    g.add_argument("--frame-interval", type=positive_float, metavar="S", help="seconds between frames (overrides the file)")
    g.add_argument("--smoothing-fwhm", type=nonnegative_float, metavar="MM", help=HELP["smoothing"])
    g.add_argument("--cbv", choices=[e.value for e in CbvEstimator], default=defaults.cbv_estimator.value, help=HELP["cbv"])
    tmax = [e.value for e in TmaxEstimator]
    g.add_argument("--tmax", dest="tmax_estimator", choices=tmax, default=defaults.tmax_estimator.value, help=HELP["tmax"])
    g.add_argument("--vof", action=argparse.BooleanOptionalAction, default=None, help=HELP["vof"])
    for flag, attr, metavar, text in (
        ("--echo-time", "echo_time", "S", "DSC-MRI echo time in s"),
        ("--hematocrit-factor", "hematocrit_factor", None, "kH = (1−Hct_large)/(1−Hct_small)"),
        ("--density", "density", None, "brain tissue density in g/ml"),
        ("--max-motion", "max_motion_mm", "MM", "a series whose head moved more than this (mm) is not assessable"),
    ):
        value = getattr(defaults, attr)
        g.add_argument(flag, type=positive_float, default=value, metavar=metavar, help=f"{text} (default {value:g})")
    for flag, attr in (("--peak-correction", "peak_correction"), ("--motion-correction", "motion_correction")):
        g.add_argument(flag, action=argparse.BooleanOptionalAction, default=getattr(defaults, attr), help=HELP[attr])


def perfusion_config(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.perfusion.config.PerfusionConfig` the options describe."""
    from strokeseg.perfusion.config import PerfusionConfig

    kw: dict[str, Any] = {
        "method": args.method,
        "cbv_estimator": args.cbv,
        "tmax_estimator": args.tmax_estimator,
        "vof_correction": args.vof,
        "echo_time": args.echo_time,
        "hematocrit_factor": args.hematocrit_factor,
        "density": args.density,
        "parametric_convolution": args.parametric_convolution,
        "motion_correction": args.motion_correction,
        "peak_correction": args.peak_correction,
        "max_motion_mm": args.max_motion,
    }
    if args.smoothing_fwhm is not None:
        kw["spatial_fwhm_mm"] = args.smoothing_fwhm
    return PerfusionConfig.for_modality(args.modality or "ct", **kw)
