"""Evaluate a folder of predicted label maps against a dataset's truth, and write the results."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import InputError, Message, Param
from strokeseg.evaluation.cohort import RegionSummary, summarise
from strokeseg.evaluation.matching import label_files, match_files
from strokeseg.evaluation.metrics import METRIC_NAMES, evaluate_labels
from strokeseg.io.atomic import write_text
from strokeseg.io.geometry import Geometry
from strokeseg.io.labels import LABEL_NAMES, Region, apply_label_map, format_unknown
from strokeseg.io.read import read_image
from strokeseg.io.records import SUMMARY_NAME, VOLUMES_SUFFIX, ReadoutRecord, VolumesRecord, record_text
from strokeseg.tables import csv_text, markdown_table, read_csv
from strokeseg.util.executors import ExecutorConfig
from strokeseg.util.progress import progress


@dataclass
class TruthCase:
    """One case's canonical truth labels ``(Z, Y, X)`` with its geometry, group and file."""

    case_id: str
    labels: np.ndarray
    geometry: Geometry
    group: str | None
    source: Path
    label_map: dict[int, int] | None = None  # raw → canonical values of ``source`` (None: canonical already)


@dataclass
class EvaluationResult:
    """Per-case rows, cohort summaries and what could not be matched or was warned about."""

    rows: list[dict[str, Any]]
    summaries: list[RegionSummary]
    regions: list[str]
    unmatched_pred: list[str] = field(default_factory=list)
    unmatched_truth: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id → {"prediction": path, "truth": path}
    protocol: str = "isles22"  # the lesion matching of the lesion-wise scores
    not_assessable: dict[str, dict[str, str]] = field(default_factory=dict)  # region → {case id: why its source cannot produce it}


@dataclass(frozen=True)
class ScoringOptions:
    """How prediction files are read and scored.

    Attributes:
        nonfinite: NaN/Inf voxels in a label file are an error (``error``) or background (``zero``).
        protocol: the lesion-wise matching, ``isles22`` (any overlap) or ``isles24`` (the ISLES'24
            evaluator: one to one at IoU ≥ 0.5).
    """

    nonfinite: str = "error"
    protocol: str = "isles22"


def evaluate_case_arrays(
    case_id: str,
    pred: np.ndarray,
    truth: np.ndarray,
    geometry: Geometry,
    regions: Sequence[Region | str],
    group: str | None = None,
    protocol: str = "isles22",
) -> list[dict[str, Any]]:
    """Rows (one per region) for one case; canonical label maps on one grid."""
    res = evaluate_labels(pred, truth, geometry.spacing_zyx, regions, protocol)
    return [{"case_id": case_id, "group": group or "", "region": reg, **m.as_dict()} for reg, m in res.items()]


def _read_pred(
    path: Path, truth: TruthCase, pred_label_map: Mapping[int, int] | None, warnings: list[str], nonfinite: str = "error"
) -> np.ndarray:
    vol = read_image(path, nonfinite, integers=True)
    warnings.extend(vol.notes)
    if vol.array.shape != truth.labels.shape:
        raise InputError(
            f"prediction grid {vol.geometry.describe()} differs from the truth's {truth.geometry.describe()} ({truth.source.name})", path
        )
    if not vol.geometry.same_grid(truth.geometry, atol=0.05):
        warnings.append(f"{path.name}: header geometry differs from the truth's; voxels compared as they are")
    lmap = dict(pred_label_map) if pred_label_map else {k: k for k in LABEL_NAMES}
    labels, unknown = apply_label_map(vol.array, lmap)
    if unknown:
        raise InputError(Message(f"{format_unknown(unknown)} are not canonical (0, 1, 2); ", Param("pred_label_map")), path)
    return labels


PHANTOM_TRUTH = ("strokeseg_truth", "label.nii.gz")


def phantom_truth(ref: Any) -> Path | None:
    """The strokeseg phantom's full truth (0/1/2 labels) beside a case, when it is there."""
    folder = getattr(ref, "folder", None)
    if folder is None:
        return None
    path = Path(folder).joinpath(*PHANTOM_TRUTH)
    return path if path.is_file() else None


TruthSet = tuple[list[TruthCase], list[Region], str]


def load_truth(truth: Path, layout: str | None, label_map: Mapping[int, int] | None, nonfinite: str = "error") -> TruthSet:
    """Truth label maps from a dataset folder (any layout), or from a plain folder of label files.

    Returns the cases, the regions the truth annotates, and where the truth came from (the layout's name).
    """
    from strokeseg.io.layouts import detect_layout

    if layout is None:
        try:
            layout = detect_layout(truth).name
        except InputError:
            return _truth_from_folder(truth, label_map, nonfinite)
    return _truth_from_dataset(truth, layout, label_map, nonfinite)


