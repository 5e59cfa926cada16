"""The ``phantom`` command's options: cohort size, acquisition and physiology of the synthetic cases."""

from __future__ import annotations

import argparse

from strokeseg.cli.options.types import fraction, positive_float, positive_int
from strokeseg.perfusion.config import Modality
from strokeseg.phantom.modes import MIXED, QUIRK_DESCRIPTIONS, QUIRKS, RESIDUE_CHOICES, PhantomLayout

DESCRIPTION = (
    "Generate synthetic acute-stroke cases: a head (skull, CSF, grey/white matter, arteries, sinus), an MCA-territory, "
    "branch or small infarct (some cases without stroke), per-voxel physiology, the raw 4D series from the "
    "indicator-dilution model with clinical noise (CT: grey-matter peak 15–25 HU, σ 3–5 HU; MR: SNR 20–50, Rician), the "
    "true maps, vendor-style maps computed by strokeseg, structural images (non-contrast CT; DWI/ADC/T1c/T2) and the "
    "label map (0 background, 1 penumbra, 2 core). Written in the ISLES'18 or ISLES'15-SPES layout or as a manifest; "
    "each case also has strokeseg_truth/ with the true maps. With --grid: the Kudo-style validation grid (CBF × MTT × "
    "delay × residue tiles). Deterministic for a seed."
)
QUIRK_HELP = "reproduce a quirk of real files (repeatable): " + ", ".join(
    f"{name} ({what})" for name, what in QUIRK_DESCRIPTIONS.items()
).replace("%", "%%")


def add_phantom_options(p: argparse.ArgumentParser) -> None:
    """Cohort size, acquisition, physiology and quirk options of ``strokeseg phantom``."""
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--modality", choices=[m.value for m in Modality], default=Modality.CT.value, help="CT perfusion (default) or DSC-MRI")
    p.add_argument("--cases", type=positive_int, default=10, help="number of cases (default 10)")
    p.add_argument(
        "--layout",
        choices=[layout.value for layout in PhantomLayout],
        help="output layout (default: isles2018 for CT, isles2015-spes for MR)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--slices", type=positive_int, help="slices per case (default: CT 2–22 at random, MR 72)")
    p.add_argument("--frames", type=positive_int, help="time frames (default 40–63 at random)")
    p.add_argument("--frame-interval", type=positive_float, metavar="S", help="seconds between frames (default: CT 1–2 s, MR 1.5 s)")
    p.add_argument("--noise-hu", type=positive_float, metavar="SIGMA", help="CT noise σ in HU per voxel and frame (default 3–5)")
    p.add_argument("--snr", type=positive_float, help="MR signal-to-noise ratio (default 20–50)")
    p.add_argument(
        "--residue", choices=RESIDUE_CHOICES, default=MIXED, help="tissue residue function (default: exponential or gamma per case)"
    )
    p.add_argument("--no-stroke-fraction", type=fraction, default=0.15, help="fraction of cases without stroke (default 0.15)")
    p.add_argument(
        "--second-slab-fraction",
        type=fraction,
        default=0.3,
        help="CT: fraction of patients scanned with a second slab (ISLES'18-like, default 0.3)",
    )
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        help="cases generated at once in worker processes (default 1); the cohort is the same for any value",
    )
    p.add_argument("--grid", action="store_true", help="write the Kudo-style validation grid phantom instead of a cohort")
    p.add_argument("--quirk", action="append", default=[], choices=QUIRKS, help=QUIRK_HELP)
