"""Processing the cases of a dataset into a :class:`~strokeseg.io.outputs.RunFolder`, one at a time.

Each case's outputs are staged and appear whole or not at all; a case that fails with a
:class:`~strokeseg.errors.StrokesegError` is reported and the others go on; with
``OutputMode.RESUME`` the cases already in the folder are skipped.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from strokeseg.errors import StrokesegError
from strokeseg.io.outputs import OutputMode, RunFolder
from strokeseg.util.executors import ExecutorConfig
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


def _stderr(err: StrokesegError) -> None:
    """A case's error on the ``strokeseg`` log; the record carries the error (``record.error``), so that the command
    line writes the parameters it names as flags."""
    logging.getLogger("strokeseg").error("strokeseg: error: %s", err, extra={"error": err})


def _case_task(fn: Callable[[T, Path], R], item: T, folder: str) -> R:
    """One case in a worker: a clean case folder (a retry starts afresh), then ``fn``."""
    path = Path(folder)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return fn(item, path)


def run_cases(
    run: RunFolder,
    items: Sequence[tuple[str, T]],
    fn: Callable[[T, Path], R],
    desc: str,
    report: Callable[[StrokesegError], None] = _stderr,
    executor: ExecutorConfig | None = None,
) -> CaseRun[R]:
    """Call ``fn(item, folder)`` for each ``(case_id, item)``; ``folder`` is the case's staging folder.

    ``case_id`` = "" writes at the top of the output folder (a single series). Errors of one case
    are passed to ``report`` (by default logged as ``strokeseg: error: …``) and do not stop the others. With a
    parallel ``executor`` each case is one task (``fn`` and the items must pickle) that writes into
    its own staging folder, retried once when it fails; finished folders are placed in the output
    folder as they come, and results keep the input order.
    """
    if executor is not None and executor.parallel and len(items) > 1:
        return _record_failures(run, _run_parallel(run, items, fn, desc, report, executor))
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
                report(exc)
    return _record_failures(run, out)


FAILURES_NAME = "failures.json"


def _record_failures(run: RunFolder, done: CaseRun[R]) -> CaseRun[R]:
    """``failures.json`` (case id, error) when cases of a dataset failed, for the report; emptied when a rerun fixed them."""
    import json

    if done.failed and done.total > 1:
        rows = [{"case_id": cid, "error": str(exc)} for cid, exc in done.failed]
        run.write_text(FAILURES_NAME, json.dumps(rows, indent=2))
    elif run.has(FAILURES_NAME):
        run.write_text(FAILURES_NAME, "[]\n")
    return done


def _run_parallel(
    run: RunFolder,
    items: Sequence[tuple[str, T]],
    fn: Callable[[T, Path], R],
    desc: str,
    report: Callable[[StrokesegError], None],
    executor: ExecutorConfig,
) -> CaseRun[R]:
    from strokeseg.util.executors import run_tasks
    from strokeseg.util.progress import progress_bar

    out: CaseRun[R] = CaseRun(total=len(items))
    todo = []
    for cid, item in items:
        if cid and run.mode is OutputMode.RESUME and run.has(cid):
            out.skipped.append(cid)
        else:
            todo.append((cid, item, run.new_stage()))
    calls = [(fn, item, str(stage / cid) if cid else str(stage)) for cid, item, stage in todo]
    done: dict[int, R] = {}
    try:
        with progress_bar(total=len(calls), desc=desc, unit="case") as bar:
            for i, result, exc in run_tasks(_case_task, calls, executor):
                cid, _, stage = todo[i]
                if exc is None:
                    run.commit_stage(stage)
                    done[i] = result
                else:
                    run.commit_stage(stage, keep=False)
                    err = exc if isinstance(exc, StrokesegError) else StrokesegError(f"case {cid}: {type(exc).__name__}: {exc}")
                    out.failed.append((cid or "input", err))
                    report(err)
                bar.update(1)
    finally:
        for _, _, stage in todo:  # stages of tasks that never finished (an interrupt)
            shutil.rmtree(stage, ignore_errors=True)
    out.results = [done[i] for i in sorted(done)]
    return out
