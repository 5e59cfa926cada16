"""`make test` as CI runs it (a clean clone beside ``../shared``), beside a CPU-bound process: does it pass,
how long does it take, and how much memory does it hold at its peak?

The busy process is one Python loop pinned to core 0 (another user's job on a 2-core machine). Memory is
the peak, over samples every 0.5 s, of the summed proportional set size (PSS: shared pages counted once) of
``make`` and every process below it (pytest, the strokeseg commands and torchrun ranks it starts), read from
``/proc/<pid>/smaps_rollup``. Writes
``docs/results/ci_busy.{json,md}``; the clone is left in place for inspection.

    .venv/bin/python benchmarks/bench_ci_busy.py [--clone ../ci-check] [--no-load]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import REPO, write_results


def _pss_bytes(pid: int) -> int:
    """A process's proportional set size: its private pages plus its share of pages it shares (so that the
    sum over processes counts a shared library or a copy-on-write page once, unlike the resident sizes)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree_pss_bytes(root: int, top: list[tuple[int, str]] | None = None) -> int:
    """The summed proportional set size of ``root`` and all its descendants; ``top`` receives each process's
    (PSS, command line) when given."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        pss = _pss_bytes(pid)
        total += pss
        if top is not None:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")[:160]
            except OSError:
                cmd = "?"
            top.append((pss, cmd))
        todo += children.get(pid, [])
    return total


def _hog() -> subprocess.Popen:
    def pin() -> None:
        os.sched_setaffinity(0, {0})

    return subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=pin)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clone", type=Path, default=REPO.parent / "ci-check")
    ap.add_argument("--no-load", action="store_true", help="without the busy process (the idle baseline)")
    args = ap.parse_args()
    shutil.rmtree(args.clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(REPO), str(args.clone)], check=True)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    hog = None if args.no_load else _hog()
    peak = [0]
    at_peak: list[tuple[int, str]] = []
    log = args.clone / "make-test.log"
    t0 = time.perf_counter()
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(["make", "test"], cwd=args.clone, stdout=fh, stderr=subprocess.STDOUT)

        def sample() -> None:
            while proc.poll() is None:
                top: list[tuple[int, str]] = []
                now = _tree_pss_bytes(proc.pid, top)
                if now > peak[0]:
                    peak[0] = now
                    at_peak[:] = sorted(top, reverse=True)[:8]
                time.sleep(0.5)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        rc = proc.wait()
        watcher.join()
    wall = time.perf_counter() - t0
    if hog is not None:
        hog.kill()
        hog.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    summary = re.findall(r"^=* ?(\d+ (?:passed|failed)[^\n]*?) in ([\d.]+)s", text, flags=re.MULTILINE)
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed)", summary[-1][0])} if summary else {}
    res = {
        "commit": commit,
        "load": "none" if args.no_load else "one CPU-bound process pinned to core 0",
        "cores": os.cpu_count(),
        "exit_status": rc,
        "counts": counts,
        "pytest_s": float(summary[-1][1]) if summary else None,
        "make_test_s": wall,
        "peak_memory_gb": peak[0] / 1024**3,
        "at_peak": [{"pss_gb": round(m / 1024**3, 3), "command": c} for m, c in at_peak],
        "pytest_peak_line": next((ln for ln in text.splitlines() if ln.startswith("peak resident memory")), None),
    }
    pytest_s = f"{res['pytest_s']:.0f} s" if res["pytest_s"] is not None else "n/a"
    table = "\n".join(
        [
            f"A clean clone of {commit}, `make test` beside {res['load']}, on {res['cores']} cores.",
            "",
            "| exit status | passed | failed | skipped | pytest | make test (with the environment) | peak memory (all processes) |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {rc} | {counts.get('passed', 0)} | {counts.get('failed', 0)} | {counts.get('skipped', 0)} | {pytest_s} | "
            f"{wall:.0f} s | {res['peak_memory_gb']:.2f} GB |",
        ]
    )
    table += "\n\nThe processes at the peak (PSS GB, command):\n\n" + "\n".join(f"- {m / 1024**3:.2f} `{c}`" for m, c in at_peak)
    if res["pytest_peak_line"]:
        table += f"\n\npytest's own summary: {res['pytest_peak_line']}"
    name = "ci_idle" if args.no_load else "ci_busy"
    write_results(
        name, res, "`make test` from a clean clone" + ("" if args.no_load else " beside a busy process"), table, "bench_ci_busy.py"
    )
    print(table)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
