"""``--executor``, ``--jobs`` and ``--scheduler``: where the cases of a cohort run."""

from __future__ import annotations

import argparse
from typing import Any

from strokeseg.cli.options.types import positive_int
from strokeseg.util.executors import ExecutorKind


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """The cohort executor options of ``perfusion``, ``threshold``, ``predict`` and ``evaluate``."""
    g = p.add_argument_group("cohorts")
    g.add_argument(
        "--executor",
        choices=[k.value for k in ExecutorKind],
        default=None,
        help="where the cases run: one after another here (serial, the default with --jobs 1), in local worker "
        "processes (local, the default with --jobs > 1), or on dask.distributed (a LocalCluster of --jobs workers, or "
        "the cluster at --scheduler); each case is one task with its own atomic outputs, retried once if it fails",
    )
    g.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="worker processes for the cases (default 1)")
    g.add_argument(
        "--scheduler",
        type=scheduler_address,
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://host:8786 (implies dask)",
    )


def scheduler_address(text: str) -> str:
    """``--scheduler``: ``[PROTOCOL://]HOST:PORT`` (tcp, tls, ws, wss, ucx or inproc), checked before any work."""
    import re

    m = re.fullmatch(r"(?:(tcp|tls|ws|wss|ucx|inproc)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})", text.strip())
    if m is None or not 0 < int(m.group(3)) < 65536:
        raise argparse.ArgumentTypeError(f"{text[:60]!r} is not a scheduler address (PROTOCOL://HOST:PORT, e.g. tcp://host:8786)")
    return text.strip()


def executor_config(args: argparse.Namespace) -> Any:
    """The :class:`~strokeseg.util.executors.ExecutorConfig` the options ask for."""
    from strokeseg.util.executors import ExecutorConfig, ExecutorKind

    kind = args.executor or ("dask" if args.scheduler else "local" if args.jobs > 1 else "serial")
    return ExecutorConfig(ExecutorKind(kind), args.jobs, args.scheduler)
