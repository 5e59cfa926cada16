"""Trial eligibility verdicts with the rule and the numbers that decided each.

* **DEFUSE-3** (Albers 2018, imaging criteria): core < 70 ml, mismatch ratio ≥ 1.8 and mismatch
  volume ≥ 15 ml (hypoperfusion = Tmax > 6 s).
* **EXTEND** (Ma 2019, imaging criteria): core < 70 ml, mismatch ratio > 1.2 and mismatch > 10 ml.
* **DAWN** (Nogueira 2018, clinical–core mismatch; age ≥ 18): group A — age ≥ 80, NIHSS ≥ 10,
  core < 21 ml; group B — age < 80, NIHSS ≥ 10, core < 31 ml; group C — age < 80, NIHSS ≥ 20,
  core 31 to < 51 ml. DAWN needs no perfusion (its core may come from ADC), but it needs age and
  NIHSS: without them it is not assessable.

The thresholds of DEFUSE-3 and EXTEND come from :class:`~strokeseg.clinical.config.ThresholdConfig`;
a verdict is ``True`` / ``False`` or ``None`` (not assessable, with the reason). It is the verdict on
the criteria strokeseg can assess (imaging; for DAWN also age and NIHSS), never an eligibility: each
verdict lists the trial's other clinical criteria (:data:`CLINICAL_CRITERIA`: time since last known
well, pre-stroke mRS, occlusion site) as met, not met or not assessed, from the values given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from strokeseg.clinical.config import ThresholdConfig


@dataclass(frozen=True)
class Patient:
    """What the trials ask of a patient besides imaging; None where not given.

    Attributes:
        age: years.
        nihss: admission NIHSS, points.
        onset_h: hours from last known well (or symptom onset) to imaging.
        mrs: pre-stroke modified Rankin Scale, 0–6.
    """

    age: float | None = None
    nihss: float | None = None
    onset_h: float | None = None
    mrs: float | None = None


#: the names of :class:`Patient`'s values
PATIENT_FIELDS = tuple(f.name for f in fields(Patient))


def given_values(patient: Patient | None) -> dict[str, float]:
    """The values ``patient`` gives (none for None)."""
    return {k: v for k in PATIENT_FIELDS if patient is not None and (v := getattr(patient, k)) is not None}


#: each trial's clinical inclusion criteria besides its imaging rule: (words, Patient field or None
#: when strokeseg has no input for it, low, high); DEFUSE-3: Albers 2018; EXTEND: Ma 2019 (onset or
#: the midpoint of sleep); DAWN: Nogueira 2018 (its age and NIHSS are in its core rule)
CLINICAL_CRITERIA: dict[str, tuple[tuple[str, str | None, float | None, float | None], ...]] = {
    "DEFUSE-3": (
        ("age 18–90 years", "age", 18.0, 90.0),
        ("NIHSS ≥ 6", "nihss", 6.0, None),
        ("6–16 h from last known well", "onset_h", 6.0, 16.0),
        ("pre-stroke mRS 0–2", "mrs", 0.0, 2.0),
        ("ICA or M1 occlusion", None, None, None),
    ),
    "EXTEND": (
        ("age ≥ 18 years", "age", 18.0, None),
        ("NIHSS 4–26", "nihss", 4.0, 26.0),
        ("4.5–9 h from onset or the midpoint of sleep", "onset_h", 4.5, 9.0),
        ("pre-stroke mRS 0–1", "mrs", 0.0, 1.0),
    ),
    "DAWN": (
        ("6–24 h from last known well", "onset_h", 6.0, 24.0),
        ("pre-stroke mRS 0–1", "mrs", 0.0, 1.0),
        ("ICA or M1 occlusion", None, None, None),
    ),
}


def clinical_criteria(trial: str, patient: Patient) -> tuple[dict[str, Any], ...]:
    """``trial``'s clinical criteria, each ``{"criterion", "status": met | not met | not assessed, "value"}``."""
    out = []
    for words, name, lo, hi in CLINICAL_CRITERIA.get(trial, ()):
        value = getattr(patient, name) if name else None
        if value is None:
            status = "not assessed" if name else "not assessed (not an input of strokeseg)"
        else:
            status = "met" if (lo is None or value >= lo) and (hi is None or value <= hi) else "not met"
        out.append({"criterion": words, "status": status, "value": value})
    return tuple(out)


