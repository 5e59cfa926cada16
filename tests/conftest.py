"""Shared fixtures: the reference data in ../shared (skipped with a reason where absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STROKESEG_SHARED", REPO.parent / "shared"))
ISLES22_CASE = SHARED / "data" / "isles22" / "sub-strokecase0001"
OSIPI_CSV = SHARED / "data" / "osipi-dsc" / "dsc_data.csv"


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("STROKESEG_QUIET", "1")


@pytest.fixture
def isles22_case() -> Path:
    if not ISLES22_CASE.is_dir():
        pytest.skip(f"reference data not found at {ISLES22_CASE} (only CI and developer checkouts have ../shared)")
    return ISLES22_CASE


@pytest.fixture
def osipi_csv() -> Path:
    if not OSIPI_CSV.is_file():
        pytest.skip(f"OSIPI DSC reference curves not found at {OSIPI_CSV} (only CI and developer checkouts have ../shared)")
    return OSIPI_CSV
