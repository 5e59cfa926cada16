"""Cohorts on worker processes and Dask give the serial run's outputs; failures are retried, then reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strokeseg.errors import InputError, StrokesegError
from strokeseg.io.outputs import OutputMode, RunFolder
from strokeseg.util.executors import ExecutorConfig, ExecutorKind, run_tasks
from strokeseg.workflows.cases import run_cases

# wall-clock seconds, the worker's thread share, and the read-outs' input paths and command line (each run here
# reads its own maps folder)
VOLATILE = ("timings_s", "threads", "seconds", "inputs", "provenance")


def flaky(marker: str, value: int) -> int:
    """Fails the first time it is called for ``marker``, then returns ``value``."""
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError("worker lost")
    return value * 2


def write_or_fail(item: str, folder: Path) -> str:
    if item == "bad":
        raise InputError("this case is corrupt", item)
    (folder / "out.txt").write_text(item)
    return item


@pytest.mark.parametrize("kind", ["serial", "local"])
def test_a_failed_task_is_retried_once(tmp_path: Path, kind: str) -> None:
    calls = [(str(tmp_path / f"m{i}"), i) for i in range(3)]
    got = sorted((i, r, e) for i, r, e in run_tasks(flaky, calls, ExecutorConfig(ExecutorKind(kind), 2)))
    assert got == [(0, 0, None), (1, 2, None), (2, 4, None)]
    again = [(str(tmp_path / "never"), 1)]
    ((_i, r, e),) = run_tasks(flaky, again, ExecutorConfig(ExecutorKind(kind), 2), retries=0)
    assert r is None and isinstance(e, RuntimeError)


def test_executor_settings_are_checked() -> None:
    from strokeseg.errors import ConfigError

    with pytest.raises(ConfigError, match="executor"):
        ExecutorConfig("slurm")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="jobs"):
        ExecutorConfig(ExecutorKind.LOCAL, 0)
    with pytest.raises(ConfigError, match="scheduler"):
        ExecutorConfig(ExecutorKind.LOCAL, 2, "tcp://head:8786")
    assert not ExecutorConfig().parallel and ExecutorConfig(ExecutorKind.DASK, 2).parallel


def test_parallel_cases_keep_order_report_failures_and_resume(tmp_path: Path) -> None:
    items = [(c, c) for c in ("c1", "bad", "c3", "c4")]
    reported: list[StrokesegError] = []
    with RunFolder(tmp_path / "out", OutputMode.NEW) as run:
        res = run_cases(run, items, write_or_fail, "test", reported.append, ExecutorConfig(ExecutorKind.LOCAL, 2))
    assert res.results == ["c1", "c3", "c4"]  # input order, not completion order
    assert [c for c, _ in res.failed] == ["bad"] and "corrupt" in str(reported[0])
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["c1", "c3", "c4", "failures.json"]
    failures = json.loads((tmp_path / "out" / "failures.json").read_text(encoding="utf-8"))
    assert [f["case_id"] for f in failures] == ["bad"] and "corrupt" in failures[0]["error"]  # for the report
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".strokeseg-stage")]  # no staging left
    with RunFolder(tmp_path / "out", OutputMode.RESUME) as run:
        again = run_cases(
            run, [(c, c) for c in ("c1", "c3", "c4", "c5")], write_or_fail, "test", reported.append, ExecutorConfig(ExecutorKind.LOCAL, 2)
        )
    assert again.skipped == ["c1", "c3", "c4"] and again.results == ["c5"]
    assert json.loads((tmp_path / "out" / "failures.json").read_text(encoding="utf-8")) == []  # the rerun had none


def _tree(root: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in sorted(root.rglob("*")):
        if f.is_dir() or f.name.startswith(".strokeseg"):
            continue
        rel = str(f.relative_to(root))
        if f.suffix == ".json":
            data = json.loads(f.read_text(encoding="utf-8"))
            out[rel] = {k: v for k, v in data.items() if k not in VOLATILE} if isinstance(data, dict) else data
        else:
            out[rel] = f.read_bytes()
    return out


@pytest.mark.slow
def test_dask_and_local_cohorts_equal_the_serial_run(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="dask.distributed is a test dependency")
    from strokeseg.cli import main
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    cohort = tmp_path / "ph"
    write_phantom_cohort(cohort, CohortSpec(3, PhantomConfig(slices=4, matrix=(64, 64), frames=30), "isles2018", seed=9))
    runs = {}
    for kind in ("serial", "local", "dask"):
        assert main(["perfusion", str(cohort), "--out", str(tmp_path / f"maps_{kind}"), "--executor", kind, "--jobs", "2"]) == 0
        assert (
            main(["threshold", str(tmp_path / f"maps_{kind}"), "--out", str(tmp_path / f"thr_{kind}"), "--executor", kind, "--jobs", "2"])
            == 0
        )
        runs[kind] = (_tree(tmp_path / f"maps_{kind}"), _tree(tmp_path / f"thr_{kind}"))
    assert len(runs["serial"][0]) > 20  # every map, mask and JSON of three cases
    for kind in ("local", "dask"):
        assert runs[kind] == runs["serial"], kind  # NIfTI byte for byte; JSON up to the wall-clock fields


def test_data_warnings_survive_pickling() -> None:
    import pickle

    from strokeseg.diagnostics import DataWarning

    w = DataWarning("aif-low-peak", "the AIF peak is low", "/data/ctp.nii.gz")
    back = pickle.loads(pickle.dumps([w]))[0]
    assert isinstance(back, DataWarning) and back == w and back.to_dict() == w.to_dict()


def test_evaluate_on_workers_gives_the_serial_rows(tmp_path: Path) -> None:
    import numpy as np

    from strokeseg.evaluation.runner import evaluate_predictions, load_truth
    from strokeseg.io.geometry import isotropic
    from strokeseg.io.nifti import write_nifti
    from strokeseg.util.synthetic import irregular_blob

    rng = np.random.default_rng(5)
    (tmp_path / "pred").mkdir()
    (tmp_path / "truth").mkdir()
    g = isotropic((12, 40, 40), 2.0)
    for i in range(4):
        t = irregular_blob(g.shape, (6, 20, 20), rng.uniform(5, 12), rng, spacing=(2.0, 2.0, 2.0))
        p = np.roll(t, i, axis=2)
        write_nifti(tmp_path / "truth" / f"c{i}.nii.gz", t, g, dtype=np.uint8)
        write_nifti(tmp_path / "pred" / f"c{i}.nii.gz", p, g, dtype=np.uint8)
    truth = load_truth(tmp_path / "truth", None, None)
    serial = evaluate_predictions(tmp_path / "pred", truth)
    local = evaluate_predictions(tmp_path / "pred", truth, executor=ExecutorConfig(ExecutorKind.LOCAL, 2))
    assert [r["case_id"] for r in serial.rows] == ["c0", "c1", "c2", "c3"]
    assert json.dumps(local.rows, default=str) == json.dumps(serial.rows, default=str)


def test_cli_names_the_flag_of_a_bad_executor_setting(tmp_path: Path, capsys) -> None:
    from strokeseg.cli import main

    (tmp_path / "in").mkdir()
    args = ["--out", str(tmp_path / "o"), "--executor", "local", "--scheduler", "tcp://head:8786"]
    code = main(["perfusion", str(tmp_path / "in"), *args])
    err = capsys.readouterr().err
    assert code == 2 and "--scheduler needs the dask executor" in err and not (tmp_path / "o").exists()


def dies_once(marker: str, value: int) -> int:
    """Kills its own worker process (as the OOM killer or a crash in native code would) the first time."""
    import os
    import signal

    path = Path(marker)
    if value == 1 and not path.exists():
        path.write_text("died once")
        os.kill(os.getpid(), signal.SIGKILL)
    if value == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # every time
    return value * 10


@pytest.mark.parametrize("kind", ["local", "dask"])
def test_a_task_whose_worker_dies_is_retried_in_a_new_worker_and_the_others_are_kept(tmp_path: Path, kind: str) -> None:
    from strokeseg.util.executors import WorkerDied

    calls = [(str(tmp_path / f"m{i}"), i) for i in (0, 1, 3, 4)]
    got = sorted((i, r, e) for i, r, e in run_tasks(dies_once, calls, ExecutorConfig(ExecutorKind(kind), 2)))
    assert got == [(0, 0, None), (1, 10, None), (2, 30, None), (3, 40, None)]
    if kind == "local":  # a worker that dies on every try is a failed task; the others finish
        calls = [(str(tmp_path / "x"), 2), (str(tmp_path / "y"), 3), (str(tmp_path / "z"), 4)]
        got = sorted(run_tasks(dies_once, calls, ExecutorConfig(ExecutorKind.LOCAL, 2)), key=lambda o: o[0])
        assert [r for _, r, _ in got] == [None, 30, 40]
        assert isinstance(got[0][2], WorkerDied) and got[1][2] is None


def test_workers_end_when_the_main_process_is_killed(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys; from tests.workflows.test_executors import sleeper; "
        "from strokeseg.util.executors import ExecutorConfig, ExecutorKind, run_tasks; "
        f"list(run_tasks(sleeper, [({str(tmp_path)!r}, 0), ({str(tmp_path)!r}, 1)], ExecutorConfig(ExecutorKind.LOCAL, 2)))"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    main = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("pid*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    pids = [int(p.read_text()) for p in tmp_path.glob("pid*")]
    assert len(pids) == 2
    main.send_signal(signal.SIGKILL)
    main.wait()
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]]
    assert not alive, f"workers {alive} outlived the killed main process"


def sleeper(folder: str, i: int) -> int:
    import os
    import time

    Path(folder, f"pid{i}").write_text(str(os.getpid()))
    time.sleep(120)
    return i
