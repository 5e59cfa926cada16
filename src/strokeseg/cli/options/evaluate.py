"""The options of ``strokeseg evaluate``."""

from __future__ import annotations

import argparse


def region_list(text: str) -> list[str]:
    """``--regions core,penumbra``: region names, checked."""
    from strokeseg.io.labels import Region

    try:
        return [Region.parse(r).value for r in text.split(",") if r.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


#: the values of strokeseg.evaluation.lesionwise.Protocol, written out so that --help never imports SciPy
#: (tests/cli/test_choices.py checks they are the enum's)
PROTOCOLS = ("isles22", "isles24")


def add_protocol_option(p: argparse.ArgumentParser) -> None:
    """``--protocol isles22|isles24``: how lesions are matched for the lesion-wise F1 and counts."""
    p.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="isles22",
        help="lesion matching: isles22 (a truth lesion touched by the prediction is found) or isles24 (the ISLES'24 "
        "evaluator: 26-connected lesions paired one to one, greedily by IoU, where IoU >= 0.5)",
    )
