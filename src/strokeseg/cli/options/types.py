"""Argument types: each parses one option value or says, in one line, what it must be."""

from __future__ import annotations

import argparse


def label_map_arg(text: str) -> dict[int, int]:
    """``--label-map 1:2,2:1`` as a mapping of source to canonical labels."""
    from strokeseg.io.labels import parse_label_map

    try:
        out = parse_label_map(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    assert out is not None
    return out


def _whole(text: str, minimum: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if v < minimum:
        raise argparse.ArgumentTypeError(f"must be ≥ {minimum}, got {v}")
    return v


def positive_int(text: str) -> int:
    """A whole number ≥ 1."""
    return _whole(text, 1)


def nonnegative_int(text: str) -> int:
    """A whole number ≥ 0."""
    return _whole(text, 0)


def nonnegative_float(text: str) -> float:
    """A finite number ≥ 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, got {text}")
    return v


def positive_float(text: str) -> float:
    """A finite number > 0."""
    v = nonnegative_float(text)
    if v == 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def fraction(text: str) -> float:
    """A number in [0, 1]."""
    v = nonnegative_float(text)
    if v > 1:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1], got {text}")
    return v


def fold_list(text: str) -> tuple[int, ...]:
    """``--folds 1,3``: fold numbers from 1, as the training log and the CV report number them."""
    try:
        folds = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated fold numbers such as 1,3; got {text!r}") from None
    if not folds or min(folds) < 1:
        raise argparse.ArgumentTypeError(f"fold numbers are whole numbers from 1 (as in the training log); got {text!r}")
    return folds
