"""The clinical read-out: volumes, mismatch, hypoperfusion intensity ratio, eligibility."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from strokeseg.clinical.config import ThresholdConfig
from strokeseg.io.geometry import Geometry
from strokeseg.tables import csv_text

NOT_ASSESSABLE = "n/a (no perfusion)"
NO_TMAX = "n/a (no Tmax)"  # perfusion maps without Tmax (the ISLES'18 release): a core from rCBF, nothing else


def why_not_assessable(reference_cbf: float | None) -> str:
    """Why a core-only read-out has no Tmax, mismatch or verdicts: no Tmax map where CBF gave the core (its
    reference CBF is known), else no perfusion imaging at all."""
    return NO_TMAX if reference_cbf is not None else NOT_ASSESSABLE


@dataclass(frozen=True)
class Readout:
    """One case's numbers (volumes in ml).

    ``mismatch_ratio`` = hypoperfused / core (∞ when there is no core, ``None`` when neither);
    ``hir`` = Tmax>10 s volume / Tmax>6 s volume (``None`` without hypoperfusion). Without
    perfusion imaging (``perfusion`` False: an MRI case with DWI/ADC only) every quantity that
    needs Tmax — hypoperfused, penumbra, mismatch, Tmax > 10 s, HIR, DEFUSE-3, EXTEND — is
    ``None``: not assessable, never a guess.
    """

    core_ml: float | None
    hypoperfused_ml: float | None
    penumbra_ml: float | None
    mismatch_ratio: float | None
    tmax10_ml: float | None
    hir: float | None
    defuse3: bool | None
    extend: bool | None
    reference_cbf: float | None
    perfusion: bool = True
    unavailable: tuple[str, ...] = ()  # quantities the source cannot give (a core-only model: everything but the core)
    implausible: tuple[str, ...] = ()  # why the plausibility guard holds the verdicts back (clinical.plausibility)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("unavailable")
        d.pop("implausible")
        if self.unavailable:
            d["not_assessable"] = list(self.unavailable)
        if self.implausible:
            d["implausible"] = list(self.implausible)
        if d["mismatch_ratio"] is not None and math.isinf(d["mismatch_ratio"]):
            d["mismatch_ratio"] = "inf"
        return d


def with_implausible(readout: Readout, reasons: list[str]) -> Readout:
    """``readout`` with the plausibility guard's ``reasons``: the volumes stay (they are what was
    segmented), the DEFUSE-3 and EXTEND verdicts become not assessable."""
    if not reasons:
        return readout
    return replace(readout, defuse3=None, extend=None, implausible=(*readout.implausible, *reasons))


NEEDS_PERFUSION = ("hypoperfused_ml", "penumbra_ml", "mismatch_ratio", "tmax10_ml", "hir", "defuse3", "extend")


def compute_readout(
    core: np.ndarray,
    hypoperfused: np.ndarray,
    severe: np.ndarray,
    geometry: Geometry,
    cfg: ThresholdConfig | None = None,
    reference_cbf: float | None = None,
    perfusion: bool = True,
) -> Readout:
    """Read-out from the core, Tmax > 6 s and Tmax > 10 s masks (core ⊂ hypoperfused expected).

    ``perfusion`` False: the masks did not come from perfusion imaging; only the core is read out.
    """
    cfg = cfg or ThresholdConfig()
    v = geometry.voxel_volume_ml
    core_ml = float(core.sum() * v)
    if not perfusion:
        return Readout(core_ml, None, None, None, None, None, None, None, reference_cbf, perfusion=False, unavailable=NEEDS_PERFUSION)
    hyp_ml = float((hypoperfused | core).sum() * v)
    mismatch_ml = max(hyp_ml - core_ml, 0.0)
    ratio: float | None
    if core_ml > 0:
        ratio = hyp_ml / core_ml
    else:
        ratio = math.inf if hyp_ml > 0 else None
    sev_ml = float(severe.sum() * v)
    hir = sev_ml / hyp_ml if hyp_ml > 0 else None
    r = ratio if ratio is not None else 0.0
    defuse3 = core_ml < cfg.defuse3_core_ml and r >= cfg.defuse3_ratio and mismatch_ml >= cfg.defuse3_mismatch_ml
    extend = core_ml < cfg.extend_core_ml and r > cfg.extend_ratio and mismatch_ml > cfg.extend_mismatch_ml
    return Readout(core_ml, hyp_ml, mismatch_ml, ratio, sev_ml, hir, bool(defuse3), bool(extend), reference_cbf)


def readout_from_volumes(core_ml: float | None, hypoperfused_ml: float | None, cfg: ThresholdConfig | None = None) -> Readout:
    """The read-out of a segmentation that gives only region volumes (a learned model).

    A region the source cannot produce is ``None`` and every quantity that needs it is not
    assessable; Tmax > 10 s and the HIR always are (no model predicts them). DEFUSE-3 and EXTEND
    need both the core and the hypoperfused volume.
    """
    cfg = cfg or ThresholdConfig()
    fields = ("core_ml", "hypoperfused_ml", "penumbra_ml", "mismatch_ratio", "tmax10_ml", "hir", "defuse3", "extend")
    if core_ml is None or hypoperfused_ml is None:
        r = Readout(core_ml, hypoperfused_ml, None, None, None, None, None, None, None)
    else:
        hyp = max(hypoperfused_ml, core_ml)
        mismatch = max(hyp - core_ml, 0.0)
        ratio = hyp / core_ml if core_ml > 0 else (math.inf if hyp > 0 else None)
        rr = ratio if ratio is not None else 0.0
        defuse3 = core_ml < cfg.defuse3_core_ml and rr >= cfg.defuse3_ratio and mismatch >= cfg.defuse3_mismatch_ml
        extend = core_ml < cfg.extend_core_ml and rr > cfg.extend_ratio and mismatch > cfg.extend_mismatch_ml
        r = Readout(core_ml, hyp, mismatch, ratio, None, None, bool(defuse3), bool(extend), None)
    both = core_ml is not None and hypoperfused_ml is not None  # then a None ratio means "no lesion", not "n/a"
    missing = tuple(f for f in fields if getattr(r, f) is None and not (both and f == "mismatch_ratio"))
    return replace(r, unavailable=missing)


def _num(v: float | None, width: int, digits: int = 1) -> str:
    return f"{'n/a':>{width}}" if v is None else f"{v:{width}.{digits}f}"


def _yes(v: bool | None, width: int) -> str:
    return f"{'n/a' if v is None else 'yes' if v else 'no':>{width}}"


def _within(radius_mm: float) -> str:
    """How the DWI's contralateral twin is taken, for the thresholds line ("" for the mirror point itself)."""
    return f" (the brightest contralateral voxel within {radius_mm:g} mm)" if radius_mm > 0 else ""


