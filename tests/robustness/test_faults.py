"""Kill signals at every write stage, and two runs on one --out.

A run killed by SIGTERM exits 143 with one line and leaves nothing half-written; one killed by
SIGKILL may leave temporaries, which the next run removes. Either way the next run with
``--resume`` ends with exactly the results of an uninterrupted run, and nothing corrupt is used.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from strokeseg.cli import main
from strokeseg.io.outputs import LOCK_NAME, MARKER_NAME
from tests.robustness.corpus import RECIPE, TINY_TRAIN

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _env(tmp: Path, single_thread: bool = False) -> dict[str, str]:
    """The killed process's environment. ``single_thread``: one BLAS/OpenMP/torch thread, so that reductions run in
    one order and every process computes the same bits (for commands whose reference also runs that way). Otherwise
    it takes this process's strokeseg thread count, the one the in-process references were computed with, instead
    of measuring the free cores itself (a different count gives other float bits)."""
    from strokeseg.util.threads import ENV, thread_count

    if single_thread:
        threads = dict.fromkeys(("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"), "1")
    else:
        threads = {ENV: str(thread_count())}
    return {
        **os.environ,
        **threads,
        "STROKESEG_QUIET": "1",
        "PYTHONPATH": str(REPO),
        "KILLER_READY": str(tmp / "ready"),
        "PYTHONIOENCODING": "utf-8",
    }


def killed(stage: str, n: int, sig: str, args: list[str], tmp: Path, wait: bool = True, single_thread: bool = False):
    cmd = [sys.executable, "-m", "tests.robustness.killer", stage, str(n), sig, "--", *map(str, args)]
    if not wait:
        return subprocess.Popen(
            cmd, cwd=REPO, env=_env(tmp, single_thread), stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8", errors="replace"
        )
    return subprocess.run(cmd, cwd=REPO, env=_env(tmp, single_thread), capture_output=True, encoding="utf-8", errors="replace", timeout=300)


def leftovers(out: Path) -> list[str]:
    return sorted(
        str(p.relative_to(out)) for p in out.rglob("*") if p.name.startswith(".staging-") or ".tmp" in p.name or p.name == LOCK_NAME
    )


def contents(out: Path) -> dict[str, object]:
    """Every result in ``out``, decoded (arrays for images, JSON without timings and thread counts, CSV text)."""
    import nibabel as nib

    got: dict[str, object] = {}
    for p in sorted(out.rglob("*")):
        rel = str(p.relative_to(out))
        if p.is_dir() or p.name == MARKER_NAME or any(part.startswith(".") for part in p.relative_to(out).parts):
            continue  # strokeseg's own marker, and the hidden temporaries a SIGKILL leaves (removed by the next run)
        if p.name.endswith(".nii.gz"):
            got[rel] = np.asanyarray(nib.load(str(p)).dataobj)
        elif p.suffix == ".json":
            got[rel] = _strip(json.loads(p.read_text(encoding="utf-8")))
        elif p.suffix in (".csv", ".md"):
            got[rel] = p.read_text(encoding="utf-8")
    return got


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if "seconds" not in k and "timings" not in k and k not in ("source", "threads")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _close(a, b) -> bool:
    """Equal results: labels and integers exactly; floats to 1e-5 (a map computed in another process
    may differ in the last bits, as BLAS reduction order follows the thread count)."""
    if isinstance(a, np.ndarray):
        if a.dtype.kind in "iub":
            return np.array_equal(a, b)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-5, atol=1e-5, equal_nan=True))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-5, atol=1e-6))
    return a == b


def same(a: dict, b: dict) -> list[str]:
    """The results that differ between two folders' :func:`contents`."""
    diff = sorted(set(a) ^ set(b))
    diff += [k for k in set(a) & set(b) if not _close(a[k], b[k])]
    return diff


COMMANDS = {
    "threshold": lambda a, out: ["threshold", a / "ph", "--out", out],
    "perfusion": lambda a, out: ["perfusion", a / "ph", "--out", out, "--smoothing-fwhm", "0"],
    "predict": lambda a, out: ["predict", "--model", a / "model", "--input", a / "ph", "--out", out],
}
STAGES = {"file": 2, "commit": 2, "summary": 1}


