"""The console entry point ends quickly without losing output, exit handlers or the exit status."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import atexit
from concurrent.futures import ThreadPoolExecutor
import strokeseg.cli as cli

pool = ThreadPoolExecutor(2)  # a pool left open: its idle worker threads must not hold the exit
pool.submit(lambda: None).result()
atexit.register(lambda: print("exit handler ran"))


def main():
    print("x" * 200000)  # buffered (a pipe): must still reach the reader
    return 3


cli.main = main
cli.run()
print("not reached")
"""


def test_run_flushes_output_runs_exit_handlers_and_keeps_the_status():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    lines = proc.stdout.splitlines()
    assert lines[0] == "x" * 200000
    assert lines[1:] == ["exit handler ran"]


def test_python_m_strokeseg_uses_the_entry_point():
    proc = subprocess.run([sys.executable, "-m", "strokeseg", "info", "/nonexistent/folder"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("strokeseg: error:") and "/nonexistent/folder" in proc.stderr


def test_a_profiled_run_exits_normally_so_the_profile_is_written(tmp_path):
    out = tmp_path / "run.prof"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "strokeseg", "info", "/nonexistent/folder"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.stat().st_size > 0 and proc.stderr.startswith("strokeseg: error:")  # (cProfile itself drops the status)
