"""Canonical modality names, so that every layout calls the same image the same way."""

from __future__ import annotations

# 3D images
CANONICAL_MODALITIES = ("CT", "CTA", "MIP", "CBF", "CBV", "MTT", "Tmax", "TTP", "DWI", "ADC", "FLAIR", "T1", "T1c", "T2")
# 4D series
CANONICAL_SERIES = ("CTP", "PWI")

_ALIASES = {
    "ct": "CT",
    "ncct": "CT",
    "cta": "CTA",
    "mip": "MIP",
    "cbf": "CBF",
    "rcbf": "CBF",
    "ct_cbf": "CBF",
    "cbv": "CBV",
    "rcbv": "CBV",
    "ct_cbv": "CBV",
    "mtt": "MTT",
    "ct_mtt": "MTT",
    "tmax": "Tmax",
    "ct_tmax": "Tmax",
    "ttp": "TTP",
    "ct_ttp": "TTP",
    "dwi": "DWI",
    "adc": "ADC",
    "flair": "FLAIR",
    "t1": "T1",
    "t1c": "T1c",
    "t1ce": "T1c",
    "t2": "T2",
    "ctp": "CTP",
    "ct_4dpwi": "CTP",
    "4dpwi": "CTP",
    "pwi": "PWI",
    "dsc": "PWI",
}


def canonical_modality(name: str) -> str:
    """Map a dataset's modality name to strokeseg's (``ct_cbf`` → ``CBF``); unknown names pass through."""
    key = name.strip()
    low = key.lower()
    if low.startswith("mr_"):
        low = low[3:]
    return _ALIASES.get(low, key)


def is_series_name(name: str) -> bool:
    """Whether a modality name denotes a 4D series (CTP, PWI, 4DPWI)."""
    return canonical_modality(name) in CANONICAL_SERIES
