"""Reading a run folder into what the report shows: the run's kind, its cases and their files and numbers.

A run folder is the ``--out`` of ``threshold``, ``predict``, ``perfusion``, ``evaluate`` or ``train``.
Nothing here computes a result: every number comes from the JSON/CSV the command wrote, so that
the page and the read-outs cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from strokeseg.errors import InputError
from strokeseg.io.outputs import MARKER_NAME, check_case_id
from strokeseg.io.records import (
    PERFUSION_NAME,
    READOUT_SUFFIX,
    SUMMARY_NAME,
    VOLUMES_SUFFIX,
    PerfusionRecord,
    ReadoutRecord,
    Record,
    SummaryRecord,
    VolumesRecord,
)
from strokeseg.tables import read_csv

_R = TypeVar("_R", bound=Record)
KINDS = ("threshold", "predict", "perfusion", "evaluate", "train")
MAPS = ("CBF", "CBV", "MTT", "Tmax", "TTP")
STRUCTURAL = ("CT", "NCCT", "DWI", "ADC", "FLAIR", "T1c", "T2")


@dataclass
class CaseView:
    """One case as the report sees it.

    Attributes:
        case_id: the case's id (its folder name).
        readout: ``<case>_readout.json`` (threshold, predict), or None.
        perfusion: ``perfusion.json`` of the maps shown (perfusion runs; threshold runs that computed maps), or None.
        volumes: ``<case>_volumes.json`` (predict), or None.
        metrics: the case's rows of the evaluation (one per region), empty without a ground truth.
        images: what to show, by name (``CT``, ``DWI``, ``CBF`` …, ``label``, ``probability``,
            ``variance``, ``entropy``, ``truth``, ``brain_mask``, ``aif_mask``) → file.
        truth_label_map: raw → canonical values of the ``truth`` file (None: already canonical).
        folder: the case's output folder, when it has one.
    """

    case_id: str
    readout: ReadoutRecord | None = None
    perfusion: PerfusionRecord | None = None
    volumes: VolumesRecord | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, Path] = field(default_factory=dict)
    truth_label_map: dict[int, int] | None = None
    folder: Path | None = None

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Every data warning of the case (read-out, maps, prediction), each once."""
        seen, out = set(), []
        found = [self.readout.warnings if self.readout else None, self.volumes.warnings if self.volumes else None]
        found += [self.perfusion.warnings, self.perfusion.data_warnings] if self.perfusion else []
        for ws in found:
            for w in ws or []:
                if isinstance(w, dict) and (w.get("code"), w.get("message")) not in seen:
                    seen.add((w.get("code"), w.get("message")))
                    out.append(w)
        return out

    @property
    def qc_flags(self) -> list[str]:
        """The perfusion QC checks that flagged."""
        return list(((self.perfusion.qc if self.perfusion else None) or {}).get("flagged", []))

    def metric(self, region: str, name: str) -> Any:
        """One metric of one region (None when absent)."""
        return next((r.get(name) for r in self.metrics if r.get("region") == region), None)


@dataclass
class RunView:
    """A run folder: its kind, marker, cases, failures and the run-level files."""

    kind: str
    root: Path
    marker: dict[str, Any]
    cases: list[CaseView]
    failures: list[dict[str, Any]] = field(default_factory=list)
    evaluation: SummaryRecord | None = None  # summary.json of the evaluation
    thresholds: dict[str, Any] | None = None
    bundle: dict[str, Any] | None = None
    regions: list[str] = field(default_factory=list)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", path) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to be a strokeseg record", path) from None


def _record(cls: type[_R], path: Path) -> _R | None:
    """A run record read through its schema (:mod:`strokeseg.io.records`); None when the file is absent."""
    return cls.read(path) if path.is_file() else None


def detect_kind(root: Path) -> str:
    """Which command wrote ``root`` (its marker; else the files it holds)."""
    marker = _json(root / MARKER_NAME) or {}
    if marker.get("command") in KINDS:
        return str(marker["command"])
    if (root / "bundle.json").exists():
        return "train"
    if (root / "volumes.json").exists():
        return "predict"
    if (root / "thresholds.json").exists():
        return "threshold"
    if (root / "per_case.csv").exists():
        return "evaluate"
    if any(root.glob("*/perfusion.json")) or (root / "perfusion.json").exists():
        return "perfusion"
    raise InputError(
        "not the output folder of threshold, predict, perfusion, evaluate or train (no strokeseg run marker or result files)", root
    )


def _existing(paths: dict[str, Any]) -> dict[str, Path]:
    return {k: Path(v) for k, v in paths.items() if v and Path(v).is_file()}


def _inputs(readout: ReadoutRecord | None) -> dict[str, Path]:
    images = ((readout.inputs if readout else None) or {}).get("images") or {}
    return _existing({k: v for k, v in images.items() if k in MAPS + STRUCTURAL})


def _evaluation_files(ev: SummaryRecord | None, cid: str) -> dict[str, Any]:
    return ((ev.files if ev else None) or {}).get(cid) or {}