def _truth_from_dataset(truth: Path, layout: str, label_map: Mapping[int, int] | None, nonfinite: str) -> TruthSet:
    """The labels of a dataset's cases; the phantom's full truth (core and penumbra) when every case has it."""
    from strokeseg.io.layouts import open_dataset

    ds = open_dataset(truth, layout, label_map)
    cases = []
    full = label_map is None and all(phantom_truth(ref) is not None for ref in ds.cases)
    for ref in progress(ds.cases, desc="reading truth", unit="case"):
        path = phantom_truth(ref) if full else ref.label
        if path is None:
            continue
        vol = read_image(path, nonfinite, integers=True)
        labels, unknown = apply_label_map(vol.array, {k: k for k in LABEL_NAMES} if full else ds.label_map)
        if unknown:
            raise InputError(
                Message(
                    f"{format_unknown(unknown)} are outside the {ds.layout.name} label map {ds.label_map}; ",
                    Param("label_map"),
                    " to map them",
                ),
                path,
            )
        lmap = None if full else {int(k): int(v) for k, v in ds.label_map.items()}
        cases.append(TruthCase(ref.case_id, labels, vol.geometry, ref.clinical.get("group"), path, lmap))
    if not cases:
        raise InputError(f"no case of this {ds.layout.name} dataset has a ground-truth label", truth)
    if full:  # the phantom's own truth has core and penumbra, where the layout's label has only the core
        return cases, [Region.CORE, Region.PENUMBRA, Region.HYPOPERFUSED], f"{ds.layout.name} (phantom truth)"
    return cases, ds.regions, ds.layout.name


def _truth_from_folder(truth: Path, label_map: Mapping[int, int] | None, nonfinite: str) -> TruthSet:
    """A plain folder of label maps; a folder of binary masks is one lesion region (as ISLES'22/'24 score)."""
    lmap = dict(label_map) if label_map else {k: k for k in LABEL_NAMES}
    cases = []
    for cid, path in progress(sorted(label_files(truth).items()), desc="reading truth", unit="case"):
        vol = read_image(path, nonfinite, integers=True)
        labels, unknown = apply_label_map(vol.array, lmap)
        if unknown:
            raise InputError(Message(f"{format_unknown(unknown)} are not canonical (0, 1, 2); ", Param("label_map")), path)
        cases.append(TruthCase(cid, labels, vol.geometry, None, path, dict(label_map) if label_map else None))
    present = set(np.unique(np.concatenate([np.unique(c.labels) for c in cases])).tolist())
    if label_map is None and present <= {0, 1}:
        regions = [Region.LESION]
    elif present <= {0, 2}:
        regions = [Region.CORE]
    else:
        regions = [Region.CORE, Region.PENUMBRA, Region.HYPOPERFUSED]
    return cases, regions, "label folder"


def check_against_truth(case_id: str, geometry: Geometry, truth_cases: Sequence[TruthCase], source: Path | None) -> None:
    """Refuse a case that the truth lacks or whose grid differs from its truth's (before writing it)."""
    tc = next((c for c in truth_cases if c.case_id == case_id), None)
    if tc is None:
        raise InputError(Message(f"case {case_id} has no ground truth in the ", Param("truth", verb=""), " dataset"), source)
    if tc.labels.shape != geometry.shape:
        raise InputError(
            f"case {case_id}: grid {geometry.describe()} differs from the truth's {tc.geometry.describe()} ({tc.source.name})", source
        )


def evaluate_folder(
    pred_dir: str | Path,
    truth: str | Path,
    layout: str | None = None,
    label_map: Mapping[int, int] | None = None,
    pred_label_map: Mapping[int, int] | None = None,
    regions: Sequence[Region | str] | None = None,
    options: ScoringOptions = ScoringOptions(),
) -> EvaluationResult:
    """Score every prediction in ``pred_dir`` against the truth dataset or label folder ``truth``.

    ``options``: how NaN/Inf label voxels are treated and the lesion-matching protocol (ISLES'22 or '24).
    To spread the cases over worker processes, call :func:`load_truth` and :func:`evaluate_predictions`.
    """
    truth_set = load_truth(Path(truth), layout, label_map, options.nonfinite)
    return evaluate_predictions(Path(pred_dir), truth_set, pred_label_map, regions, options)


#: the volume a strokeseg record gives for each region; null there = the source cannot produce the region
VOLUME_KEYS = {Region.CORE: "core_ml", Region.PENUMBRA: "penumbra_ml", Region.HYPOPERFUSED: "hypoperfused_ml"}


