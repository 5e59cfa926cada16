"""The options of ``strokeseg evaluate``."""

from __future__ import annotations

import argparse

from strokeseg.evaluation.modes import Protocol


def region_list(text: str) -> list[str]:
    """``--regions core,penumbra``: region names, checked."""
    from strokeseg.io.labels import Region

    try:
        return [Region.parse(r).value for r in text.split(",") if r.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


#: the values of :class:`strokeseg.evaluation.modes.Protocol` (a module without SciPy, so --help stays light)
PROTOCOLS = tuple(p.value for p in Protocol)


def add_protocol_option(p: argparse.ArgumentParser) -> None:
    """``--protocol isles22|isles24``: how lesions are matched for the lesion-wise F1 and counts."""
    p.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="isles22",
        help="lesion matching: isles22 (a truth lesion touched by the prediction is found) or isles24 (the ISLES'24 "
        "evaluator: 26-connected lesions paired one to one, greedily by IoU, where IoU >= 0.5)",
    )
