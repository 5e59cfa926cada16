"""The report's plots, drawn with matplotlib's object API (no pyplot state) and saved as PNG.

Each function draws one figure and writes it to ``path``; none reads files or computes results.
PNGs are written with a fast zlib level (1): the pictures are viewed, not archived.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.report.display import Scale

DPI = 100


def _figure(width_in: float, height_in: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save(fig: Any, path: Path) -> Path:
    """Write ``fig`` as PNG (fast compression) and return the path."""
    fig.savefig(path, format="png", dpi=DPI, pil_kwargs={"compress_level": 1}, facecolor=fig.get_facecolor())
    return path


LEFT_IN, BOTTOM_IN = 0.1, 0.05  # the montage's margins (inches) left of and below the image


def montage_size(h: int, w: int, aspect: float, scale: bool, legend: bool) -> tuple[float, float, float]:
    """Figure width and height (inches) of a montage of ``h`` × ``w`` pixels, and its top margin (inches)."""
    top = 0.55 + (0.25 if legend else 0.0)  # title, then the legend on its own line
    return max(w / DPI + (0.9 if scale else 0.0) + 0.2, 3.2), h * aspect / DPI + top, top


def montage_box(h: int, w: int, aspect: float, scale: bool, legend: bool) -> dict[str, int]:
    """Where the montage's image lies in its PNG (pixels): left ``x``, top ``y``, and the PNG's ``width``/``height``."""
    fw, fh, _ = montage_size(h, w, aspect, scale, legend)
    return {"x": round(LEFT_IN * DPI), "y": round((fh - BOTTOM_IN) * DPI - h * aspect), "width": round(fw * DPI), "height": round(fh * DPI)}


def montage(
    rgb: np.ndarray,
    path: Path,
    title: str,
    scale: Scale | None = None,
    legend: Sequence[tuple[str, tuple[int, int, int]]] = (),
    aspect: float = 1.0,
) -> Path:
    """A montage ``(H, W, 3)`` uint8 with its title, colour bar (``scale``) and legend swatches (layout: :func:`montage_box`)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch

    h, w = rgb.shape[:2]
    bar = 0.9 if scale is not None else 0.0
    fw, fh, _top = montage_size(h, w, aspect, scale is not None, bool(legend))
    fig = _figure(fw, fh)
    fig.set_facecolor("black")
    left = LEFT_IN / fig.get_figwidth()
    ax = fig.add_axes((left, BOTTOM_IN / fig.get_figheight(), w / DPI / fig.get_figwidth(), h * aspect / DPI / fig.get_figheight()))
    ax.imshow(rgb, interpolation="nearest", aspect=aspect)
    ax.set_axis_off()
    fig.text(0.01, 1 - 0.08 / fig.get_figheight(), title, color="white", va="top", ha="left", fontsize=10)
    if scale is not None:
        cax = fig.add_axes((1 - (bar - 0.05) / fig.get_figwidth(), 0.15, 0.12 / fig.get_figwidth(), 0.65))
        cb = fig.colorbar(ScalarMappable(Normalize(scale.vmin, scale.vmax), scale.cmap), cax=cax)
        cb.ax.tick_params(colors="white", labelsize=7)
        cb.set_label(scale.unit + (" (range from data)" if scale.from_data else ""), color="white", fontsize=7)
    if legend:
        handles = [Patch(color=(c[0] / 255, c[1] / 255, c[2] / 255), label=n) for n, c in legend]
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.0, 1 - 0.3 / fig.get_figheight()),
            fontsize=7,
            ncol=len(handles),
            frameon=False,
            labelcolor="white",
        )
    return save(fig, path)


def curves(
    times: Sequence[float],
    named: Sequence[tuple[str, Sequence[float], str]],
    path: Path,
    marks: Sequence[tuple[float, str]] = (),
    ylabel: str = "concentration",
) -> Path:
    """Time curves (``(name, values, colour)``) against ``times`` (s), with vertical ``(time, label)`` marks."""
    fig = _figure(6.0, 3.0)
    ax = fig.add_subplot(1, 1, 1)
    t = np.asarray(times, float)
    for name, values, colour in named:
        v = np.asarray(values, float)
        ax.plot(t[: v.size], v, color=colour, label=name, lw=1.5)
    for x, label in marks:
        ax.axvline(x, color="0.5", ls="--", lw=0.8)
        ax.text(x, ax.get_ylim()[1], " " + label, fontsize=7, va="top", color="0.3")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, path)


