"""Screenshots of a report's case page and cohort page for the docs and the README (headless Chromium).

Makes a 3-case CT phantom, runs ``strokeseg threshold --truth --report`` on it, and writes
``docs/assets/report_case.png`` and ``docs/assets/report_cohort.png``::

    .venv/bin/python docs/scripts/report_screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def shoot(page: Path, png: Path, height: int, tmp: Path) -> None:
    from PIL import Image

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("needs headless Chromium (Debian package 'chromium')")
    raw = tmp / "raw.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}"]
    subprocess.run(
        [exe, *flags, f"--screenshot={raw}", f"--window-size=1280,{height}", page.resolve().as_uri()], check=True, capture_output=True
    )
    with Image.open(raw) as im:
        im.convert("RGB").resize((960, round(height * 960 / 1280))).save(png, optimize=True)


def main() -> None:
    from strokeseg.cli import main as cli
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        write_phantom_cohort(
            tmp / "ph", CohortSpec(3, PhantomConfig(slices=4, p_no_stroke=0.0), "isles2018", seed=3, second_slab_fraction=0.0)
        )
        assert cli(["threshold", str(tmp / "ph"), "--out", str(tmp / "thr"), "--truth", str(tmp / "ph"), "--report"]) == 0
        ASSETS.mkdir(exist_ok=True)
        shoot(tmp / "thr" / "report" / "case_1" / "index.html", ASSETS / "report_case.png", 1700, tmp)
        shoot(tmp / "thr" / "report" / "index.html", ASSETS / "report_cohort.png", 1500, tmp)
    print(f"wrote {ASSETS / 'report_case.png'} and {ASSETS / 'report_cohort.png'}")


if __name__ == "__main__":
    main()
