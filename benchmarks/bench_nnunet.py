"""Native nnU-Net inference against nnU-Net's own ``nnUNetPredictor`` on the CPU: same model, same
case, labels compared voxel for voxel, wall time and peak memory.

The model is realistic in size: nnU-Net's default planner (``ExperimentPlanner``) plans a
``3d_fullres`` configuration on the three real ISLES'22 cases in ``../shared`` (DWI + ADC,
112×112×72 at 2 mm), and the network it describes gets random weights (the speed does not depend
on them). Both sides then predict case 0001 with the default settings (step 0.5, Gaussian,
mirroring over the three axes) on 2 torch threads, each in its own process so that peak memory
(``ru_maxrss``) is the process's own:

* ``nnunetv2``: ``nnUNetPredictor.predict_from_files`` as ``nnUNetv2_predict`` runs it (3
  preprocessing and 3 export workers), from the input files to the label file;
* ``native``: ``strokeseg.inference.nnunet`` from the same files to labels and probabilities;
* ``native, batched mirrors``: the same with a tile's 8 mirrored copies in one forward pass;
* ``nnunetv2, freed memory kept`` and ``native, freed memory released``: each with the other's allocator
  setting (glibc keeping freed tensor memory for reuse, which strokeseg does by default), to show what
  that setting alone is worth;
* ``strokeseg predict``: the command line on the nnU-Net raw folder of the three real cases
  (``--model`` the results folder, case 0001 compared), whose ``lesion`` label becomes the core.

Then the other new paths on every real file: ``strokeseg export nnunet`` of each real dataset (and
whether nnunetv2's ``verify_dataset_integrity`` accepts the labelled ones), ``strokeseg predict`` with
nnU-Net folders on the real ISLES'22 cases, the ISLES'18 CT and the native-resolution grand-challenge
``.mha`` (the read-outs and what the plausibility guard says of them), and ``strokeseg evaluate`` of the
MRI threshold core of ``real/isles2022-bids`` under ``--protocol isles22`` and ``isles24``.

Needs the nnunet extra (``make nnunet-deps``). Writes ``docs/results/nnunet_inference.{json,md}``.

    .venv/bin/python benchmarks/bench_nnunet.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import REPO, peak_resident_mb, write_results

SHARED = Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared")) / "data"
CASES = {"0001": SHARED / "isles22", "0002": SHARED / "real" / "isles2022-bids", "0004": SHARED / "real" / "isles2022-bids"}
THREADS = 2
#: the runs: nnU-Net's predictor as users run it; the same with strokeseg's allocator setting (freed tensor
#: memory kept for reuse), to show what that setting alone is worth; strokeseg's native path as it runs by
#: default, without that setting, and with a tile's mirrors batched
#: each path runs this many times, interleaved; the table gives the fastest (and the JSON every time)
REPEATS = 2
KINDS = ("nnunetv2", "nnunetv2, freed memory kept", "native", "native, freed memory released", "batched")


def _case_files(case: str) -> tuple[Path, Path, Path]:
    root = CASES[case]
    stem = f"sub-strokecase{case}_ses-0001"
    ses = root / f"sub-strokecase{case}" / "ses-0001"
    return (
        ses / f"{stem}_dwi.nii.gz",
        ses / f"{stem}_adc.nii.gz",
        root / "derivatives" / f"sub-strokecase{case}" / "ses-0001" / f"{stem}_msk.nii.gz",
    )


def make_model(work: Path) -> tuple[Path, list[Path]]:
    """Plan 3d_fullres with nnU-Net's default planner on the real cases; random weights."""
    import torch

    raw = work / "raw" / "Dataset950_ISLES22real"
    for d in ("imagesTr", "labelsTr"):
        (raw / d).mkdir(parents=True)
    for case in CASES:
        dwi, adc, msk = _case_files(case)
        shutil.copy(dwi, raw / "imagesTr" / f"c{case}_0000.nii.gz")
        shutil.copy(adc, raw / "imagesTr" / f"c{case}_0001.nii.gz")
        shutil.copy(msk, raw / "labelsTr" / f"c{case}.nii.gz")
    meta = {"channel_names": {"0": "DWI", "1": "ADC"}, "labels": {"background": 0, "lesion": 1}, "numTraining": 3, "file_ending": ".nii.gz"}
    (raw / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    from nnunetv2.experiment_planning.plan_and_preprocess_api import extract_fingerprints, plan_experiments

    extract_fingerprints([950], num_processes=1)
    plan_experiments([950])
    plans = json.loads((work / "preprocessed" / "Dataset950_ISLES22real" / "nnUNetPlans.json").read_text(encoding="utf-8"))
    model = work / "results" / "nnUNetTrainer__nnUNetPlans__3d_fullres"
    (model / "fold_0").mkdir(parents=True)
    (model / "plans.json").write_text(json.dumps(plans), encoding="utf-8")
    (model / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    from strokeseg.inference.nnunet.folder import build_network, resolved_configuration

    torch.manual_seed(0)
    net = build_network(resolved_configuration(plans, "3d_fullres"), 2, 2)
    ckpt = {
        "network_weights": net.state_dict(),
        "init_args": {"configuration": "3d_fullres"},
        "trainer_name": "nnUNetTrainer",
        "inference_allowed_mirroring_axes": (0, 1, 2),
    }
    torch.save(ckpt, model / "fold_0" / "checkpoint_final.pth")
    return model, [raw / "imagesTr" / "c0001_0000.nii.gz", raw / "imagesTr" / "c0001_0001.nii.gz"]


def run_nnunetv2(model: Path, files: list[Path], out: Path) -> dict:
    from strokeseg.inference.nnunet.folder import load_nnunet_model
    from strokeseg.inference.nnunet.oracle import nnunetv2_predictor

    predictor = nnunetv2_predictor(load_nnunet_model(model))
    t0 = time.perf_counter()
    predictor.predict_from_files(
        [[str(f) for f in files]],
        str(out),
        save_probabilities=False,
        overwrite=True,
        num_processes_preprocessing=3,
        num_processes_segmentation_export=3,
    )
    return {"seconds": time.perf_counter() - t0, "labels": str(out / "c0001.nii.gz")}


def run_native(model: Path, files: list[Path], out: Path, batch: bool) -> dict:
    import numpy as np
    import SimpleITK as sitk

    from strokeseg.inference.nnunet.folder import load_nnunet_model
    from strokeseg.inference.nnunet.predictor import NnUNetRunConfig, export, fold_logits
    from strokeseg.inference.nnunet.preprocess import preprocess

    m = load_nnunet_model(model)
    t0 = time.perf_counter()
    imgs = [sitk.ReadImage(str(f)) for f in files]
    images = np.stack([sitk.GetArrayFromImage(i) for i in imgs]).astype(np.float32)
    spacing = list(imgs[0].GetSpacing())[::-1]
    t1 = time.perf_counter()
    pre = preprocess(images, spacing, m.plans, m.config)
    t2 = time.perf_counter()
    logits = fold_logits(m, pre.data, NnUNetRunConfig(batch_mirrors=batch))
    t3 = time.perf_counter()
    res = export(logits, pre, m)
    out.mkdir(parents=True, exist_ok=True)
    lab = sitk.GetImageFromArray(res.labels)
    lab.CopyInformation(imgs[0])
    sitk.WriteImage(lab, str(out / "c0001.nii.gz"))
    t4 = time.perf_counter()
    return {
        "seconds": t4 - t0,
        "labels": str(out / "c0001.nii.gz"),
        "tiles_shape": list(pre.data.shape),
        "steps_s": {"read": t1 - t0, "preprocess": t2 - t1, "networks": t3 - t2, "export_and_write": t4 - t3},
    }


def child(kind: str, model: str, files: list[str], out: str) -> None:
    import torch

    torch.set_num_threads(THREADS)
    fs = [Path(f) for f in files]
    if kind == "nnunetv2, freed memory kept":
        from strokeseg.util.memory import keep_freed_memory

        keep_freed_memory()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    if kind.startswith("nnunetv2"):
        res = run_nnunetv2(Path(model), fs, Path(out))
    else:
        res = run_native(Path(model), fs, Path(out), kind == "batched")
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    res["user_s"], res["system_s"] = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
    res["minor_page_faults"] = r1.ru_minflt - r0.ru_minflt
    res["peak_rss_mb"] = peak_resident_mb()  # the predicting process; nnunetv2's worker processes are not counted
    print("RESULT " + json.dumps(res))


def measure(kind: str, model: Path, files: list[Path], out: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(THREADS), "PYTHONPATH": str(REPO / "src")}
    env.pop("STROKESEG_KEEP_FREED_MEMORY", None)
    if kind == "native, freed memory released":
        env["STROKESEG_KEEP_FREED_MEMORY"] = "0"
    cmd = [sys.executable, __file__, "--child", kind, str(model), str(out), *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])


def _readouts(out: Path) -> dict:
    """Per case: the core (and hypoperfused) ml strokeseg printed and what its guard called implausible."""
    res = {}
    for f in sorted(out.glob("*/*_readout.json")):
        r = json.loads(f.read_text(encoding="utf-8"))
        res[r["case_id"]] = {
            "core_ml": r.get("core_ml"),
            "hypoperfused_ml": r.get("hypoperfused_ml"),
            "implausible": r.get("implausible", []),
        }
    return res


def run_cli(model: Path, data: Path, out: Path) -> dict:
    """``strokeseg predict DATA --model MODEL`` as a user runs it, timed as a whole, with its read-outs."""
    env = {**os.environ, "OMP_NUM_THREADS": str(THREADS), "STROKESEG_THREADS": str(THREADS), "PYTHONPATH": str(REPO / "src")}
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "strokeseg", "predict", str(data), "--model", str(model), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"strokeseg predict failed:\n{proc.stderr[-3000:]}")
    return {"seconds": time.perf_counter() - t0, "readouts": _readouts(out)}