def location(rgb: np.ndarray, points: Sequence[tuple[float, float, str, str]], path: Path, title: str, aspect: float = 1.0) -> Path:
    """One slice ``(H, W, 3)`` with markers ``(row, col, label, colour)`` (the AIF and VOF centroids)."""
    h, w = rgb.shape[:2]
    scale = max(1.0, 240 / max(h, w))
    fig = _figure(w * scale / DPI + 0.2, h * aspect * scale / DPI + 0.5)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.85))
    ax.imshow(rgb, interpolation="nearest", aspect=aspect)
    for r, c, label, colour in points:
        ax.plot([c], [r], marker="o", ms=10, mfc="none", mec=colour, mew=2)
        ax.text(c + 4, r, label, color=colour, fontsize=8, va="center")
    ax.set_axis_off()
    fig.suptitle(title, fontsize=8)
    return save(fig, path)


def _r2(x: np.ndarray, y: np.ndarray) -> float | None:
    if x.size < 2:
        return None
    ss = float(((x - x.mean()) ** 2).sum())
    return None if ss == 0 else 1.0 - float(((y - x) ** 2).sum()) / ss


def scatter(true: Sequence[float], pred: Sequence[float], path: Path, title: str, r2: float | None) -> Path:
    """Predicted against true volume (ml) with the identity line and the R² given (ISLES' volume R²)."""
    x, y = np.asarray(true, float), np.asarray(pred, float)
    fig = _figure(4.2, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(x, y, s=18, color="#1f77b4")
    top = max(float(np.nanmax(x)) if x.size else 1.0, float(np.nanmax(y)) if y.size else 1.0, 1.0) * 1.05
    ax.plot([0, top], [0, top], color="0.5", lw=0.8, ls="--")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("true volume (ml)")
    ax.set_ylabel("predicted volume (ml)")
    ax.set_title(f"{title}: R² = {'n/a' if r2 is None else f'{r2:.3f}'}", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, path)


def bland_altman(true: Sequence[float], pred: Sequence[float], path: Path, title: str) -> tuple[Path, dict[str, float | None]]:
    """Difference (pred − true) against mean volume, with the bias and the 95 % limits of agreement."""
    x, y = np.asarray(true, float), np.asarray(pred, float)
    mean, diff = (x + y) / 2, y - x
    bias = float(diff.mean()) if diff.size else None
    sd = float(diff.std(ddof=1)) if diff.size > 1 else None
    fig = _figure(4.6, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(mean, diff, s=18, color="#d62728")
    if bias is not None:
        ax.axhline(bias, color="k", lw=1, label=f"bias {bias:.2f} ml")
    if sd is not None and bias is not None:
        for k in (-1.96, 1.96):
            ax.axhline(bias + k * sd, color="0.4", lw=0.8, ls="--")
        ax.plot([], [], color="0.4", ls="--", label=f"±1.96 sd ({1.96 * sd:.2f} ml)")
    ax.set_xlabel("mean of true and predicted (ml)")
    ax.set_ylabel("predicted − true (ml)")
    ax.set_title(f"{title}: Bland–Altman", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    lo = None if sd is None or bias is None else bias - 1.96 * sd
    hi = None if sd is None or bias is None else bias + 1.96 * sd
    return save(fig, path), {"bias_ml": bias, "loa_low_ml": lo, "loa_high_ml": hi}


def by_group(values: dict[str, Sequence[float]], path: Path, title: str, ylabel: str = "Dice") -> Path:
    """A box plot with the points of each group (e.g. Dice per LVO / non-LVO / no-stroke)."""
    names = [g for g in values if len(values[g])]
    fig = _figure(max(3.0, 1.3 * len(names) + 1.5), 3.6)
    ax = fig.add_subplot(1, 1, 1)
    if names:
        data = [np.asarray(values[g], float) for g in names]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), [f"{g}\n(n={len(values[g])})" for g in names], fontsize=8)
        rng = np.random.default_rng(0)  # fixed jitter: the same page for the same numbers
        for i, d in enumerate(data, start=1):
            ax.scatter(i + rng.uniform(-0.12, 0.12, d.size), d, s=12, color="#2ca02c", zorder=3)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return save(fig, path)


def loss_curves(logs: dict[str, tuple[list[float], list[float], list[float]]], path: Path) -> Path:
    """Training loss (solid) and validation metric (dashed) per fold: ``{fold: (epochs, train, val)}``."""
    fig = _figure(6.0, 3.4)
    ax = fig.add_subplot(1, 1, 1)
    for i, (fold, (ep, tr, va)) in enumerate(logs.items()):
        colour = f"C{i % 10}"
        ax.plot(ep, tr, color=colour, label=f"{fold} train loss")
        if any(not math.isnan(v) for v in va):
            ax.plot(ep, va, color=colour, ls="--", label=f"{fold} validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss / validation metric")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, path)


