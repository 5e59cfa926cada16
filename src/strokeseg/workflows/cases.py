"""Processing the cases of a dataset into a :class:`~strokeseg.io.outputs.RunFolder`, one at a time.

Each case's outputs are staged and appear whole or not at all; a case that fails with a
:class:`~strokeseg.errors.StrokesegError` is reported and the others go on; with
``OutputMode.RESUME`` the cases already in the folder are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from strokeseg.errors import StrokesegError
from strokeseg.io.outputs import OutputMode, RunFolder
from strokeseg.util.progress import progress

T = TypeVar("T")
R = TypeVar("R")


class CasesFailed(StrokesegError):
    """Some cases of a dataset failed; the others' outputs were kept."""


@dataclass
class CaseRun(Generic[R]):
    """What happened to each case: results of the new ones, ids skipped on resume, and failures."""

    results: list[R] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, StrokesegError]] = field(default_factory=list)
    total: int = 0

    def raise_failures(self, out: Path) -> None:
        """Raise when any case failed: the case's own error for a single case, else a summary."""
        if not self.failed:
            return
        if self.total == 1:
            raise self.failed[0][1]
        ok = self.total - len(self.failed)
        kept = f"the {ok} others are in the output folder" if ok else "no case finished, nothing was written"
        raise CasesFailed(
            f"{len(self.failed)} of {self.total} cases failed (errors above: {', '.join(c for c, _ in self.failed)}); {kept}", out
        )


def _stderr(line: str) -> None:
    logging.getLogger("strokeseg").error(line)


def run_cases(
    run: RunFolder, items: Sequence[tuple[str, T]], fn: Callable[[T, Path], R], desc: str, report: Callable[[str], None] = _stderr
) -> CaseRun[R]:
    """Call ``fn(item, folder)`` for each ``(case_id, item)``; ``folder`` is the case's staging folder.

    ``case_id`` = "" writes at the top of the output folder (a single series). Errors of one case
    are reported through ``report`` as ``strokeseg: error: …`` and do not stop the others.
    """
    out: CaseRun[R] = CaseRun(total=len(items))
    for cid, item in progress(list(items), desc=desc, unit="case"):
        if cid and run.mode is OutputMode.RESUME and run.has(cid):
            out.skipped.append(cid)
            continue
        try:
            with run.case(cid) as folder:
                out.results.append(fn(item, folder))
        except StrokesegError as exc:
            out.failed.append((cid or "input", exc))
            if len(items) > 1:
                report(f"strokeseg: error: {exc}")
    return out