#: every real dataset in ../shared/data, for the export
REAL = {
    "isles22 (case 0001)": SHARED / "isles22",
    "real/isles2022-bids (0002, 0004)": SHARED / "real" / "isles2022-bids",
    "real/isles2018 (case_1)": SHARED / "real" / "isles2018",
    "real/isles2024-vendor-maps": SHARED / "real" / "isles2024-vendor-maps",
    "real/isles2022-grand-challenge (.mha)": SHARED / "real" / "isles2022-grand-challenge",
    "real/unitobrain-dicom": SHARED / "real" / "unitobrain-dicom",
}


def export_every_real_dataset(work: Path) -> dict:
    """``strokeseg export nnunet`` on each real dataset: what it wrote (and nnunetv2's integrity check of the
    labelled ones) or the one line it refused with."""
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    from strokeseg.cli import main as cli

    res = {}
    for i, (name, data) in enumerate(REAL.items(), start=1):
        out, err = work / f"exp{i}", io.StringIO()
        with contextlib.redirect_stderr(err):
            code = cli(["export", "nnunet", str(data), "--out", str(out), "--id", str(100 + i), "--name", "Real", "--folds", "2"])
        if code != 0:
            res[name] = {"exit": code, "message": err.getvalue().strip().splitlines()[-1]}
            continue
        root = next(out.glob("Dataset*"))
        prov = json.loads((root / "strokeseg_provenance.json").read_text(encoding="utf-8"))
        row: dict = {
            "exit": 0,
            "channels": prov["channels"],
            "folds": prov["folds"],
            "splits": {c: v["split"] for c, v in prov["cases"].items()},
            "map_voxels_zeroed": {c: v["map_voxels_zeroed"] for c, v in prov["cases"].items()},
        }
        if (root / "imagesTr").is_dir():
            try:
                verify_dataset_integrity(str(root), 1)
                row["nnunetv2_integrity"] = "accepted"
            except Exception as exc:  # report what nnunetv2 said
                row["nnunetv2_integrity"] = f"refused: {exc}"
        res[name] = row
    return res


