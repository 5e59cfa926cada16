"""Argument types of the nnU-Net ``predict`` options."""

from __future__ import annotations

import argparse


def name_map(text: str) -> dict[str, str]:
    """``--nnunet-labels lesion=core,edema=background``."""
    out = {}
    for item in (t.strip() for t in text.split(",") if t.strip()):
        name, sep, value = item.partition("=")
        if not sep or value.strip() not in ("core", "penumbra", "background"):
            raise argparse.ArgumentTypeError(f"expected NAME=core|penumbra|background, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def fold_names(text: str) -> tuple[str, ...]:
    """``--nnunet-folds 0,1`` or ``all``: nnU-Net's fold folders (numbered from 0, as nnU-Net does)."""
    folds = tuple(t.strip() for t in text.split(",") if t.strip())
    if not folds or not all(f == "all" or f.isdigit() for f in folds):
        raise argparse.ArgumentTypeError(f"expected fold numbers from 0 or 'all', e.g. 0,1; got {text!r}")
    return folds


def channel_list(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())
