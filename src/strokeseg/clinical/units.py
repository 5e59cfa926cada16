"""ADC unit detection: ×10⁻⁶ mm²/s (clinical default), ×10⁻³ mm²/s (ISLES'22) or mm²/s."""

from __future__ import annotations

import numpy as np

from strokeseg.errors import InputError

#: ADC units by the brain median's order of magnitude (tissue about 0.8×10⁻³ mm²/s): (low, high, unit, to ×10⁻⁶ mm²/s)
ADC_UNITS = ((200.0, 4000.0, "1e-6 mm2/s", 1.0), (0.2, 4.0, "1e-3 mm2/s", 1000.0), (2e-4, 4e-3, "mm2/s", 1e6))


def adc_unit(median: float) -> tuple[str, float] | None:
    """The unit an ADC brain median is in and its factor to ×10⁻⁶ mm²/s; None when it fits none."""
    return next(((unit, f) for lo, hi, unit, f in ADC_UNITS if lo <= median <= hi), None)


def adc_to_micro(adc: np.ndarray, brain: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """ADC in ×10⁻⁶ mm²/s and the unit it was found in.

    The median ADC of brain tissue is about 0.8×10⁻³ mm²/s: the unit follows from its order
    of magnitude. Anything else is an error (never a silent guess).
    """
    vals = adc[brain] if brain is not None and brain.any() else adc[adc > 0]
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0:
        raise InputError("ADC map is empty or non-positive: units cannot be determined")
    med = float(np.median(vals))
    found = adc_unit(med)
    if found is not None:
        return (adc if found[1] == 1.0 else adc * found[1]).astype(np.float32), found[0]
    raise InputError(f"ADC of unknown units: brain median {med:.4g} fits none of ×10⁻⁶ mm²/s (~800), ×10⁻³ mm²/s (~0.8) or mm²/s (~0.0008)")


#: how a read-out's ``maps`` (its source) begins when strokeseg computed the maps from a 4D series: they are then in
#: ml/100 g/min, ml/100 g and s by construction, never on a vendor scale
OWN_MAPS = "computed from"

#: healthy-tissue median CBF in ml/100 g/min (grey and white matter together) lies in this range;
#: a reference outside it means the map is on a vendor scale, or the reference is not healthy tissue
PLAUSIBLE_REFERENCE_CBF = (15.0, 120.0)

#: the brain median of each perfusion map, in its conventional unit, lies in this range when the map
#: is on that unit: healthy grey and white matter (CT perfusion normal values, Wintermark et al. 2005,
#: Stroke 36:e83; Tmax of healthy tissue 0–2 s) with room for a large lesion. A map whose brain median
#: falls outside is on a vendor's own scale, and is never labelled with the conventional unit.
PLAUSIBLE_BRAIN_MEDIAN = {"CBF": PLAUSIBLE_REFERENCE_CBF, "CBV": (1.0, 8.0), "MTT": (2.0, 10.0), "Tmax": (-1.0, 6.0)}


def tmax_to_seconds(tmax: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, str]:
    """Tmax in s and the unit it was found in: a median over valid tissue above 100 is milliseconds
    (tissue Tmax is 0–10 s, and up to about 30 s in hypoperfused tissue)."""
    vals = tmax[valid & np.isfinite(tmax)]
    if vals.size and float(np.median(vals)) > 100.0:
        return (tmax / 1000.0).astype(np.float32), "ms"
    return tmax, "s"


def cbf_unit(reference: float | None) -> str:
    """What a reference (healthy-tissue median) CBF says of the map's unit."""
    lo, hi = PLAUSIBLE_REFERENCE_CBF
    if reference is None:
        return "unknown"
    return "ml/100 g/min" if lo <= reference <= hi else "vendor scale (not ml/100 g/min; rCBF is scale-free)"
