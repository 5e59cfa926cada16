"""How a command ends: its exit status, and each failure as one line on stderr (see :func:`strokeseg.cli.main`)."""

from __future__ import annotations

import argparse
import sys

from strokeseg.errors import RankLost, StrokesegError, Terminated, one_line
from strokeseg.training.launch import LOST_STATUS


def terminated(launched: bool) -> int:
    """Status 143 for a SIGTERM, with one line unless strokeseg's launcher started this rank (it speaks then)."""
    if not launched:  # a rank that strokeseg's launcher stopped after another died: the launcher speaks
        print("strokeseg: terminated (SIGTERM); no partial output was kept", file=sys.stderr)
    return 143


def command_status(args: argparse.Namespace, launched: bool) -> int:
    """The command's exit status, each failure as one line on stderr (see :func:`main`)."""
    from strokeseg.cli.options.preflight import check_environment

    try:
        check_environment()  # one line naming a bad STROKESEG_* variable, before any work
        return int(args.func(args) or 0)
    except StrokesegError as exc:
        from strokeseg.cli.flags import flag_of

        lost = isinstance(exc, RankLost)  # a dead rank: 1, not 2 (the inputs may be fine); strokeseg's launcher speaks for it
        if lost and launched:
            return LOST_STATUS  # a consequence of another rank's end, which the launcher names
        print(f"strokeseg: error: {one_line(exc.render(flag_of))}", file=sys.stderr)
        return 1 if lost else 2
    except KeyboardInterrupt:
        print("strokeseg: interrupted; no partial output was kept", file=sys.stderr)
        return 130
    except Terminated:
        return terminated(launched)
    except OSError as exc:  # a file the user named cannot be read or written (permissions, disk full, ...)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"strokeseg: error: {where}{one_line(exc.strerror or str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"strokeseg: internal error: {type(exc).__name__}: {one_line(str(exc))[:300]} "
            "(a bug in strokeseg; rerun with 'strokeseg --debug ...' for the traceback and report it)",
            file=sys.stderr,
        )
        return 1