def real_paths(work: Path, mr_model: Path) -> dict:
    """The other new paths on the real files: the export of every dataset, ``predict`` with nnU-Net folders on
    the ISLES'18 CT (the tiny CT fixture model) and the native-resolution grand-challenge DWI/ADC (the random
    3d_fullres model), and both evaluation protocols on ``real/isles2022-bids``."""
    from strokeseg.cli import main as cli

    bids = SHARED / "real" / "isles2022-bids"
    out: dict = {"export": export_every_real_dataset(work)}
    ct_model = REPO / "tests" / "fixtures" / "nnunet" / "models" / "Dataset901_TinyCT" / "nnUNetTrainer_50epochs__nnUNetPlans__3d_fullres"
    out["predict_isles2018_tiny_ct_model"] = run_cli(ct_model, SHARED / "real" / "isles2018", work / "p18")
    out["predict_grand_challenge_random_mr_model"] = run_cli(mr_model, SHARED / "real" / "isles2022-grand-challenge", work / "pgc")
    assert cli(["threshold", str(bids), "--out", str(work / "thr")]) == 0
    for protocol in ("isles22", "isles24"):
        assert (
            cli(["evaluate", str(work / "thr"), "--truth", str(bids), "--out", str(work / f"ev_{protocol}"), "--protocol", protocol]) == 0
        )
        rows = json.loads((work / f"ev_{protocol}" / "summary.json").read_text(encoding="utf-8"))["cases"]
        out[protocol] = {
            r["case_id"]: {k: r[k] for k in ("dice", "lesion_f1", "n_lesions_true", "n_lesions_pred", "lesion_count_diff")} for r in rows
        }
    return out


