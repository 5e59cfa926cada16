"""``--executor``, ``--jobs`` and ``--scheduler``: where the cases of a cohort run."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options.types import positive_int


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """The cohort executor options of ``perfusion``, ``threshold``, ``predict`` and ``evaluate``."""
    g = p.add_argument_group("cohorts")
    g.add_argument(
        "--executor",
        choices=["serial", "local", "dask"],
        default=None,
        help="where the cases run: one after another here (serial, the default with --jobs 1), in local worker "
        "processes (local, the default with --jobs > 1), or on dask.distributed (a LocalCluster of --jobs workers, or "
        "the cluster at --scheduler); each case is one task with its own atomic outputs, retried once if it fails",
    )
    g.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="worker processes for the cases (default 1)")
    g.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler, e.g. tcp://host:8786 (implies dask)")


def executor_config(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.util.executors.ExecutorConfig` the options ask for."""
    from strokeseg.util.executors import ExecutorConfig, ExecutorKind

    kind = args.executor or ("dask" if args.scheduler else "local" if args.jobs > 1 else "serial")
    return ExecutorConfig(ExecutorKind(kind), args.jobs, args.scheduler)
