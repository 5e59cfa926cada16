"""Make ``docs/assets/overview.png``: one phantom case from raw series to read-out (the README's picture).

.venv/bin/python docs/scripts/make_figure.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "assets" / "overview.png"


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import strokeseg
    from strokeseg.phantom.case import PhantomConfig

    root = tempfile.mkdtemp()
    strokeseg.generate_phantom(root, 1, seed=5, config=PhantomConfig(slices=2, p_no_stroke=0.0))
    case = strokeseg.load_case(strokeseg.open_dataset(root).cases[0], with_series=True)
    series = case.series["CTP"].data
    maps = strokeseg.compute_maps(case.series["CTP"], show_progress=False).maps
    read = strokeseg.threshold_case(case)
    z = int(np.argmax((read.result.labels > 0).sum(axis=(1, 2))))
    peak = int(np.argmax(series[z].mean(axis=(0, 1))))
    panels = [
        ("CT perfusion (peak frame, HU)", series[z, :, :, peak], "gray", (0, 100)),
        ("CBF (ml/100 g/min)", maps["CBF"][z], "magma", (0, 80)),
        ("Tmax (s)", maps["Tmax"][z], "viridis", (0, 12)),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4))
    for ax, (title, img, cmap, (lo, hi)) in zip(axes, panels):
        ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=9)
    axes[3].imshow(series[z, :, :, 0], cmap="gray", vmin=0, vmax=80)
    lab = np.ma.masked_equal(read.result.labels[z], 0)
    axes[3].imshow(lab, cmap=matplotlib.colors.ListedColormap(["gold", "red"]), vmin=1, vmax=2, alpha=0.6)
    r = read.readout
    axes[3].set_title(f"core {r.core_ml:.0f} ml (red), penumbra {r.penumbra_ml:.0f} ml (yellow)", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=90)


if __name__ == "__main__":
    main()
