"""``strokeseg train --nproc N``: data-parallel training on N processes of this machine, as
``torchrun --standalone --nproc_per_node=N -m strokeseg train …`` runs it, with one line when a rank dies.

torchrun itself answers a dead rank with its agent's log lines, a traceback and a failure table; here the
agent runs in this process, its logs are silenced, ranks other than 0 write to files in a temporary folder
(rank 0 speaks for the run), and a failure becomes one :class:`RankLost` line naming the rank and how it
ended. Every fold's last finished epoch stays on disk, so ``--resume`` continues the run.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import uuid
from collections.abc import Sequence

from strokeseg.errors import Message, Param, RankLost

#: set in every rank this launcher starts: a rank that loses a peer then exits without its own line
LAUNCHED_ENV = "STROKESEG_LAUNCHED"
#: the exit status of such a rank: it ended because another rank did, so the launcher looks past it for the cause
LOST_STATUS = 75


def launch_local(argv: Sequence[str], nproc: int) -> int:
    """Run ``strokeseg <argv>`` (a ``train`` command line; its ``--nproc`` is dropped) on ``nproc`` local ranks.

    Returns rank 0's exit status when every rank ended by itself (an input error is then rank 0's own line);
    raises :class:`RankLost` when a rank was killed or died.
    """
    from torch.distributed.elastic.multiprocessing.api import DefaultLogsSpecs, Std
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="strokeseg-ranks-") as logs:
        quiet = dict.fromkeys(range(1, nproc), Std.ALL)
        cfg = LaunchConfig(
            min_nodes=1,
            max_nodes=1,
            nproc_per_node=nproc,
            run_id=str(uuid.uuid4()),
            rdzv_endpoint="localhost:0",
            rdzv_backend="c10d",
            max_restarts=0,
            logs_specs=DefaultLogsSpecs(log_dir=logs, redirects=quiet),  # type: ignore[arg-type]
        )
        saved = os.environ.get(LAUNCHED_ENV)
        os.environ[LAUNCHED_ENV] = "1"
        try:
            elastic_launch(cfg, sys.executable)("-m", "strokeseg", *without_nproc(argv))
        except ChildFailedError as exc:
            return _failure(exc, nproc)
        finally:
            if saved is None:
                os.environ.pop(LAUNCHED_ENV, None)
            else:
                os.environ[LAUNCHED_ENV] = saved
    return 0


def _failure(exc, nproc: int) -> int:
    """Rank 0's own exit status when every rank ended by itself with the same status, else :class:`RankLost`."""
    failures = exc.failures
    codes = {f.exitcode for f in failures.values()}
    if len(failures) == nproc and len(codes) == 1 and min(codes) > 1:
        return int(codes.pop())  # e.g. 2: an input error every rank found, which rank 0 has said
    # the agent stops the surviving ranks with SIGTERM (a rank that caught it exits 128 + SIGTERM, one that did not
    # shows -SIGTERM), and a rank that lost a peer ends with LOST_STATUS: the cause is the earliest failure that is
    # none of these (timestamps are whole seconds, so a tie is common and is no evidence)
    consequences = (-signal.SIGTERM, 128 + signal.SIGTERM, LOST_STATUS)
    causes = [r for r, f in failures.items() if f.exitcode not in consequences] or list(failures)
    rank = min(causes, key=lambda r: (failures[r].timestamp, r))
    first = failures[rank]
    how = f"was killed by {first.signal_name()}" if first.exitcode < 0 else f"stopped with exit status {first.exitcode}"
    raise RankLost(
        Message(
            f"rank {rank} of {nproc} {how}, so the run stopped; each fold's last finished epoch is kept: rerun the same command ",
            Param("resume", verb="with"),
            " to continue",
        )
    )


def without_nproc(argv: Sequence[str]) -> list[str]:
    """The command line each rank runs: ``argv`` without ``--nproc N`` / ``--nproc=N``."""
    out: list[str] = []
    args = iter(argv)
    for a in args:
        if a == "--nproc":
            next(args, None)  # its value
        elif not a.startswith("--nproc="):
            out.append(a)
    return out