def unproducible(path: Path, case_id: str) -> dict[Region, str]:
    """Regions the source of a prediction cannot produce, each with why, from the strokeseg record beside
    its labels (``<case>_volumes.json`` of ``predict``, else ``<case>_readout.json``): a core-only model
    gives no penumbra or hypoperfusion, an MRI read-out without perfusion no penumbra. No record: {}."""
    for name in (f"{case_id}_volumes.json", f"{case_id}_readout.json"):
        rec = path.parent / name
        if not rec.is_file():
            continue
        d: VolumesRecord | ReadoutRecord = (VolumesRecord if name.endswith(VOLUMES_SUFFIX) else ReadoutRecord).read(rec)
        if isinstance(d, VolumesRecord) and d.target:
            why = f"the model (target {d.target}) cannot produce it"
        elif isinstance(d, ReadoutRecord) and d.perfusion is False:
            why = "no perfusion imaging"
        else:
            why = "its source gives no such volume"
        return {r: why for r, key in VOLUME_KEYS.items() if key in d.present and getattr(d, key) is None}
    return {}


def _score_case(
    path: Path, tc: TruthCase, pred_label_map: Mapping[int, int] | None, regions: Sequence[Region], options: ScoringOptions
) -> tuple[list[dict[str, Any]], list[str]]:
    """One case's rows and reading warnings (a module-level task, so that it pickles for worker processes)."""
    warnings: list[str] = []
    pred = _read_pred(path, tc, pred_label_map, warnings, options.nonfinite)
    return evaluate_case_arrays(tc.case_id, pred, tc.labels, tc.geometry, regions, tc.group, options.protocol), warnings


