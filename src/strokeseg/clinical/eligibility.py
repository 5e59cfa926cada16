"""Trial eligibility verdicts with the rule and the numbers that decided each.

* **DEFUSE-3** (Albers 2018, imaging criteria): core < 70 ml, mismatch ratio ≥ 1.8 and mismatch
  volume ≥ 15 ml (hypoperfusion = Tmax > 6 s).
* **EXTEND** (Ma 2019, imaging criteria): core < 70 ml, mismatch ratio > 1.2 and mismatch > 10 ml.
* **DAWN** (Nogueira 2018, clinical–core mismatch; age ≥ 18): group A — age ≥ 80, NIHSS ≥ 10,
  core < 21 ml; group B — age < 80, NIHSS ≥ 10, core < 31 ml; group C — age < 80, NIHSS ≥ 20,
  core 31 to < 51 ml. DAWN needs no perfusion (its core may come from ADC), but it needs age and
  NIHSS: without them it is not assessable.

The thresholds of DEFUSE-3 and EXTEND come from :class:`~strokeseg.clinical.config.ThresholdConfig`;
a verdict is ``True`` / ``False`` or ``None`` (not assessable, with the reason).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from strokeseg.clinical.config import ThresholdConfig


@dataclass(frozen=True)
class Verdict:
    """One trial's verdict.

    Attributes:
        trial: ``DEFUSE-3``, ``EXTEND`` or ``DAWN``.
        eligible: True, False, or None when not assessable.
        rule: the criteria in words, with their thresholds.
        numbers: the values the rule was applied to (ml, ratio, years, NIHSS points).
        reason: why the verdict is what it is (the criterion that failed, the group met, or what is missing).
    """

    trial: str
    eligible: bool | None
    rule: str
    numbers: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        nums = {k: ("inf" if isinstance(v, float) and math.isinf(v) else v) for k, v in self.numbers.items()}
        return {"trial": self.trial, "eligible": self.eligible, "rule": self.rule, "numbers": nums, "reason": self.reason}

    @property
    def text(self) -> str:
        """``eligible`` / ``not eligible`` / ``not assessable``."""
        return "not assessable" if self.eligible is None else "eligible" if self.eligible else "not eligible"


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


def _mismatch_trial(trial: str, readout: dict[str, Any], core_max: float, ratio_min: float, mm_min: float, strict: bool) -> Verdict:
    op = ">" if strict else "≥"
    rule = _mismatch_rule(core_max, ratio_min, mm_min, strict)
    core, hyp, mm = _f(readout.get("core_ml")), _f(readout.get("hypoperfused_ml")), _f(readout.get("penumbra_ml"))
    if core is None or hyp is None or mm is None:
        missing = "no perfusion imaging" if readout.get("perfusion") is False else "the source gives no hypoperfused volume"
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
    readout: dict[str, Any], age: float | None = None, nihss: float | None = None, cfg: ThresholdConfig | None = None
) -> list[Verdict]:
    """DEFUSE-3, EXTEND and DAWN for a read-out dict (as in ``<case>_readout.json``)."""
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


__all__ = ["DAWN_RULE", "Verdict", "clinical_numbers", "dawn", "verdicts"]
