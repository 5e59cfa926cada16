"""``--series ROLE=UID``: which series of a DICOM export takes a role where several could."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.errors import ConfigError


def add_series_option(p: argparse.ArgumentParser) -> None:
    """``--series ROLE=UID`` (repeatable)."""
    p.add_argument(
        "--series",
        action="append",
        type=series_arg,
        metavar="ROLE=UID",
        help="in a DICOM export where several series could take a role (two CBF series, two CT perfusion series of "
        "equal length), use the series with this SeriesInstanceUID for ROLE (e.g. CBF=1.2.840...); repeatable. "
        "'strokeseg info' lists every series with its role and UID",
    )


def series_arg(text: str) -> tuple[str, str]:
    """``ROLE=UID`` → (role, UID)."""
    role, sep, uid = text.partition("=")
    if not sep or not role.strip() or not uid.strip():
        raise argparse.ArgumentTypeError(f"expected ROLE=SERIES_UID (e.g. CBF=1.2.840.1), got {text!r}")
    return role.strip(), uid.strip()


def series_choice(args: argparse.Namespace) -> dict[str, str] | None:
    """The ``--series`` choices as role → SeriesInstanceUID (None: none given); a role chosen twice is an error."""
    pairs = getattr(args, "series", None) or []
    out: dict[str, str] = {}
    for role, uid in pairs:
        if out.get(role, uid) != uid:
            raise ConfigError(f"--series chooses two series for {role}; give one")
        out[role] = uid
    return out or None


def open_input(args: argparse.Namespace, inp: str) -> Any:
    """The input dataset read with ``--layout``, ``--label-map`` and ``--series``."""
    from pathlib import Path

    from strokeseg.io.layouts import open_dataset

    return open_dataset(Path(inp), args.layout, args.label_map, series_choice(args))


__all__ = ["add_series_option", "open_input", "series_arg", "series_choice"]
