"""What the phantom-cohort benchmarks share: a written cohort (``--cohort DIR``) or in-memory phantoms
(``--seeds A:B``) as the cases to run on, and reading the cohort's NIfTI files in (z, y, x) order."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import nibabel as nib
import numpy as np

OUT = Path(__file__).resolve().parents[1] / "bench-output"
T = TypeVar("T")


def zyx(path: Path) -> np.ndarray:
    """A NIfTI volume (or 4D series) as a (z, y, x[, t]) array."""
    data = np.asarray(nib.load(path).dataobj)  # type: ignore[attr-defined]
    return np.transpose(data, (2, 1, 0, 3) if data.ndim == 4 else (2, 1, 0))


def parse_cases(doc: str | None, from_cohort: Callable[[Path], Iterator[T]], from_seeds: Callable[[int, int], Iterator[T]]) -> Iterator[T]:
    """The benchmark's command line (``--cohort`` / ``--seeds``) parsed, and the cases it names."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_case_source(ap)
    return cases_from(ap.parse_args(), from_cohort, from_seeds)


def add_case_source(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--cohort", type=Path, default=OUT / "ct_cohort_20", help="a written cohort (default: the CT-2D cohort)")
    ap.add_argument("--seeds", default=None, metavar="A:B", help="phantoms of seeds A..B-1 instead of a written cohort")


def cases_from(
    args: argparse.Namespace, from_cohort: Callable[[Path], Iterator[T]], from_seeds: Callable[[int, int], Iterator[T]]
) -> Iterator[T]:
    if args.seeds:
        first, stop = map(int, args.seeds.split(":"))
        return from_seeds(first, stop)
    return from_cohort(args.cohort)