def format_readout_table(rows: list[tuple[str, Readout]], cfg: ThresholdConfig | None) -> str:
    """The read-out as a fixed-width text table; with ``cfg``, a footer stating the thresholds used."""
    head = f"{'case':<22} {'core ml':>8} {'Tmax>6 ml':>10} {'mismatch ml':>12} {'ratio':>7} {'Tmax>10 ml':>11} {'HIR':>6}  DEFUSE-3  EXTEND"
    lines = [head, "-" * len(head)]
    for cid, r in rows:
        if not r.perfusion:
            lines.append(f"{cid:<22} {r.core_ml:8.1f}   Tmax, mismatch, HIR, DEFUSE-3, EXTEND: {why_not_assessable(r.reference_cbf)}")
            continue
        gone = set(r.unavailable)
        ratio = "—" if r.mismatch_ratio is None else ("∞" if math.isinf(r.mismatch_ratio) else f"{r.mismatch_ratio:.2f}")
        ratio = "n/a" if "mismatch_ratio" in gone else ratio
        hir = "n/a" if "hir" in gone else "—" if r.hir is None else f"{r.hir:.2f}"
        lines.append(
            f"{cid:<22} {_num(r.core_ml, 8)} {_num(r.hypoperfused_ml, 10)} {_num(r.penumbra_ml, 12)} {ratio:>7} "
            f"{_num(r.tmax10_ml, 11)} {hir:>6}  {_yes(r.defuse3, 8)}  {_yes(r.extend, 6)}"
        )
    if cfg is None:
        return "\n".join(lines)
    lines.append("")
    lines.append(
        f"thresholds: Tmax > {cfg.tmax_hypoperfused:g} s hypoperfused, Tmax > {cfg.tmax_severe:g} s severe, "
        f"core rCBF < {cfg.rcbf_core:.0%} (reference: {cfg.reference.value}) or, on MRI, (ADC < {cfg.adc_core:g}×10⁻⁶ mm²/s ∧ "
        f"DWI > {cfg.dwi_ratio:g}× healthy) ∨ (DWI > {cfg.dwi_subacute_ratio:g}× ∧ ADC < {cfg.subacute_adc_ratio:g}× healthy)"
        + (f" ∧ DWI > {cfg.dwi_asymmetry:g}× its mirror{_within(cfg.dwi_asymmetry_mm)}; " if cfg.dwi_asymmetry > 0 else "; ")
        + f"DEFUSE-3: core < {cfg.defuse3_core_ml:g} ml, ratio ≥ {cfg.defuse3_ratio:g}, mismatch ≥ "
        f"{cfg.defuse3_mismatch_ml:g} ml; "
        f"EXTEND: core < {cfg.extend_core_ml:g} ml, ratio > {cfg.extend_ratio:g}, mismatch > "
        f"{cfg.extend_mismatch_ml:g} ml"
    )
    return "\n".join(lines)


READOUT_CSV_FIELDS = (
    "case_id",
    "core_ml",
    "hypoperfused_ml",
    "penumbra_ml",
    "mismatch_ratio",
    "tmax10_ml",
    "hir",
    "defuse3",
    "extend",
    "reference_cbf",
    "maps",
)


def readout_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The cohort ``readout.csv``: one row per case read-out dict (as in ``<case>_readout.json``)."""
    return csv_text(rows, READOUT_CSV_FIELDS)
