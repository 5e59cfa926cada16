"""The ``threshold`` command's options: the clinical thresholds."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options.types import nonnegative_float
from strokeseg.clinical.config import Reference

DESCRIPTION = (
    "Segment core and penumbra with the clinical thresholds: hypoperfused = Tmax > 6 s; core = rCBF < 30 %% inside it "
    "(relative to the median CBF of the healthy contralateral hemisphere, or of tissue with Tmax < 4 s); MRI core = "
    "ADC < 620×10⁻⁶ mm²/s (unit detected). CSF and large vessels are excluded, speckle is opened away and small "
    "components dropped. Maps come from the case (CBF, CBV, Tmax; e.g. the output folder of 'strokeseg perfusion') or "
    "are computed from its 4D series (INPUT may be a single 4D series file). Writes <case>/<case>_label.nii.gz (0/1/2, "
    "input geometry), <case>/<case>_readout.json (volumes, mismatch, HIR, the DEFUSE-3, EXTEND and DAWN verdicts with "
    "their rules, the clinical values, the input files and the settings), maps computed from a series with their QC to "
    "<case>/perfusion/, readout.csv for the cohort (failures.json when cases failed), and prints the read-out table with "
    "the thresholds used. With --truth, the labels are evaluated against ground truth (ISLES-exact metrics)."
)


def add_threshold_options(p: argparse.ArgumentParser) -> None:
    """The ``thresholds`` option group of ``strokeseg threshold``."""
    g = p.add_argument_group("thresholds")
    g.add_argument("--tmax-threshold", type=float, default=6.0, help="hypoperfusion: Tmax above this (s, default 6)")
    g.add_argument("--tmax-severe", type=float, default=10.0, help="severe hypoperfusion for the HIR (s, default 10)")
    g.add_argument("--rcbf", type=float, default=0.30, help="core: relative CBF below this (default 0.30)")
    g.add_argument(
        "--reference",
        choices=[r.value for r in Reference],
        default=Reference.CONTRALATERAL.value,
        help="rCBF denominator: healthy contralateral hemisphere (default) or tissue with Tmax < 4 s",
    )
    g.add_argument("--adc", type=float, default=620.0, help="MRI core: ADC below this in 10⁻⁶ mm²/s (default 620)")
    g.add_argument(
        "--min-size-ml", type=nonnegative_float, default=0.2, metavar="ML", help="drop components smaller than this (ml, default 0.2)"
    )
    g.add_argument("--csf-hu", type=float, default=20.0, help="CT: baseline HU below this is CSF (default 20)")


def threshold_config(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.clinical.config.ThresholdConfig` the options describe."""
    from strokeseg.clinical.config import ThresholdConfig

    return ThresholdConfig(
        tmax_hypoperfused=args.tmax_threshold,
        tmax_severe=args.tmax_severe,
        rcbf_core=args.rcbf,
        reference=args.reference,
        adc_core=args.adc,
        min_component_ml=args.min_size_ml,
        csf_hu=args.csf_hu,
    )
