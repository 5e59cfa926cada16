"""Peak memory of a training run: the full-size slow-fusion VGG-16 (four VGG-16 branches, 90.7 M parameters).

``strokeseg train --recipe slow-fusion-vgg16`` on a 4-case CT phantom cohort (3 slices of 40×40), 2 folds of one
epoch, 48×48 patches, batch 2, a VGG-16 file given with ``--pretrained`` and the backbone frozen (the paper's
first stage), run as a separate process whose resident set size is sampled every 10 ms. Its
``STROKESEG_KEEP_FREED_MEMORY`` is ``0`` (freed memory goes back to the system, as in the test session) unless
``--keep-freed`` is given. The model dominates: the peak is what training a network of this size holds, not what
the tiny cohort needs. Writes ``docs/results/training_memory.{json,md}``.

    .venv/bin/python benchmarks/bench_training_memory.py [--keep-freed]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results

TINY = ["--folds", "2", "--epochs", "1", "--set", "batch_size=2", "--set", "postprocess.thresholds=[0.3,0.5]"]
TINY += ["--set", "postprocess.min_sizes=[1,20]", "--set", "sampling.patch_size=[1,48,48]", "--set", "inference.step=[1,48,48]"]


def _rss_gb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1e6
    except (OSError, ValueError):
        pass
    return 0.0


def _inputs(root: Path) -> None:
    import torch

    from strokeseg.models.backbones import VGGFeatures
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cfg = PhantomConfig(modality="ct", slices=3, matrix=(40, 40), spacing_xy=5.0, frames=30)
    write_phantom_cohort(root / "ct", CohortSpec(4, cfg, "manifest", seed=7, second_slab_fraction=0.0))
    sd = {k: torch.randn(v.shape) * 0.01 for k, v in VGGFeatures("vgg16").state_dict().items()}
    torch.save(sd, root / "vgg16.pth")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep-freed", action="store_true", help="leave STROKESEG_KEEP_FREED_MEMORY unset (the CLI's default)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="strokeseg-trainmem-") as tmp:
        root = Path(tmp)
        _inputs(root)
        env = dict(os.environ)
        if not args.keep_freed:
            env["STROKESEG_KEEP_FREED_MEMORY"] = "0"
        cmd = [sys.executable, "-m", "strokeseg", "train", "--recipe", "slow-fusion-vgg16", "--data", str(root / "ct")]
        cmd += ["--out", str(root / "m"), "--pretrained", str(root / "vgg16.pth"), *TINY, "--set", "fine_tuning=[{unfrozen: 0.0}]"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak = [0.0]

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], _rss_gb(proc.pid))
                time.sleep(0.01)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        _, err = proc.communicate()
        watcher.join()
        if proc.returncode != 0:
            print(err, file=sys.stderr)
            return 1
    data = {
        "recipe": "slow-fusion-vgg16",
        "parameters_million": 90.7,
        "folds": 2,
        "keep_freed_memory": args.keep_freed,
        "peak_rss_gb": round(peak[0], 3),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    line = (
        f"Full-size slow-fusion VGG-16, 2 folds of one epoch, freed memory {'kept' if args.keep_freed else 'returned'}: "
        f"peak resident memory **{data['peak_rss_gb']:.2f} GB** ({data['seconds']:.0f} s)."
    )
    write_results("training_memory", data, "Peak memory of a training run", line, "bench_training_memory.py")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
