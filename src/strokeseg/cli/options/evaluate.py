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