#: what each trial's verdict covers
SCOPE = {"DEFUSE-3": "imaging", "EXTEND": "imaging", "DAWN": "clinical–core"}


@dataclass(frozen=True)
class Verdict:
    """One trial's verdict.

    Attributes:
        trial: ``DEFUSE-3``, ``EXTEND`` or ``DAWN``.
        eligible: True, False, or None when not assessable.
        rule: the criteria in words, with their thresholds.
        numbers: the values the rule was applied to (ml, ratio, years, NIHSS points).
        reason: why the verdict is what it is (the criterion that failed, the group met, or what is missing).
        clinical: the trial's other clinical criteria (:func:`clinical_criteria`), not part of ``eligible``.
    """

    trial: str
    eligible: bool | None
    rule: str
    numbers: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    clinical: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        nums = {k: ("inf" if isinstance(v, float) and math.isinf(v) else v) for k, v in self.numbers.items()}
        return {
            "trial": self.trial,
            "eligible": self.eligible,
            "scope": SCOPE.get(self.trial, "imaging"),
            "rule": self.rule,
            "numbers": nums,
            "reason": self.reason,
            "clinical": [dict(c) for c in self.clinical],
        }

    @property
    def text(self) -> str:
        """``imaging criteria met`` / ``… not met`` (``clinical–core`` for DAWN) / ``not assessable``: never "eligible",
        which needs the clinical criteria too."""
        scope = SCOPE.get(self.trial, "imaging")
        return "not assessable" if self.eligible is None else f"{scope} criteria met" if self.eligible else f"{scope} criteria not met"


def _f(v: Any) -> float | None:
    if v is None or v == "":
        return None
    if v == "inf":
        return math.inf
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _mismatch_rule(core_max: float, ratio_min: float, mm_min: float, strict: bool) -> str:
    op = ">" if strict else "≥"
    return f"core < {core_max:g} ml, mismatch ratio {op} {ratio_min:g}, mismatch volume {op} {mm_min:g} ml (Tmax > 6 s)"


def _mismatch_trial(trial: str, readout: Mapping[str, Any], core_max: float, ratio_min: float, mm_min: float, strict: bool) -> Verdict:
    op = ">" if strict else "≥"
    rule = _mismatch_rule(core_max, ratio_min, mm_min, strict)
    core, hyp, mm = _f(readout.get("core_ml")), _f(readout.get("hypoperfused_ml")), _f(readout.get("penumbra_ml"))
    if core is None or hyp is None or mm is None:
        missing = "the source gives no hypoperfused volume"
        if readout.get("perfusion") is False:  # perfusion maps without Tmax still gave the core (its reference CBF)
            missing = "no Tmax map" if readout.get("reference_cbf") is not None else "no perfusion imaging"
        return Verdict(trial, None, rule, {"core_ml": core}, f"not assessable: {missing}")
    ratio = _f(readout.get("mismatch_ratio"))
    if ratio is None:  # neither core nor hypoperfusion
        ratio = 0.0
    nums = {"core_ml": core, "mismatch_ratio": ratio, "mismatch_ml": mm}
    fails = []
    if not core < core_max:
        fails.append(f"core {core:.1f} ml ≥ {core_max:g} ml")
    if not (ratio > ratio_min if strict else ratio >= ratio_min):
        fails.append(f"ratio {'∞' if math.isinf(ratio) else f'{ratio:.2f}'} not {op} {ratio_min:g}")
    if not (mm > mm_min if strict else mm >= mm_min):
        fails.append(f"mismatch {mm:.1f} ml not {op} {mm_min:g} ml")
    reason = "; ".join(fails) if fails else "all imaging criteria met"
    return Verdict(trial, not fails, rule, nums, reason)


DAWN_RULE = (
    "age ≥ 18; A: age ≥ 80, NIHSS ≥ 10, core < 21 ml; B: age < 80, NIHSS ≥ 10, core < 31 ml; C: age < 80, NIHSS ≥ 20, core 31 to < 51 ml"
)


