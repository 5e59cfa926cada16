"""The run API's options (:mod:`strokeseg.run`) from the command line's flags."""

from __future__ import annotations

import argparse
from typing import Any


def read_options(args: argparse.Namespace) -> Any:
    """:class:`~strokeseg.run.ReadOptions` of ``--layout``, ``--label-map``, ``--series``, ``--nonfinite``,
    ``--frame-interval``, ``--modality`` and the patient flags (those a command lacks are left at their defaults)."""
    from strokeseg.cli.options.patient import patient_values
    from strokeseg.cli.options.series import series_choice
    from strokeseg.run import ReadOptions

    return ReadOptions(
        layout=getattr(args, "layout", None),
        label_map=getattr(args, "label_map", None),
        series=series_choice(args),
        nonfinite=getattr(args, "nonfinite", "error"),
        frame_interval=getattr(args, "frame_interval", None),
        modality=getattr(args, "modality", None),
        patient=patient_values(args) if hasattr(args, "age") else None,
    )


def run_options(args: argparse.Namespace) -> Any:
    """:class:`~strokeseg.run.RunOptions` of ``--overwrite``/``--resume``, ``--allow-output-in-input``, the executor
    flags and ``--report``; the run record keeps the flags, and what the command prints goes to stdout with
    parameter names written as flags."""
    from strokeseg.cli.options.data import output_mode
    from strokeseg.cli.options.executor import executor_config
    from strokeseg.cli.options.output import say
    from strokeseg.cli.options.provenance import run_settings
    from strokeseg.cli.options.report import report_choice
    from strokeseg.run import RunOptions

    return RunOptions(
        mode=output_mode(args),
        allow_in_input=args.allow_output_in_input,
        executor=executor_config(args),
        report=report_choice(args),
        settings=run_settings(args),
        echo=say,
    )


__all__ = ["read_options", "run_options"]
