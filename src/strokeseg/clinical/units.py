"""ADC unit detection: ×10⁻⁶ mm²/s (clinical default), ×10⁻³ mm²/s (ISLES'22) or mm²/s."""

from __future__ import annotations

import numpy as np

from strokeseg.errors import InputError


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
    if 200.0 <= med <= 4000.0:
        return adc.astype(np.float32), "1e-6 mm2/s"
    if 0.2 <= med <= 4.0:
        return (adc * 1000.0).astype(np.float32), "1e-3 mm2/s"
    if 2e-4 <= med <= 4e-3:
        return (adc * 1e6).astype(np.float32), "mm2/s"
    raise InputError(
        f"ADC of unknown units: brain median {med:.4g} fits none of ×10⁻⁶ mm²/s (~800), "
        "×10⁻³ mm²/s (~0.8) or mm²/s (~0.0008)"
    )