@pytest.fixture(scope="module")
def reference(corpus_assets, tmp_path_factory):
    """Each command's uninterrupted result, computed in a fresh process like the killed runs."""
    ref = {}
    for name, args in COMMANDS.items():
        tmp = tmp_path_factory.mktemp(f"ref-{name}")
        res = killed("none", 0, "none", args(corpus_assets, tmp / "out"), tmp, single_thread=True)
        assert res.returncode == 0, res.stderr
        ref[name] = contents(tmp / "out")
    return ref


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_killed_run_resumes_to_the_uninterrupted_result(command, stage, sig, corpus_assets, reference, tmp_path):
    out = tmp_path / "out"
    args = COMMANDS[command](corpus_assets, out)
    res = killed(stage, STAGES[stage], sig, args, tmp_path, single_thread=True)
    if sig == "SIGTERM":
        assert res.returncode == 143, res.stderr
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert lines == ["strokeseg: terminated (SIGTERM); no partial output was kept"], res.stderr
        assert not leftovers(out) if out.exists() else True
    else:
        assert res.returncode == -signal.SIGKILL
    if out.exists():  # whatever is there already is complete and correct
        now = contents(out)
        for k, v in now.items():
            assert k in reference[command], f"{k} is not a result of the uninterrupted run"
            assert _close(v, reference[command][k]), k
    res = killed("none", 0, "none", [*args, "--resume"], tmp_path, single_thread=True)
    assert res.returncode == 0, res.stderr
    assert not leftovers(out)
    assert not same(contents(out), reference[command])


def _weights(folder: Path) -> dict:
    import torch

    return {p.parent.name: torch.load(p, weights_only=True) for p in sorted(folder.glob("fold_*/weights.pt"))}


def _equal_weights(a: dict, b: dict) -> bool:
    import torch

    return a.keys() == b.keys() and all(a[k].keys() == b[k].keys() and all(torch.equal(a[k][n], b[k][n]) for n in a[k]) for k in a)


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize(("stage", "n"), [("checkpoint", 2), ("weights", 1), ("bundle", 1)])
def test_a_killed_training_resumes_bit_exact(stage, n, sig, corpus_assets, tmp_path, capsys):
    """Killed after a checkpoint, after a fold's weights, or just before bundle.json: resume is bit-exact."""
    out = tmp_path / "m"
    args = ["train", "--recipe", RECIPE, "--data", corpus_assets / "ph", "--out", out, *TINY_TRAIN]
    res = killed(stage, n, sig, args, tmp_path)
    assert res.returncode == (143 if sig == "SIGTERM" else -signal.SIGKILL), res.stderr
    assert not (out / "bundle.json").exists()  # never a usable bundle half-way
    code, _, err = _cli(capsys, "predict", "--model", out, "--input", corpus_assets / "ph", "--out", tmp_path / "p")
    assert code == 2 and "bundle.json missing" in err and not (tmp_path / "p").exists()
    code, _, err = _cli(capsys, *args, "--resume")
    assert code == 0, err
    assert not leftovers(out)
    ref = json.loads((corpus_assets / "model" / "bundle.json").read_text(encoding="utf-8"))
    got = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    assert (got["threshold"], got["min_size"]) == (ref["threshold"], ref["min_size"])
    assert [f["sha256"] for f in got["folds"]] == [f["sha256"] for f in ref["folds"]]
    assert _equal_weights(_weights(out), _weights(corpus_assets / "model"))


def test_a_retrain_killed_midway_never_yields_a_mixed_bundle(corpus_assets, tmp_path, capsys):
    out = tmp_path / "m"
    shutil.copytree(corpus_assets / "model", out)
    args = ["train", "--recipe", RECIPE, "--data", corpus_assets / "ph", "--out", out, *TINY_TRAIN, "--set", "seed=3", "--overwrite"]
    res = killed("weights", 1, "SIGKILL", args, tmp_path)  # fold 0 new, fold 1 not yet written
    assert res.returncode == -signal.SIGKILL
    code, _, err = _cli(capsys, "predict", "--model", out, "--input", corpus_assets / "ph", "--out", tmp_path / "p")
    assert code == 2 and "bundle.json missing" in err