def dawn(core_ml: float | None, age: float | None, nihss: float | None) -> Verdict:
    """The DAWN clinical–core mismatch verdict (group A, B or C; see the module docstring)."""
    nums = {"core_ml": core_ml, "age": age, "nihss": nihss}
    missing = [n for n, v in (("core", core_ml), ("age", age), ("NIHSS", nihss)) if v is None]
    if missing:
        return Verdict("DAWN", None, DAWN_RULE, nums, f"not assessable: no {' or '.join(missing)}")
    assert core_ml is not None and age is not None and nihss is not None
    if age < 18:
        return Verdict("DAWN", False, DAWN_RULE, nums, f"age {age:g} < 18")
    if age >= 80:
        ok = nihss >= 10 and core_ml < 21
        why = "group A met" if ok else f"age ≥ 80 needs NIHSS ≥ 10 and core < 21 ml (NIHSS {nihss:g}, core {core_ml:.1f} ml)"
        return Verdict("DAWN", ok, DAWN_RULE, {**nums, "group": "A" if ok else None}, why)
    if nihss >= 10 and core_ml < 31:
        return Verdict("DAWN", True, DAWN_RULE, {**nums, "group": "B"}, "group B met")
    if nihss >= 20 and 31 <= core_ml < 51:
        return Verdict("DAWN", True, DAWN_RULE, {**nums, "group": "C"}, "group C met")
    return Verdict(
        "DAWN",
        False,
        DAWN_RULE,
        {**nums, "group": None},
        f"age < 80 needs NIHSS ≥ 10 with core < 31 ml, or NIHSS ≥ 20 with core 31–51 ml (NIHSS {nihss:g}, core {core_ml:.1f} ml)",
    )


def verdicts(
    readout: Mapping[str, Any],
    age: float | None = None,
    nihss: float | None = None,
    cfg: ThresholdConfig | None = None,
    patient: Patient | None = None,
) -> list[Verdict]:
    """DEFUSE-3, EXTEND and DAWN for a read-out dict (as in ``<case>_readout.json``), each with the
    trial's clinical criteria from ``patient`` (its age and NIHSS replaced by ``age``/``nihss`` when given)."""
    p = patient or Patient()
    p = Patient(age if age is not None else p.age, nihss if nihss is not None else p.nihss, p.onset_h, p.mrs)
    return [replace(v, clinical=clinical_criteria(v.trial, p)) for v in _imaging_verdicts(readout, p.age, p.nihss, cfg)]


def _imaging_verdicts(readout: Mapping[str, Any], age: float | None, nihss: float | None, cfg: ThresholdConfig | None) -> list[Verdict]:
    cfg = cfg or ThresholdConfig()
    implausible = readout.get("implausible") or []
    if implausible:
        why = "not assessable: implausible read-out (" + "; ".join(str(r) for r in implausible) + ")"
        rules = [
            ("DEFUSE-3", _mismatch_rule(cfg.defuse3_core_ml, cfg.defuse3_ratio, cfg.defuse3_mismatch_ml, strict=False)),
            ("EXTEND", _mismatch_rule(cfg.extend_core_ml, cfg.extend_ratio, cfg.extend_mismatch_ml, strict=True)),
            ("DAWN", DAWN_RULE),
        ]
        return [Verdict(t, None, rule, {"core_ml": _f(readout.get("core_ml"))}, why) for t, rule in rules]
    return [
        _mismatch_trial("DEFUSE-3", readout, cfg.defuse3_core_ml, cfg.defuse3_ratio, cfg.defuse3_mismatch_ml, strict=False),
        _mismatch_trial("EXTEND", readout, cfg.extend_core_ml, cfg.extend_ratio, cfg.extend_mismatch_ml, strict=True),
        dawn(_f(readout.get("core_ml")), age, nihss),
    ]


def clinical_numbers(clinical: dict[str, Any], age: float | None = None, nihss: float | None = None) -> tuple[float | None, float | None]:
    """Age (years) and NIHSS: the given values first, else the case's clinical table."""
    return (age if age is not None else _f(clinical.get("age"))), (nihss if nihss is not None else _f(clinical.get("nihss")))


def patient_of(clinical: dict[str, Any], given: Patient | None = None) -> Patient:
    """The :class:`Patient` of a case: each ``given`` value first, else the case's clinical values."""
    g = given or Patient()
    pick = {name: getattr(g, name) if getattr(g, name) is not None else _f(clinical.get(name)) for name in PATIENT_FIELDS}
    return Patient(**pick)


__all__ = [
    "CLINICAL_CRITERIA",
    "DAWN_RULE",
    "PATIENT_FIELDS",
    "SCOPE",
    "Patient",
    "Verdict",
    "clinical_criteria",
    "clinical_numbers",
    "dawn",
    "given_values",
    "patient_of",
    "verdicts",
]