def _score_all(
    matched: Mapping[str, Path],
    cases: Sequence[TruthCase],
    pred_label_map: Mapping[int, int] | None,
    regions: Mapping[str, Sequence[Region]],
    options: ScoringOptions,
    executor: ExecutorConfig | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows and warnings of every matched case (each scored on its ``regions``), in the truth's order; the
    first failing case's error is raised."""
    if executor is None or not executor.parallel or len(cases) < 2:
        rows: list[dict[str, Any]] = []
        warnings: list[str] = []
        for tc in progress(cases, desc="evaluating", unit="case"):
            r, w = _score_case(matched[tc.case_id], tc, pred_label_map, regions[tc.case_id], options)
            rows += r
            warnings += w
        return rows, warnings
    from strokeseg.util.executors import run_tasks

    calls = [(matched[tc.case_id], tc, pred_label_map, list(regions[tc.case_id]), options) for tc in cases]
    outcomes = {i: (res, exc) for i, res, exc in run_tasks(_score_case, calls, executor, retries=0)}
    errors = [exc for i in sorted(outcomes) if (exc := outcomes[i][1]) is not None]
    if errors:
        raise errors[0]
    return ([row for i in sorted(outcomes) for row in outcomes[i][0][0]], [w for i in sorted(outcomes) for w in outcomes[i][0][1]])


def _files(pred: Path, tc: TruthCase) -> dict[str, Any]:
    """Where a scored pair came from (absolute paths; the truth's label map when it is not canonical)."""
    out: dict[str, Any] = {"prediction": str(pred.resolve()), "truth": str(Path(tc.source).resolve())}
    if tc.label_map is not None:
        out["truth_label_map"] = {str(k): v for k, v in tc.label_map.items()}
    return out


def evaluate_predictions(
    pred_dir: Path,
    truth: tuple[list[TruthCase], list[Region], str],
    pred_label_map: Mapping[int, int] | None = None,
    regions: Sequence[Region | str] | None = None,
    options: ScoringOptions = ScoringOptions(),
    executor: ExecutorConfig | None = None,
) -> EvaluationResult:
    """Score the predictions in ``pred_dir`` against already loaded truth (:func:`load_truth`), the cases
    spread by ``executor`` (rows in the truth's order whichever executor ran them)."""
    truth_cases, default_regions, _ = truth
    regs = [Region.parse(r) if isinstance(r, str) else r for r in (regions or default_regions)]
    matched, extra = match_files(pred_dir, [c.case_id for c in truth_cases])
    if not matched:
        raise InputError(
            f"no prediction file matches any of the {len(truth_cases)} truth case ids (e.g. {truth_cases[0].case_id})", pred_dir
        )
    scored = [c for c in truth_cases if c.case_id in matched]
    absent = {c.case_id: unproducible(matched[c.case_id], c.case_id) for c in scored}
    per_case = {cid: [r for r in regs if r not in gone] for cid, gone in absent.items()}
    rows, warnings = _score_all(matched, scored, pred_label_map, per_case, options, executor)
    not_assessable = {r.value: {cid: gone[r] for cid, gone in absent.items() if r in gone} for r in regs}
    return EvaluationResult(
        rows=rows,
        summaries=summarise(rows),
        regions=[r.value for r in regs],
        unmatched_pred=[str(p.relative_to(pred_dir)) for p in extra],
        unmatched_truth=[c.case_id for c in truth_cases if c.case_id not in matched],
        warnings=warnings,
        files={c.case_id: _files(matched[c.case_id], c) for c in scored},
        protocol=options.protocol,
        not_assessable={r: cases for r, cases in not_assessable.items() if cases},
    )


# ------------------------------------------------------------------------------ writers
TABLE_METRICS = ("dice", "precision", "sensitivity", "hd", "hd95", "assd", "abs_vol_diff_ml", "lesion_f1")


def _num(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, np.generic):
        return x.item()
    return x


def rows_to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """``per_case.csv``: one row per case and region, missing metrics as empty cells."""
    cols = ["case_id", "group", "region", *METRIC_NAMES, "failure"]
    return csv_text(({k: ("" if _num(r.get(k)) is None else r.get(k)) for k in cols} for r in rows), cols)


def rows_from_csv(text: str) -> list[dict[str, Any]]:
    """The inverse of :func:`rows_to_csv`: metrics as floats (missing → NaN), ``failure`` as bool."""
    rows = []
    for r in read_csv(text):
        row: dict[str, Any] = {"case_id": r["case_id"], "group": r["group"], "region": r["region"], "failure": r.get("failure") == "True"}
        row.update({k: float(r[k]) if r.get(k) not in (None, "") else math.nan for k in METRIC_NAMES})
        rows.append(row)
    return rows


def summary_markdown(summaries: Sequence[RegionSummary], title: str = "Evaluation") -> str:
    """``summary.md``: one row per region and group, with how failures and distances are counted."""
    head = ["region", "group", "n", "failures", *TABLE_METRICS, "R² vol", "ISLES'15 score"]
    body = []
    for s in summaries:
        cells = [s.region, s.group, str(s.n_cases), str(s.n_failures)]
        cells += [s.metrics[m].fmt(3 if m in ("dice", "precision", "sensitivity", "lesion_f1") else 2) for m in TABLE_METRICS]
        cells += [f"{s.r2_volume:.3f}" if math.isfinite(s.r2_volume) else "n/a", f"{s.isles15_cohort_score:.3f}"]
        body.append(cells)
    lines = [f"## {title}", "", *markdown_table(head, body)]
    lines += [
        "",
        "Mean ± sample sd. Distances in mm, volumes in ml. A failure is a case where exactly one of",
        "prediction and truth is empty: its HD/HD95/ASSD are missing (shown as 'missing'), its Dice is 0,",
        "and it enters the cohort ISLES'15 score with HD = 200 mm.",
    ]
    return "\n".join(lines) + "\n"


def result_json(result: EvaluationResult) -> dict[str, Any]:
    """``summary.json``: regions, summaries, per-case rows, unmatched cases and warnings as plain JSON values."""

    def clean(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [clean(v) for v in obj]
        return _num(obj)

    out: dict[str, Any] = clean(
        {
            "regions": result.regions,
            "protocol": result.protocol,
            "summary": [s.to_dict() for s in result.summaries],
            "cases": result.rows,
            "unmatched_predictions": result.unmatched_pred,
            "truth_without_prediction": result.unmatched_truth,
            "warnings": result.warnings,
            "files": result.files,
            "not_assessable": result.not_assessable,
        }
    )
    return out


def not_assessable_lines(result: EvaluationResult) -> list[str]:
    """One line per region that some cases' sources cannot produce (not scored there, never a failure)."""
    out = []
    for region, cases in result.not_assessable.items():
        whys = "; ".join(sorted(set(cases.values())))
        out.append(f"{region}: n/a for {len(cases)} case(s), not scored: {whys} ({', '.join(sorted(cases))})")
    return out


def write_results(result: EvaluationResult, out_dir: str | Path, title: str = "Evaluation") -> list[Path]:
    """Write ``per_case.csv``, ``summary.md`` and ``summary.json`` into ``out_dir``, each atomically
    (callers that need the three to appear together write them into a staging folder)."""
    out_dir = Path(out_dir)
    md = summary_markdown(result.summaries, title)
    md += "".join(f"\n{line}\n" for line in not_assessable_lines(result))
    if result.unmatched_truth:
        md += f"\nTruth cases without a prediction ({len(result.unmatched_truth)}): {', '.join(result.unmatched_truth)}\n"
    if result.unmatched_pred:
        md += f"\nPrediction files matching no truth case ({len(result.unmatched_pred)}): {', '.join(result.unmatched_pred)}\n"
    write_text(out_dir / "per_case.csv", rows_to_csv(result.rows))
    write_text(out_dir / "summary.md", md)
    write_text(out_dir / SUMMARY_NAME, record_text("summary", result_json(result)))
    return [out_dir / n for n in ("per_case.csv", "summary.md", "summary.json")]
