"""What a dataset layout is, the dataset it opens, and shared helpers for finding files."""

from __future__ import annotations

import csv
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from strokeseg.errors import InputError
from strokeseg.io.case import Case, CaseRef, load_case
from strokeseg.io.labels import regions_for_labels


class Layout(ABC):
    """A public dataset's folder structure.

    A layout only *finds* files: :meth:`scan` returns one :class:`CaseRef` per case. Reading,
    checking and resampling happen once, in :func:`strokeseg.io.case.load_case`.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    #: source label value → canonical label (0 background, 1 penumbra, 2 core)
    default_label_map: ClassVar[Mapping[int, int]]

    @abstractmethod
    def detect(self, root: Path) -> bool:
        """True when ``root`` looks like this layout (cheap: names only, no image reads)."""

    @abstractmethod
    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        """All cases under ``root``; raises :class:`InputError` when none are found."""

    def label_map(self, override: Mapping[int, int] | None = None) -> dict[int, int]:
        """The layout's label map, or ``override`` (with 0 → 0 kept)."""
        out = dict(self.default_label_map)
        if override:
            out = {0: 0, **{int(k): int(v) for k, v in override.items()}}
        return out


@dataclass
class Dataset:
    """The cases of one folder, read through one layout."""

    root: Path
    layout: Layout
    cases: list[CaseRef]
    label_map: dict[int, int]

    def __iter__(self) -> Iterator[CaseRef]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    @property
    def case_ids(self) -> list[str]:
        return [c.case_id for c in self.cases]

    @property
    def patients(self) -> list[str]:
        return sorted({c.patient_id for c in self.cases})

    @property
    def regions(self):
        """Regions this dataset's labels can be scored on (core only for a core-only dataset)."""
        return regions_for_labels(self.label_map.values())

    def get(self, case_id: str) -> CaseRef:
        """The case ``case_id``; an unknown id is an InputError."""
        for c in self.cases:
            if c.case_id == case_id:
                return c
        raise InputError(f"no case {case_id!r} in this dataset", self.root)

    def load(self, ref: CaseRef | str, **kwargs: Any) -> Case:
        """Load a case of this dataset (see :func:`strokeseg.io.case.load_case`)."""
        return load_case(self.get(ref) if isinstance(ref, str) else ref, **kwargs)


# ---------------------------------------------------------------------------- helpers
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".mha", ".mhd", ".nrrd")


def strip_image_suffix(name: str) -> str:
    """A file name without its image extension (``.nii.gz``, ``.mha`` …)."""
    low = name.lower()
    for s in IMAGE_SUFFIXES:
        if low.endswith(s):
            return name[: -len(s)]
    return name


def is_image_file(path: Path) -> bool:
    """Whether a path has an image extension strokeseg reads."""
    return path.is_file() and path.name.lower().endswith(IMAGE_SUFFIXES) and not path.name.startswith(".")


def walk_dirs(root: Path, max_depth: int) -> Iterator[Path]:
    """Directories below ``root`` (``root`` included) down to ``max_depth`` levels, sorted, no hidden ones."""
    root_depth = len(root.parts)
    for dirpath, dirnames, _ in os.walk(root):
        depth = len(Path(dirpath).parts) - root_depth
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if depth >= max_depth:
            dirnames[:] = []
        yield Path(dirpath)


def read_table(path: Path, delimiter: str = ",", what: str = "table") -> list[dict[str, Any]]:
    """Rows of a UTF-8 CSV/TSV file as dicts; one :class:`InputError` for encoding or format problems."""
    import io

    from strokeseg.io.text import read_text

    text = read_text(path, what)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = reader.fieldnames or []
        seen: dict[str, str] = {}
        for name in header:  # a repeated column would silently keep only its last value
            key = " ".join(str(name).split()).lower()
            if key in seen:
                raise InputError(f"the {what} has the column {name.strip()!r} twice (as {seen[key].strip()!r} too)", path)
            seen[key] = str(name)
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"cannot read the {what} ({exc})", path) from None
    if any(None in row for row in rows):
        raise InputError(f"the {what} has a row with more fields than its header", path)
    return rows


def read_clinical_table(path: Path, key_columns: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Rows of a CSV/TSV keyed by the first present key column; numbers parsed, names lower-cased.

    Recognised clinical names: ``nihss`` (also "NIHSS at admission", "nihss_admission"), ``age``
    (also "PatientAge", in years or as a DICOM age string such as ``088Y``) and
    ``group`` (LVO / non-LVO / no-stroke, any spelling kept as given).
    """
    if not path.exists():
        return {}
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = read_table(path, delim, "clinical table")
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = next((row[k].strip() for k in key_columns if row.get(k)), None)
        if not key:
            continue
        out[key] = normalise_clinical({k: v for k, v in row.items() if k and k not in key_columns})
    return out


_NIHSS_NAMES = {"nihss", "nihss at admission", "nihss_admission", "admission nihss", "nihss_baseline"}
_AGE_NAMES = {"age", "patientage", "patient_age", "patient age", "age at admission", "age_at_admission", "age_years"}
_ONSET_NAMES = {"onset_h", "onset_hours", "time_from_onset_h", "onset_to_imaging_h", "last_known_well_h", "lkw_h", "hours_from_onset"}
_MRS_NAMES = {"mrs", "prestroke_mrs", "pre-stroke mrs", "pre_stroke_mrs", "premorbid_mrs", "mrs_prestroke", "baseline_mrs"}


def _age(v: Any) -> Any:
    """Years from a number or a DICOM age string (``088Y``; ``M``/``W``/``D`` become fractions of a year)."""
    if isinstance(v, str) and len(v) >= 2 and v[:-1].isdigit() and v[-1].upper() in "YMWD":
        return int(v[:-1]) / {"Y": 1, "M": 12, "W": 52.18, "D": 365.25}[v[-1].upper()]
    return v


def normalise_clinical(values: Mapping[str, Any]) -> dict[str, Any]:
    """Lower-case keys, parse numbers, and put NIHSS, age, hours from onset and pre-stroke mRS under
    ``nihss``, ``age``, ``onset_h`` and ``mrs``."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        key = str(k).strip().lower()
        if isinstance(v, str):
            v = v.strip()
            if v == "" or v.lower() in ("na", "n/a", "nan"):
                v = None
            else:
                try:
                    v = float(v) if any(c in v for c in ".eE") else int(v)
                except ValueError:
                    pass
        if key in _NIHSS_NAMES:
            key = "nihss"
        if key in _AGE_NAMES:
            key, v = "age", _age(v)
        key = "onset_h" if key in _ONSET_NAMES else "mrs" if key in _MRS_NAMES else key
        out[key] = v
    return out