def _readout_cell(r: dict) -> str:
    core = "n/a" if r["core_ml"] is None else f"{r['core_ml']:.1f}"
    return f"core {core} ml; implausible: {'; '.join(r['implausible']) or 'none'}"


def real_files_markdown(real: dict, cli: dict) -> str:
    """The real-file rows: what each export did, and what predict printed on the real cases."""
    lines = ["`strokeseg export nnunet` on every real dataset (`--folds 2`):", "", "| data | result |", "|---|---|"]
    for name, r in real["export"].items():
        if r["exit"] != 0:
            lines.append(f"| {name} | refused: {r['message']} |")
        else:
            splits = ", ".join(sorted(set(r["splits"].values())))
            integrity = f"; nnunetv2: {r['nnunetv2_integrity']}" if "nnunetv2_integrity" in r else ""
            zeroed = sum(r["map_voxels_zeroed"].values())
            lines.append(f"| {name} | {', '.join(r['channels'])} → {splits}; folds {r['folds']}; map voxels zeroed {zeroed}{integrity} |")
    lines += [
        "",
        "`strokeseg predict --model <nnU-Net folder>` on real cases (meaningless weights: what matters is that it runs, "
        "keeps the geometry, and that the guard flags what is implausible):",
        "",
        "| run | s | per case |",
        "|---|---|---|",
    ]
    runs = {
        "3 real ISLES'22 cases, random 3d_fullres": cli,
        "ISLES'18 case_1 CT, tiny synthetic-CT fixture model": real["predict_isles2018_tiny_ct_model"],
        "grand-challenge .mha DWI/ADC (not skull-stripped), random 3d_fullres": real["predict_grand_challenge_random_mr_model"],
    }
    for name, r in runs.items():
        cells = "<br>".join(f"{c}: {_readout_cell(v)}" for c, v in r["readouts"].items())
        lines.append(f"| {name} | {r['seconds']:.1f} | {cells} |")
    return "\n".join(lines)


def where_the_time_goes(runs: dict) -> str:
    """One paragraph from the runs: the forward passes' share, the page faults, and each path with the other's
    allocator setting."""
    nn, kept = runs["nnunetv2"], runs["nnunetv2, freed memory kept"]
    nat, rel = runs["native"], runs["native, freed memory released"]
    return (
        f"Where the time goes: nearly all of it is the network's forward passes (native: {nat['steps_s']['networks']:.1f} of "
        f"{nat['seconds']:.1f} s). As users run it, nnUNetPredictor takes {nn['minor_page_faults'] / 1e6:.1f} M page faults "
        f"and {nn['system_s']:.0f} s of system CPU time: glibc returns every freed layer output to the system and each "
        "new one is faulted in and zero-filled again. strokeseg keeps freed memory for reuse "
        f"(`strokeseg.util.memory.keep_freed_memory`): native {nat['minor_page_faults'] / 1e6:.1f} M faults, "
        f"{nat['system_s']:.1f} s system time. With the allocator settings swapped, nnUNetPredictor keeping freed memory "
        f"runs in {kept['seconds']:.1f} s ({kept['speedup_vs_nnunetv2']:.2f}×, labels differing: {kept['differing_labels']}), "
        f"and the native path releasing it in {rel['seconds']:.1f} s ({rel['speedup_vs_nnunetv2']:.2f}×): "
        f"native against nnUNetPredictor on equal allocators, {kept['seconds'] / nat['seconds']:.2f}× (both keeping) "
        f"and {nn['seconds'] / rel['seconds']:.2f}× (both releasing). The allocator setting changes no arithmetic "
        "(`tests/inference/nnunet/test_native.py` checks the probabilities with it on); batching a tile's mirrors "
        "changes the convolutions' rounding."
    )


def _labels(path: str):
    import SimpleITK as sitk

    return sitk.GetArrayFromImage(sitk.ReadImage(path))