def _attach_evaluation(case: CaseView, ev: SummaryRecord | None) -> None:
    if not ev:
        return
    case.metrics = [r for r in ev.cases if r.get("case_id") == case.case_id]
    files = _evaluation_files(ev, case.case_id)
    if files.get("truth") and Path(files["truth"]).is_file():
        case.images["truth"] = Path(files["truth"])
        lm = files.get("truth_label_map")
        case.truth_label_map = {int(k): int(v) for k, v in lm.items()} if lm else None


def _maps_folder(folder: Path) -> dict[str, Path]:
    out = _existing({m: folder / f"{m}.nii.gz" for m in MAPS})
    out.update(_existing({"brain_mask": folder / "brain_mask.nii.gz", "aif_mask": folder / "aif_mask.nii.gz"}))
    return out


def _threshold_or_predict_case(folder: Path, kind: str, ev: SummaryRecord | None) -> CaseView:
    cid = folder.name
    readout = _record(ReadoutRecord, folder / f"{cid}{READOUT_SUFFIX}")
    case = CaseView(cid, readout=readout, folder=folder)
    case.images.update(_inputs(readout))
    if (folder / "perfusion").is_dir():  # maps the threshold computed from the series
        case.perfusion = _record(PerfusionRecord, folder / "perfusion" / PERFUSION_NAME)
        case.images.update(_maps_folder(folder / "perfusion"))
    suffixes = {"label": "label", "probability": "prob", "variance": "variance", "entropy": "entropy"}
    case.images.update(_existing({k: folder / f"{cid}_{s}.nii.gz" for k, s in suffixes.items()}))
    if kind == "predict":
        case.volumes = _record(VolumesRecord, folder / f"{cid}{VOLUMES_SUFFIX}")
    _attach_evaluation(case, ev)
    return case


def _perfusion_case(folder: Path) -> CaseView:
    case = CaseView(folder.name, perfusion=_record(PerfusionRecord, folder / PERFUSION_NAME), folder=folder)
    case.images.update(_maps_folder(folder))
    case.images.update(_existing({"CT": folder / "baseline.nii.gz", "truth": folder / "label.nii.gz"}))
    return case


def _evaluate_cases(ev: SummaryRecord, source: Path) -> list[CaseView]:
    """The cases of an evaluation's ``summary.json``; their ids become page folders, so each must be a plain,
    unreserved name (:func:`check_case_id`)."""
    out = []
    rows = ev.cases  # a list of objects with a text case_id: the summary record's schema
    for cid in dict.fromkeys(check_case_id(r["case_id"], source) for r in rows):
        files = _evaluation_files(ev, cid)
        pred = Path(files["prediction"]) if files.get("prediction") else None
        readout = None
        if pred is not None:  # a prediction inside a threshold/predict run: its read-out names the images
            readout = _record(ReadoutRecord, pred.parent / f"{cid}{READOUT_SUFFIX}")
        case = CaseView(cid, readout=readout)
        case.images.update(_inputs(readout))
        if pred is not None and pred.is_file():
            case.images["label"] = pred
        _attach_evaluation(case, ev)
        out.append(case)
    return out


def collect_run(root: str | Path, kind: str | None = None, evaluation: Path | None = None) -> RunView:
    """Read a run folder (see the module docstring).

    ``kind`` names the command that wrote it (default: detected); ``evaluation`` is its evaluation's
    ``summary.json`` when that lies elsewhere (default: ``root/evaluation/summary.json``).

    Raises:
        InputError: the folder is missing, or is not a strokeseg run folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError("run folder not found", root)
    kind = kind or detect_kind(root)
    marker = _json(root / MARKER_NAME) or {}
    failures = _json(root / "failures.json") or []
    if kind == "train":
        cv = _record(SummaryRecord, root / "cv" / SUMMARY_NAME)
        return RunView(kind, root, marker, [], failures, cv, bundle=_json(root / "bundle.json"))
    ev_path = evaluation or root / (SUMMARY_NAME if kind == "evaluate" else f"evaluation/{SUMMARY_NAME}")
    ev = _record(SummaryRecord, ev_path)
    if kind == "evaluate":
        if ev is None:
            raise InputError("evaluation run without summary.json", root)
        cases = _evaluate_cases(ev, ev_path)
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in ("evaluation", "report"))
        if kind == "perfusion":
            cases = [_perfusion_case(f) for f in folders if (f / PERFUSION_NAME).exists()]
            if (root / PERFUSION_NAME).exists():  # a single series written at the top of --out
                cases.insert(0, _perfusion_case(root))
        else:
            cases = [_threshold_or_predict_case(f, kind, ev) for f in folders if (f / f"{f.name}{READOUT_SUFFIX}").exists()]
    bundle = None
    model = (marker.get("settings") or {}).get("model")
    if kind == "predict" and model:
        first = model[0] if isinstance(model, list) else model
        bundle = _json(Path(first) / "bundle.json")
    return RunView(kind, root, marker, cases, failures, ev, _json(root / "thresholds.json"), bundle, list(ev.regions if ev else []))


def read_log(path: Path) -> list[dict[str, str]]:
    """A fold's ``log.csv`` rows (empty when absent)."""
    try:
        return read_csv(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []


__all__ = ["KINDS", "CaseView", "RunView", "collect_run", "detect_kind", "read_log"]
