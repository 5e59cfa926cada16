"""Run the strokeseg CLI and signal ourselves at the Nth call of one write stage (for the fault tests).

Usage: ``python -m tests.robustness.killer STAGE N SIGNAL -- strokeseg arguments...``

Stages (each is patched from outside; nothing in strokeseg knows about this):

* ``file`` — a result file has been written to its temporary name but not yet renamed;
* ``commit`` — a finished case is about to be renamed into ``--out``;
* ``summary`` — a command's summary file (``readout.csv``, ``volumes.json``, ...) is about to be written;
* ``checkpoint`` — a training checkpoint has just been written;
* ``weights`` — a fold's ``weights.pt`` has just been written;
* ``bundle`` — ``recipe.yaml`` is written and ``bundle.json`` is about to be.

SIGNAL is ``SIGKILL``, ``SIGTERM`` or ``SLEEP`` (hold the stage for 30 s: the concurrency test).
Stage ``none`` runs the command unpatched, so that reference and resumed runs happen in fresh
processes too (maps computed in one process are then bit-comparable with another's).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path


def main() -> int:
    stage, n, sig = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    argv = sys.argv[sys.argv.index("--") + 1 :]
    count = [0]

    def hit() -> None:
        count[0] += 1
        if count[0] != n:
            return
        if sig == "SLEEP":
            Path(os.environ["KILLER_READY"]).write_text("ready", encoding="utf-8")
            time.sleep(30)
            return
        os.kill(os.getpid(), getattr(signal, sig))
        time.sleep(5)  # SIGKILL never returns; SIGTERM's handler raises before this ends

    import strokeseg.bundle.bundle as bundle
    import strokeseg.io.atomic as atomic
    import strokeseg.io.nifti
    import strokeseg.io.outputs as outputs
    import strokeseg.training.checkpoint
    import strokeseg.training.cv as cv
    import strokeseg.training.trainer as trainer

    if stage == "file":
        orig = atomic.atomic_path

        @contextlib.contextmanager
        def wrapped(path):
            with orig(path) as tmp:
                yield tmp
                if not Path(path).name.startswith(".strokeseg"):
                    hit()

        for mod in (atomic, strokeseg.io.nifti, bundle, strokeseg.training.checkpoint):
            mod.atomic_path = wrapped  # type: ignore[attr-defined]
    elif stage == "commit":
        orig_place = outputs._place

        def place(src, dst):
            hit()
            orig_place(src, dst)

        outputs._place = place
    elif stage == "summary":
        orig_write = outputs.RunFolder.write_text

        def write(self, name, text):
            if name != outputs.MARKER_NAME:
                hit()
            return orig_write(self, name, text)

        outputs.RunFolder.write_text = write  # type: ignore[method-assign]
    elif stage == "checkpoint":
        orig_ck = trainer.save_checkpoint

        def save_ck(path, state):
            orig_ck(path, state)
            hit()

        trainer.save_checkpoint = save_ck
    elif stage == "weights":
        orig_w = cv.save_weights

        def save_w(path, state):
            digest = orig_w(path, state)
            hit()
            return digest

        cv.save_weights = save_w
    elif stage == "bundle":
        orig_text = bundle.write_text

        def write_b(path, text):
            if Path(path).name == "bundle.json":
                hit()
            return orig_text(path, text)

        bundle.write_text = write_b
    elif stage != "none":  # "none": a plain run, in a fresh process like the killed one
        raise SystemExit(f"unknown stage {stage}")
    from strokeseg.cli import main as cli

    return cli(argv)


if __name__ == "__main__":
    sys.exit(main())