def test_a_tampered_weights_file_is_refused_by_its_checksum(corpus_assets, tmp_path, capsys):
    out = tmp_path / "m"
    shutil.copytree(corpus_assets / "model", out)
    import torch

    sd = torch.load(out / "fold_1" / "weights.pt", weights_only=True)
    first = next(iter(sd))
    sd[first] = sd[first] + 1e-3
    torch.save(sd, out / "fold_1" / "weights.pt")
    code, _, err = _cli(capsys, "predict", "--model", out, "--input", corpus_assets / "ph", "--out", tmp_path / "p")
    assert code == 2 and "checksum" in err and "fold_1" in err


def test_a_second_run_on_the_same_out_is_refused(corpus_assets, tmp_path, capsys):
    out = tmp_path / "out"
    first = killed("commit", 1, "SLEEP", ["threshold", corpus_assets / "ph", "--out", out], tmp_path, wait=False)
    try:
        for _ in range(600):
            if (tmp_path / "ready").exists():
                break
            time.sleep(0.1)
        assert (tmp_path / "ready").exists(), first.stderr.read() if first.poll() is not None else "first run not ready"
        for extra in ([], ["--overwrite"], ["--resume"]):
            code, _, err = _cli(capsys, "threshold", corpus_assets / "ph", "--out", out, *extra)
            assert code == 2 and "another strokeseg run" in err, err
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
    assert first.returncode == 143, err
    assert not leftovers(out)
    code, _, err = _cli(capsys, "threshold", corpus_assets / "ph", "--out", out, "--resume")
    assert code == 0, err


def test_a_failing_case_keeps_the_finished_ones_and_says_so(corpus_assets, tmp_path, capsys):
    data = tmp_path / "ph"
    shutil.copytree(corpus_assets / "ph", data)
    victim = next(data.glob("case_2/SMIR.Brain.XX.O.CT_Tmax.*/*.nii"))
    victim.write_bytes(victim.read_bytes()[:600])
    code, _, err = _cli(capsys, "threshold", data, "--out", tmp_path / "o")
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 2 and victim.name in lines[0] and "1 of 3 cases failed" in lines[1]
    assert sorted(p.name for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")) == [
        "case_1",
        "case_3",
        "failures.json",
        "readout.csv",
        "thresholds.json",
    ]
    csv = (tmp_path / "o" / "readout.csv").read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[0] for r in csv[1:]] == ["case_1", "case_3"]  # the summary lists exactly what is there
    failed = json.loads((tmp_path / "o" / "failures.json").read_text(encoding="utf-8"))
    assert [f["case_id"] for f in failed] == ["case_2"] and victim.name in failed[0]["error"]  # for the report's list


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_overwrite_replaces_only_when_the_new_run_writes(corpus_assets, tmp_path, capsys):
    out = tmp_path / "o"
    code, _, _ = _cli(capsys, "threshold", corpus_assets / "ph", "--out", out)
    assert code == 0
    before = contents(out)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.csv").write_text("case_id,image:CT\nc1,missing.nii.gz\n", encoding="utf-8")
    code, _, err = _cli(capsys, "threshold", bad, "--out", out, "--overwrite")
    assert code == 2 and "missing.nii.gz" in err
    assert not same(contents(out), before) and not leftovers(out)  # the earlier results came back
    data = tmp_path / "one"
    shutil.copytree(corpus_assets / "ph", data)
    shutil.rmtree(data / "case_2")
    shutil.rmtree(data / "case_3")
    code, _, _ = _cli(capsys, "threshold", data, "--out", out, "--overwrite")
    assert code == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["case_1", "readout.csv", "thresholds.json"]


def test_a_failed_run_removes_the_parent_folders_it_created(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.csv").write_text("case_id,image:CT\nc1,missing.nii.gz\n", encoding="utf-8")
    code, _, _ = _cli(capsys, "threshold", bad, "--out", tmp_path / "a" / "b" / "out")
    assert code == 2 and not (tmp_path / "a").exists()
