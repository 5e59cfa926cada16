"""The provenance a run records: the command line's settings that decide its results."""

from __future__ import annotations

import argparse
from typing import Any

#: options that say where and how a run is scheduled or written, not how its results are computed
_NOT_PROVENANCE = frozenset(
    {
        "func",
        "command",
        "out",
        "overwrite",
        "resume",
        "executor",
        "jobs",
        "scheduler",
        "report",
        "allow_output_in_input",
        "debug",
        "threads",
        "argv",  # the raw command line (--resume, --out … in it), kept for a launcher
        "nproc",
    }
    | {"no_dicom", "dicom_reference", "fractional_seg"}
)


def run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The command line's settings that decide the results, as plain values (the run marker's and the
    read-outs' provenance); where the results go and how the cases are scheduled are left out, so that a
    resumed or parallel run records the same provenance as a serial one."""
    out: dict[str, Any] = {}
    for k, v in sorted(vars(args).items()):
        if k in _NOT_PROVENANCE or callable(v):
            continue
        out[k] = [str(x) for x in v] if isinstance(v, (list, tuple)) else (v if isinstance(v, (int, float, bool, type(None))) else str(v))
    return out
