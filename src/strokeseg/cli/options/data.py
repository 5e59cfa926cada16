"""Options shared by every command that reads a dataset or writes an output folder."""

from __future__ import annotations

import argparse

from strokeseg.cli.options.series import add_series_option
from strokeseg.cli.options.types import label_map_arg
from strokeseg.errors import ConfigError
from strokeseg.io.modes import NonFinitePolicy


def add_layout_options(p: argparse.ArgumentParser, series: bool = True) -> None:
    """``--layout`` and ``--label-map`` (and ``--series`` where the command reads a DICOM export's series)."""
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
    if series:
        add_series_option(p)


def add_nonfinite_option(p: argparse.ArgumentParser) -> None:
    """``--nonfinite error|zero``."""
    p.add_argument(
        "--nonfinite",
        choices=[p.value for p in NonFinitePolicy],
        default=NonFinitePolicy.ERROR.value,
        help="what to do with NaN/Inf voxels in an input image: stop with an error (default) or set them to 0",
    )


def add_input(p: argparse.ArgumentParser, help_text: str, metavar: str = "INPUT", aliases: tuple[str, ...] = ("--input", "--data")) -> None:
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
    g.add_argument("--overwrite", action="store_true", help="replace the contents of a non-empty --out written by an earlier strokeseg run")
    if resume:
        g.add_argument(
            "--resume", action="store_true", help="continue an interrupted run: keep the finished cases in --out and process the rest"
        )


def output_mode(args: argparse.Namespace) -> str:
    """``new``, ``overwrite`` or ``resume``, from ``--overwrite``/``--resume``."""
    return "overwrite" if getattr(args, "overwrite", False) else "resume" if getattr(args, "resume", False) else "new"


def require(cond: bool, message: str) -> None:
    """Raise a ConfigError with ``message`` unless ``cond``."""
    if not cond:
        raise ConfigError(message)
