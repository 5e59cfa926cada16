"""Per-epoch CSV log and loss-curve PNG of a training run."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from strokeseg.io.atomic import write_text


def write_log(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write the per-epoch log rows as ``log.csv`` (atomically)."""
    if not rows:
        return
    buf = io.StringIO()
    # the union of the rows' columns: a run resumed from an older checkpoint may log a column its first rows lack
    w = csv.DictWriter(buf, fieldnames=list(dict.fromkeys(k for r in rows for k in r)), restval="", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_text(path, buf.getvalue())


def plot_curves(path: Path, rows: Sequence[dict[str, Any]], title: str) -> None:
    """Plot training and validation curves per epoch to ``loss_curve.png``."""
    if not rows:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [r["epoch"] for r in rows]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    ax[0].plot(ep, [r["train_loss"] for r in rows], label="train loss")
    if rows[0].get("val_loss") is not None:
        ax[0].plot(ep, [r["val_loss"] for r in rows], label="validation loss")
    ax[0].set_xlabel("epoch")
    ax[0].legend()
    if rows[0].get("val_metric") is not None:
        ax[1].plot(ep, [r["val_metric"] for r in rows], label="early-stopping metric (L1 + error)")
        best = min(range(len(rows)), key=lambda i: rows[i]["val_metric"])
        ax[1].axvline(ep[best], color="grey", ls=":", label=f"best epoch {ep[best]}")
        ax[1].legend()
    ax[1].set_xlabel("epoch")
    fig.suptitle(title)
    fig.tight_layout()
    from strokeseg.io.atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
