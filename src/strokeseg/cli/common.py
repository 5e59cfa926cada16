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
