"""Reports of threshold runs on the real files in ../shared/data: vendor maps with sentinels, ISLES'22 DWI/ADC
(no perfusion), the grand-challenge container (age from its JSON). Each page is checked like a phantom page."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ISLES22_CASE, SHARED, shared_or_skip
from tests.report.pages import check_page, same_value

ISLES24 = SHARED / "data" / "real" / "isles2024-vendor-maps"
GRAND = SHARED / "data" / "real" / "isles2022-grand-challenge"


def _one_case(out):
    return next(p for p in sorted(out.iterdir()) if p.is_dir() and (p / f"{p.name}_readout.json").exists())


def _readout_and_page(out):
    case = _one_case(out)
    readout = json.loads((case / f"{case.name}_readout.json").read_text(encoding="utf-8"))
    page = check_page(out / "report" / case.name / "index.html")
    check_page(out / "report" / "index.html")
    return readout, page, (out / "report" / case.name / "index.html").read_text(encoding="utf-8")


def test_isles24_vendor_maps_report(isles24_run):
    readout, page, html = _readout_and_page(isles24_run)
    for key in ("core_ml", "hypoperfused_ml", "penumbra_ml", "mismatch_ratio"):
        assert same_value(page.values[key], readout[key])
    assert {"CBF.png", "CBV.png", "MTT.png", "Tmax.png"} <= set(page.refs)
    assert "The maps were given" in html  # no series: no AIF or series QC claimed
    assert "reference-cbf-implausible" in html  # the vendor CBF scale is named on the page
    caps = _captions(html)  # brain medians: CBF ≈ 10.6, MTT ≈ 15.9 (vendor scales); CBV ≈ 2.8, Tmax ≈ 2.5
    assert caps["CBF"].startswith("vendor units") and caps["MTT"].startswith("vendor units")
    assert (caps["CBV"], caps["Tmax"]) == ("ml/100 g", "s")


def test_isles24_cbf_renders_healthy_brain_mid_scale_not_ischaemic(isles24_run):
    """Sample the rendered CBF montage: each brain pixel's place on the jet colour bar (nearest colour). On the
    conventional 0–80 scale this vendor map (brain median ≈ 10.6) drew the whole brain in the ischaemic blue
    end; on its data-based scale the median pixel sits mid-scale, as healthy tissue does on a console."""
    import matplotlib
    import numpy as np
    from PIL import Image

    png = next((isles24_run / "report").glob("*/CBF.png"))
    with Image.open(png) as im:
        rgb = np.asarray(im.convert("RGB"), float)
    lut = matplotlib.colormaps["jet"](np.linspace(0, 1, 256))[:, :3] * 255
    h, w = rgb.shape[:2]
    pix = rgb[int(0.15 * h) :, : int(0.85 * w)].reshape(-1, 3)  # the slices (no title, legend or colour bar)
    dist = ((pix[:, None, :] - lut[None, :, :]) ** 2).sum(-1)
    on_bar = dist.min(1) < 30**2  # pixels drawn from the colour map (not black, not an outline colour)
    place = dist.argmin(1)[on_bar] / 255.0
    assert on_bar.sum() > 1000 and 0.3 < float(np.median(place)) < 0.7


def _captions(html: str) -> dict[str, str]:
    """Montage name → the unit of its colour bar, as the page's captions say."""
    import re

    return {m[1]: m[2] for m in re.finditer(r"<figcaption>(\w+) \((.*)\)</figcaption>", html)}


def test_isles22_adc_report_says_no_perfusion(tmp_path, cli):
    data = shared_or_skip(ISLES22_CASE)
    code, _, _ = cli("threshold", data, "--out", tmp_path / "o", "--report")
    assert code == 0
    readout, page, html = _readout_and_page(tmp_path / "o")
    assert same_value(page.values["core_ml"], readout["core_ml"]) and readout["perfusion"] is False
    assert page.values["hypoperfused_ml"] == "" and html.count("n/a (no perfusion)") >= 5
    assert page.verdicts == ["None", "None", "None"]  # no perfusion, and no age/NIHSS in this folder
    assert {"DWI.png", "ADC.png"} <= set(page.refs)
    assert _captions(html)["ADC"] == "10⁻³ mm²/s"


def test_grand_challenge_age_from_its_json_and_nihss_from_the_command_line(tmp_path, cli):
    data = shared_or_skip(GRAND)
    code, _, _ = cli("threshold", data, "--out", tmp_path / "o", "--nihss", "12", "--onset-h", "7", "--mrs", "1", "--report")
    assert code == 0
    readout, page, html = _readout_and_page(tmp_path / "o")
    assert readout["clinical"]["age"] == 88 and readout["clinical"]["age_from"] == "dataset"
    assert readout["clinical"]["nihss_from"] == "command line" and readout["clinical"]["onset_h"] == 7
    d3 = {c["criterion"]: c["status"] for c in readout["eligibility"][0]["clinical"]}
    assert d3["age 18–90 years"] == "met" and d3["6–16 h from last known well"] == "met" and d3["pre-stroke mRS 0–2"] == "met"
    assert ">eligible<" not in html and ">clinical–core criteria" in html and "not an eligibility decision" in html
    dawn = readout["eligibility"][2]
    assert dawn["eligible"] is (readout["core_ml"] < 21) and page.verdicts[2] == str(dawn["eligible"])


@pytest.mark.parametrize("case", ["case_1"])
def test_isles18_case_without_tmax_gets_a_cbf_core_and_no_penumbra(tmp_path, cli, case):
    """The ISLES'18 release shape (CT, CBF, CBV; no Tmax, no 4D series): a core from rCBF, the
    penumbra and the mismatch verdicts not assessable, and the report written."""
    data = shared_or_skip(SHARED / "data" / "real" / "isles2018" / case)
    code, out, err = cli("threshold", data, "--out", tmp_path / "o", "--report")
    assert code == 0, err
    readout, _, _ = _readout_and_page(tmp_path / "o")
    # it has perfusion maps, only no Tmax: said so, never "no perfusion" (console, page) nor a diffusion MR procedure
    assert "n/a (no Tmax)" in next(ln for ln in out.splitlines() if ln.startswith(case)) and "no perfusion" not in out
    assert readout["core_ml"] is not None and 0 < readout["core_ml"] < 50
    assert readout["penumbra_ml"] is None and readout["hypoperfused_ml"] is None
    assert "penumbra_ml" in readout["not_assessable"]
    assert [v["eligible"] for v in readout["eligibility"][:2]] == [None, None]
    # its rCBF core is a rim along the brain's outline (the expert's lesion lies deep and is not hypoperfused on
    # these maps): the guard says so, and that reason holds the verdicts back
    assert "core-on-brain-surface" in {w["code"] for w in readout["warnings"]}
    reasons = [v["reason"] for v in readout["eligibility"]]
    assert all(r.startswith("not assessable: implausible read-out (") and "brain's outline" in r for r in reasons)
    assert "CBF without Tmax" in readout["maps"]
    html = (tmp_path / "o" / "report" / case / "index.html").read_text(encoding="utf-8")
    assert html.count("n/a (no Tmax)") >= 5 and "n/a (no perfusion)" not in html
    assert _captions(html)["CBF"].startswith("vendor units")  # CBF up to 1,200, brain median ≈ 150
    assert (tmp_path / "o" / "report" / "index.html").exists()
