"""Without perfusion imaging, Tmax, mismatch and eligibility are not assessable: null, never numbers."""

from __future__ import annotations

import csv
import json

from strokeseg.cli import main
from tests.helpers import make_isles2022

PERFUSION_FIELDS = ("hypoperfused_ml", "penumbra_ml", "mismatch_ratio", "tmax10_ml", "hir", "defuse3", "extend")


def _check(out, capsys_out: str, case_id: str) -> None:
    ro = json.loads((out / case_id / f"{case_id}_readout.json").read_text(encoding="utf-8"))
    assert all(ro[k] is None for k in PERFUSION_FIELDS), ro
    assert isinstance(ro["core_ml"], float) and ro["perfusion"] is False
    assert set(ro["not_assessable"]) == set(PERFUSION_FIELDS)
    row = next(csv.DictReader((out / "readout.csv").open(encoding="utf-8")))
    assert all(row[k] == "" for k in PERFUSION_FIELDS if k in row)
    line = next(ln for ln in capsys_out.splitlines() if ln.startswith(case_id))
    assert "n/a (no perfusion)" in line and "yes" not in line and " no " not in line


def test_an_mri_case_without_perfusion_reads_out_core_only(tmp_path, capsys):
    make_isles2022(tmp_path / "d", n_cases=1)
    assert main(["threshold", str(tmp_path / "d"), "--out", str(tmp_path / "o")]) == 0
    _check(tmp_path / "o", capsys.readouterr().out, "sub-strokecase0001")


def test_the_real_isles22_case_is_not_assessed_for_perfusion(isles22_case, tmp_path, capsys):
    assert main(["threshold", str(isles22_case.parent), "--out", str(tmp_path / "o")]) == 0
    _check(tmp_path / "o", capsys.readouterr().out, "sub-strokecase0001")
