"""Data-parallel training under torchrun on CPU (gloo, 2 processes) equals a one-process run with the same
global batch and seed: weights, log and bundle; a killed rank is one line and --resume finishes the run (under
``train --nproc``, torchrun's machinery in process). Plus the pieces on their own."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from strokeseg.training.cv import fold_devices
from strokeseg.training.distributed import DistBatchNorm, DistContext, convert_batch_norms

# GDL+CE (a mean over samples) with dropout off: the recipe's every random draw is then the same on 1 and 2 processes
TINY = ["--recipe", "clerigues-ct-2d-fast", "--folds", "2", "--no-cache", "--set", "sampling.patches_per_case=24", "--set", "batch_size=16"]
TINY += ["--set", "network.kwargs.dropout=0.0", "--set", "inference.mc_passes=1", "--set", "postprocess.thresholds=[0.5]"]
TINY += ["--set", "postprocess.min_sizes=[5]"]
# Two ranks and one process compute the same sums in another order, and float32 rounding grows through two epochs
# of training by an amount that depends on the CPU's kernels (1.2e-5 on this project's 2-core machine, 7.9e-3 on
# another). The tolerance is therefore measured on the machine that runs the test: the same one-process training
# on 1 thread against 2 threads (mathematically equal, summed in another order) gives the floor, and the ranks
# must stay within 10x that floor (and never above WEIGHT_TOL_MAX). A wrong all-reduce (a sum for a mean, a rank
# left out) moves these weights by orders of magnitude more.
WEIGHT_TOL_MIN, WEIGHT_TOL_MAX = 5e-5, 5e-2


def _torchrun() -> list[str]:
    exe = Path(sys.executable).with_name("torchrun")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "torch.distributed.run"]


def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ, STROKESEG_QUIET="1", OMP_NUM_THREADS=str(threads), STROKESEG_THREADS=str(threads), PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    return env


def _train(args: list[str], nproc: int, threads: int | None = None) -> subprocess.CompletedProcess[str]:
    if nproc == 1:
        cmd = [sys.executable, "-m", "strokeseg", "train", *args]
    else:
        cmd = [*_torchrun(), "--standalone", f"--nproc_per_node={nproc}", "-m", "strokeseg", "train", *args]
    # the same cores in all: 2 threads for one process, 1 for each of 2 ranks (the thread count alone moves
    # float32 reductions: one process on 1 and on 2 threads differ by up to 4e-5 after 2 epochs of this recipe)
    env = _env(threads or (2 if nproc == 1 else 1))
    res = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=env, timeout=600, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


def _max_weight_diff(a: Path, b: Path) -> float:
    out = 0.0
    for fold in sorted(p.name for p in a.glob("fold_*")):
        wa = torch.load(a / fold / "weights.pt", weights_only=True)
        wb = torch.load(b / fold / "weights.pt", weights_only=True)
        assert wa.keys() == wb.keys()
        out = max(out, max(float((wa[k].double() - wb[k].double()).abs().max()) for k in wa if wa[k].dtype.is_floating_point))
    return out


def _log_rows(folder: Path, fold: str) -> list[dict[str, str]]:
    from strokeseg.tables import read_csv

    return read_csv((folder / fold / "log.csv").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from tests.helpers import small_ct_cohort

    return small_ct_cohort(tmp_path_factory.mktemp("ddp") / "ph", 4, seed=4)


@pytest.fixture(scope="module")
def single(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "m"
    _train([*TINY, "--data", str(data), "--epochs", "2", "--out", str(out)], 1)
    return out


@pytest.fixture(scope="module")
def tol(data, single, tmp_path_factory):
    """The weight tolerance on this machine: 10x the reduction-order floor (see WEIGHT_TOL_MIN)."""
    out = tmp_path_factory.mktemp("one-thread") / "m"
    _train([*TINY, "--data", str(data), "--epochs", "2", "--out", str(out)], 1, threads=1)
    floor = _max_weight_diff(single, out)
    assert floor < WEIGHT_TOL_MAX / 10, f"one process on 1 and on 2 threads differ by {floor:g}"
    return max(WEIGHT_TOL_MIN, 10 * floor), max(1e-5, 10 * _max_log_diff(single, out))


LOGGED = ("train_loss", "val_loss", "val_metric", "grad_norm_max")


def _max_log_diff(a: Path, b: Path) -> float:
    """The largest relative difference of the logged losses and metrics of two runs, over folds and epochs."""
    out = 0.0
    for fold in ("fold_0", "fold_1"):
        for ra, rb in zip(_log_rows(a, fold), _log_rows(b, fold)):
            out = max(out, *(abs(float(ra[k]) - float(rb[k])) / max(abs(float(ra[k])), 1e-6) for k in LOGGED))
    return out


@pytest.mark.slow
def test_two_processes_train_the_weights_of_one(data, single, tol, tmp_path):
    out = tmp_path / "m"
    res = _train([*TINY, "--data", str(data), "--epochs", "2", "--out", str(out)], 2)
    assert res.stdout.count("model bundle written") == 1  # rank 0 alone reports and writes
    weight_tol, log_tol = tol
    assert _max_weight_diff(single, out) < weight_tol
    for fold in ("fold_0", "fold_1"):
        assert [r["epoch"] for r in _log_rows(single, fold)] == [r["epoch"] for r in _log_rows(out, fold)]
    assert _max_log_diff(single, out) < log_tol
    ba = json.loads((single / "bundle.json").read_text(encoding="utf-8"))
    bb = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    assert (ba["threshold"], ba["min_size"]) == (bb["threshold"], bb["min_size"])


@pytest.mark.slow
def test_two_nodes_of_one_process_train_the_weights_of_one(data, single, tol, tmp_path):
    """Multi-node torchrun (``--nnodes 2``), both nodes on this machine: rank 0 on node 0 alone writes."""
    import socket

    with socket.socket() as s:  # a free port for the rendezvous
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    out = tmp_path / "m"
    rdzv = ["--nnodes=2", "--nproc_per_node=1", "--rdzv_backend=c10d", f"--rdzv_endpoint=localhost:{port}", "--rdzv_id=strokeseg-test"]
    args = ["-m", "strokeseg", "train", *TINY, "--data", str(data), "--epochs", "2", "--out", str(out)]
    env = _env(1)
    other = subprocess.Popen([*_torchrun(), *rdzv, "--node_rank=1", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    res = subprocess.run(
        [*_torchrun(), *rdzv, "--node_rank=0", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,
        check=False,
    )
    _, other_err = other.communicate(timeout=600)
    assert res.returncode == 0 and other.returncode == 0, res.stderr[-3000:] + other_err.decode("utf-8", "replace")[-2000:]
    assert _max_weight_diff(single, out) < tol[0]


def test_shares_cover_the_batch_once_in_order():
    for n, world in ((16, 2), (17, 2), (5, 3), (2, 4)):
        parts = [DistContext(r, world).share(n) for r in range(world)]
        idx = np.concatenate([np.arange(n)[p] for p in parts])
        assert idx.tolist() == list(range(n))


def test_converted_batch_norm_keeps_names_values_and_single_process_behaviour():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.BatchNorm2d(4))
    net[1].weight.data.uniform_(0.5, 1.5)
    ref = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.randn(6, 2, 9, 9)
    expected = net(x)
    net.load_state_dict(ref)  # the forward above moved the running statistics
    conv = convert_batch_norms(net, torch.device("cpu"))
    assert isinstance(conv[1], DistBatchNorm) and conv.state_dict().keys() == ref.keys()
    assert all(torch.equal(conv.state_dict()[k], ref[k]) for k in ref)
    torch.testing.assert_close(conv(x), expected)  # no process group: plain batch norm


def test_folds_go_round_robin_over_the_visible_gpus():
    assert fold_devices(torch.device("cuda"), 5, 2) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"]
    assert fold_devices(torch.device("cuda:1"), 3, 2) == ["cuda:1"] * 3  # a device the user named is kept
    assert fold_devices(torch.device("cpu"), 2, 0) == ["cpu", "cpu"]


def test_torchrun_is_available_for_the_tests():
    assert shutil.which(_torchrun()[0]) or Path(_torchrun()[0]).exists()


def test_cases_of_a_parallel_prediction_go_round_robin_over_several_gpus():
    from strokeseg.workflows.predict import case_devices

    assert case_devices("cuda", 5, 2) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"]
    assert case_devices("cuda", 3, 1) == [None] * 3  # one GPU: the predictor's own
    assert case_devices("cuda:1", 2, 4) == [None, None]  # a device the user named is kept
    assert case_devices("cpu", 2, 0) == [None, None]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return sorted(kids)


@pytest.mark.slow
def test_a_killed_rank_stops_the_run_with_one_line_and_resume_finishes_it(data, single, tol, tmp_path):
    """``train --nproc 2``: SIGKILL of rank 1 mid-fold gives exit status 1 and one line naming the rank, not torchrun's
    banner; the same command with --resume then reaches the uninterrupted weights."""
    import signal
    import time

    out = tmp_path / "m"
    cmd = [sys.executable, "-m", "strokeseg", "train", *TINY, "--data", str(data), "--epochs", "2", "--out", str(out), "--nproc", "2"]
    proc = subprocess.Popen(cmd, env=_env(1), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
    deadline = time.monotonic() + 300
    while not (out / "fold_0" / "checkpoint.pt").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    ranks = _children(proc.pid)
    assert len(ranks) == 2, ranks
    os.kill(max(ranks), signal.SIGKILL)  # the second rank started
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert err.strip().splitlines() == [
        "strokeseg: error: rank 1 of 2 was killed by SIGKILL, so the run stopped; each fold's last finished epoch is kept: "
        "rerun the same command with --resume to continue"
    ]
    res = subprocess.run(
        [*cmd, "--resume"], env=_env(1), capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=600, check=False
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert _max_weight_diff(single, out) < tol[0]


def test_a_lost_peer_is_named_as_such_and_other_errors_stay_what_they_are():
    from strokeseg.errors import RankLost

    ctx = DistContext(0, 2, 0)
    gloo = RuntimeError("[../gloo/transport/tcp/pair.cc:537] Read error [127.0.0.1]:52132: Connection reset by peer. GLHF!")
    lost = ctx.lost(gloo)
    assert isinstance(lost, RankLost) and str(lost).startswith("rank 0 of 2 lost another rank") and "Connection reset" in str(lost)
    shape = RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 2x2)")
    assert ctx.lost(shape) is shape


def test_each_rank_runs_the_command_line_without_nproc():
    from strokeseg.training.launch import without_nproc

    assert without_nproc(["train", "--nproc", "2", "--out", "m"]) == ["train", "--out", "m"]
    assert without_nproc(["train", "--nproc=4", "--resume"]) == ["train", "--resume"]


def test_the_launcher_names_the_rank_that_ended_first_not_the_ones_that_lost_it():
    """Failure timestamps are whole seconds: a survivor that saw its peer die (LOST_STATUS) in the same second, or
    that the agent stopped (SIGTERM), is not the cause, whichever rank number it has."""
    from types import SimpleNamespace

    from strokeseg.errors import RankLost
    from strokeseg.training.launch import LOST_STATUS, _failure

    def failure(code: int, t: int = 100) -> SimpleNamespace:
        return SimpleNamespace(exitcode=code, timestamp=t, signal_name=lambda: signal.Signals(-code).name)

    cases = [
        ({0: failure(LOST_STATUS), 1: failure(-signal.SIGKILL)}, "rank 1 of 2 was killed by SIGKILL"),
        ({0: failure(-signal.SIGTERM), 1: failure(1), 2: failure(LOST_STATUS)}, "rank 1 of 3 stopped with exit status 1"),
        ({0: failure(1, 101), 1: failure(1, 100)}, "rank 1 of 2 stopped with exit status 1"),
        # a rank that caught the agent's SIGTERM exits 128 + 15 (the CI failure this case pins)
        ({0: failure(128 + signal.SIGTERM), 1: failure(-signal.SIGKILL)}, "rank 1 of 2 was killed by SIGKILL"),
    ]
    for failures, said in cases:
        with pytest.raises(RankLost, match=said):
            _failure(SimpleNamespace(failures=failures), len(failures))
    # every rank found the same input error (status 2): rank 0 has said it, and the status is passed on
    assert _failure(SimpleNamespace(failures={0: failure(2), 1: failure(2)}), 2) == 2