def heatmap(grid: np.ndarray, thresholds: Sequence[float], min_sizes: Sequence[int], path: Path, best: tuple[float, int] | None) -> Path:
    """Mean out-of-fold Dice over the T × S_min grid, the chosen pair outlined."""
    from matplotlib.patches import Rectangle

    fig = _figure(max(4.0, 0.6 * len(min_sizes) + 2.0), max(3.0, 0.45 * len(thresholds) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(len(min_sizes)), [str(s) for s in min_sizes], fontsize=7)
    ax.set_yticks(range(len(thresholds)), [f"{t:g}" for t in thresholds], fontsize=7)
    ax.set_xlabel("S_min (voxels)")
    ax.set_ylabel("threshold T")
    for (i, j), v in np.ndenumerate(grid):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color="w" if v < np.nanmax(grid) * 0.6 else "k")
    if best is not None and best[0] in thresholds and best[1] in min_sizes:
        i, j = list(thresholds).index(best[0]), list(min_sizes).index(best[1])
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2))
    fig.colorbar(im, ax=ax, label="mean Dice")
    fig.tight_layout()
    return save(fig, path)


VERDICT_RGB = {True: "#1a3f7a", False: "#b00020", None: "#777777"}  # as the page: met blue, not met red, n/a grey


def _verdict_lines(v: dict[str, Any]) -> list[str]:
    """A verdict's reason, wrapped, without repeating "not assessable" (the verdict says it)."""
    import textwrap

    reason = str(v.get("reason", ""))
    if v.get("eligible") is None:
        reason = reason.removeprefix("not assessable").lstrip(": ")
    return textwrap.wrap(reason, 75) or [""]


def summary_card(case_id: str, summary: dict[str, Any], path: Path) -> Path:
    """The report's summary panel as a picture (for a DICOM Secondary Capture): the number boxes as on the
    page (label and unit above, value below), the core's definition and the verdicts in their colours."""
    import textwrap

    from matplotlib.patches import FancyBboxPatch

    cells, cols, gap, box_h, width = summary["cells"], 4, 0.12, 0.72, 8.0
    rows = math.ceil(len(cells) / cols)
    core = textwrap.wrap("Core: " + summary["core_definition"], 105)
    verdict_rows = [(v, _verdict_lines(v)) for v in summary["verdicts"]]
    height = 0.55 + rows * (box_h + gap) + 0.2 * len(core) + 0.25 + sum(0.2 * len(r) + 0.08 for _, r in verdict_rows) + 0.45
    fig = _figure(width, height)
    fig.set_facecolor("#f4f4f4")
    inch = fig.dpi_scale_trans

    def text(x: float, y: float, s: str, **kw: Any) -> None:
        fig.text(x, y, s, transform=inch, va="top", family="DejaVu Sans", **kw)

    text(0.2, height - 0.15, f"strokeseg read-out — {case_id}", fontsize=13, weight="bold")
    bw = (width - 0.4 - (cols - 1) * gap) / cols
    top = height - 0.55
    for i, c in enumerate(cells):
        r, k = divmod(i, cols)
        x, y = 0.2 + k * (bw + gap), top - r * (box_h + gap)
        fig.add_artist(
            FancyBboxPatch((x, y - box_h), bw, box_h, "round,pad=0,rounding_size=0.06", transform=inch, fc="white", ec="#bbbbbb")
        )
        text(x + 0.1, y - 0.08, c["label"] + (f" ({c['unit']})" if c["unit"] else ""), fontsize=7.5, color="#555555")
        text(x + 0.1, y - 0.3, c["text"], fontsize=14 if len(c["text"]) <= 12 else 9, weight="bold")
    y = top - rows * (box_h + gap) - 0.05
    for line in core:
        text(0.2, y, line, fontsize=8)
        y -= 0.2
    y -= 0.1
    for v, reason in verdict_rows:
        text(0.2, y, v["trial"], fontsize=9, weight="bold")
        text(1.1, y, v["text"], fontsize=9, weight="bold", color=VERDICT_RGB.get(v.get("eligible"), "#777777"))
        for line in reason:
            text(3.3, y, line, fontsize=8)
            y -= 0.2
        y -= 0.08
    text(
        0.2,
        y - 0.05,
        "A verdict covers only what strokeseg assesses; the trials' clinical criteria are for the stroke team.",
        fontsize=7.5,
        color="#555555",
    )
    return save(fig, path)


__all__ = [
    "bland_altman",
    "by_group",
    "curves",
    "heatmap",
    "location",
    "loss_curves",
    "montage",
    "montage_box",
    "save",
    "scatter",
    "summary_card",
]
