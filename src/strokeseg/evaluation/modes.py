"""The evaluation modes a command offers, as StrEnums in a module free of NumPy and SciPy (the CLI's choices
come from here without making ``--help`` slow)."""

from __future__ import annotations

from enum import StrEnum


class Protocol(StrEnum):
    """How lesions are matched: ISLES'22 (any overlap) or ISLES'24 (one to one at IoU ≥ 0.5)."""

    ISLES22 = "isles22"
    ISLES24 = "isles24"


class SignificanceTest(StrEnum):
    """The paired test of ``strokeseg compare``: Wilcoxon signed-rank (default) or the paired t-test."""

    WILCOXON = "wilcoxon"
    TTEST = "ttest"


__all__ = ["Protocol", "SignificanceTest"]