def measure_all() -> dict:
    """Plan the model, run every path, and return the results (the JSON's content)."""
    import numpy as np

    work = Path(tempfile.mkdtemp(prefix="bench-nnunet-"))
    for k in ("raw", "preprocessed", "results"):
        (work / k).mkdir()
    os.environ.update(nnUNet_raw=str(work / "raw"), nnUNet_preprocessed=str(work / "preprocessed"), nnUNet_results=str(work / "results"))
    model, files = make_model(work)
    plans = json.loads((model / "plans.json").read_text(encoding="utf-8"))["configurations"]["3d_fullres"]
    runs: dict[str, dict] = {}
    for _ in range(REPEATS):  # interleaved, so that a slow spell of the machine touches every path alike
        for kind in KINDS:
            r = measure(kind, model, files, work / ("out_" + "_".join(kind.replace(",", "").split())))
            print(kind, f"{r['seconds']:.1f} s", file=sys.stderr)
            seconds = [*runs.get(kind, {}).get("seconds_each", []), r["seconds"]]
            if kind not in runs or r["seconds"] < runs[kind]["seconds"]:
                runs[kind] = r
            runs[kind]["seconds_each"] = seconds
    ref = _labels(runs["nnunetv2"]["labels"])
    cli = run_cli(model, files[0].parents[1], work / "out_cli")
    cli_labels = _labels(str(work / "out_cli" / "c0001" / "c0001_label.nii.gz"))
    cli["differing_labels_lesion_as_core"] = int(((cli_labels == 2) != (ref == 1)).sum()) + int((cli_labels == 1).sum())
    data = {
        "case": "ISLES'22 sub-strokecase0001 (DWI+ADC, 112x112x73, 2 mm)",
        "threads": THREADS,
        "patch_size": plans["patch_size"],
        "features_per_stage": plans["architecture"]["arch_kwargs"]["features_per_stage"],
        "runs": {},
    }
    for kind, r in runs.items():
        diff = int((_labels(r["labels"]) != ref).sum())
        data["runs"][kind] = {**r, "differing_labels": diff, "speedup_vs_nnunetv2": runs["nnunetv2"]["seconds"] / r["seconds"]}
    data["strokeseg_predict_cli"] = cli
    data["nnunetv2_label_counts"] = {str(k): int(v) for k, v in zip(*np.unique(ref, return_counts=True))}
    data["real_files"] = real_paths(work, model)
    shutil.rmtree(work, ignore_errors=True)
    return data


def render(data: dict) -> str:
    """The results page's body from the JSON's content."""
    rows = [
        f"| {kind} | {r['seconds']:.1f} | {r['speedup_vs_nnunetv2']:.2f}× | {r['differing_labels']} | {r['peak_rss_mb']:.0f} "
        f"| {r['user_s']:.0f} / {r['system_s']:.1f} | {r['minor_page_faults'] / 1e6:.2f} |"
        for kind, r in data["runs"].items()
    ]
    cli, real = data["strokeseg_predict_cli"], data["real_files"]
    rows.append(
        f"| strokeseg predict (3 real cases, whole command) | {cli['seconds']:.1f} | – | "
        f"{cli['differing_labels_lesion_as_core']} (case 0001, lesion → core) | – | – | – |"
    )
    steps = data["runs"]["native"]["steps_s"]
    table = (
        f"Case: {data['case']}; nnU-Net's default 3d_fullres plan (patch {data['patch_size']}, features "
        f"{data['features_per_stage']}), random weights; {data['threads']} torch threads, CPU.\n\n"
        f"| path | wall s (best of {REPEATS}) | speed vs nnUNetPredictor | labels differing from nnunetv2 "
        "| peak RSS MB (predicting process) "
        "| CPU s user / system | minor page faults (M) |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\nNative time per step (s): "
        + ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
        + f"; labels identical: {'yes' if data['runs']['native']['differing_labels'] == 0 else 'no'}"
        + f" (nnunetv2's label counts, random weights: {data['nnunetv2_label_counts']})."
    )
    table += "\n\n" + where_the_time_goes(data["runs"])
    table += "\n\n" + real_files_markdown(real, cli)
    table += (
        "\n\nThe MRI threshold core of real/isles2022-bids scored under both protocols (lesion F1, lesions truth/predicted):\n\n"
        "| case | Dice | lesion F1 isles22 | lesion F1 isles24 | lesions truth / predicted |\n|---|---|---|---|---|\n"
        + "\n".join(
            f"| {c} | {r['dice']:.3f} | {r['lesion_f1']:.3f} | {real['isles24'][c]['lesion_f1']:.3f} | "
            f"{r['n_lesions_true']} / {r['n_lesions_pred']} |"
            for c, r in real["isles22"].items()
        )
    )
    return table


def main() -> None:
    """Measure and write the results; ``--render`` rewrites the page from the JSON already written."""
    if "--render" in sys.argv[1:]:
        data = json.loads((REPO / "docs" / "results" / "nnunet_inference.json").read_text(encoding="utf-8"))
    else:
        data = measure_all()
    table = render(data)
    write_results("nnunet_inference", data, "Native nnU-Net inference vs nnUNetPredictor (CPU)", table, "bench_nnunet.py")
    print(table)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[5:], sys.argv[4])
    else:
        main()
