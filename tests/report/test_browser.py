"""Each page type rendered by a real browser (headless Chromium): not blank, and the summary numbers in its DOM.

Chromium is Debian's ``chromium`` package (``make`` installs it when absent); without it these tests
skip, saying so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless Chromium on this machine (Debian package 'chromium'; 'make test' installs it where apt-get can)")
    return ""


def _run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={tmp / 'profile'}",
    ]
    return subprocess.run([_chromium(), *flags, *args], capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)


def _screenshot_not_blank(page: Path, tmp: Path) -> None:
    from PIL import Image

    shot = tmp / f"{page.parent.name}.png"
    res = _run([f"--screenshot={shot}", "--window-size=1280,2000", page.resolve().as_uri()], tmp)
    assert shot.exists(), res.stderr[-2000:]
    with Image.open(shot) as im:
        arr = np.asarray(im.convert("L"), float)
    assert arr.std() > 10 and (arr < 128).mean() > 0.01  # text and images, not an empty white page


def _dom(page: Path, tmp: Path) -> str:
    res = _run(["--dump-dom", page.resolve().as_uri()], tmp)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def test_case_page_renders_with_its_summary_numbers(threshold_run, tmp_path):
    case = sorted(p for p in threshold_run.iterdir() if (p / f"{p.name}_readout.json").exists())[0]
    readout = json.loads((case / f"{case.name}_readout.json").read_text(encoding="utf-8"))
    page = threshold_run / "report" / case.name / "index.html"
    _screenshot_not_blank(page, tmp_path)
    dom = _dom(page, tmp_path)
    assert f'data-key="core_ml" data-value="{readout["core_ml"]}">{readout["core_ml"]:.1f}<' in dom
    assert f'data-key="hypoperfused_ml" data-value="{readout["hypoperfused_ml"]}">{readout["hypoperfused_ml"]:.1f}<' in dom
    assert 'class="viewer"' in dom and "background-position" in dom  # the slice viewer's script ran
    import re

    widths = [float(w) for w in re.findall(r'class="viewer"[^>]*style="[^"]*width: ([0-9.]+)px', dom)]
    assert widths and min(widths) >= 500  # one large slice (the page's width, at most 900 px), not a thumbnail
    figures = re.findall(r"<figure [^>]*>", dom)
    assert len(figures) > 1 and sum("hidden" not in f for f in figures) == 1  # one map shown at a time; the select picks it


def test_cohort_page_renders_and_its_table_sorts_in_the_browser(threshold_run, tmp_path):
    page = threshold_run / "report" / "index.html"
    _screenshot_not_blank(page, tmp_path)
    dom = _dom(page, tmp_path)
    for case in sorted(p.name for p in threshold_run.iterdir() if (p / f"{p.name}_readout.json").exists()):
        assert f'href="{case}/index.html"' in dom


def test_cv_page_renders(bundle_run, tmp_path):
    page = bundle_run / "report" / "index.html"
    _screenshot_not_blank(page, tmp_path)
    bundle = json.loads((bundle_run / "bundle.json").read_text(encoding="utf-8"))
    assert f'<span id="bundle-threshold">{bundle["threshold"]}</span>' in _dom(page, tmp_path)


def test_a_vendor_map_page_renders_with_its_colour_bars_in_vendor_units(isles24_run, tmp_path):
    """ISLES'24 vendor maps (brain median CBF ≈ 10.6, MTT ≈ 15.9 s): drawn on their data's range, labelled vendor units."""
    page = next((isles24_run / "report").glob("*/index.html"))
    _screenshot_not_blank(page, tmp_path)
    dom = _dom(page, tmp_path)
    assert "CBF (vendor units, brain median 10.6; not ml/100 g/min)" in dom and "MTT (vendor units" in dom
