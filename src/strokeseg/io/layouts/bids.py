"""ISLES 2022 and ISLES 2024, both BIDS-like.

ISLES 2022: ``[rawdata/]sub-strokecaseNNNN/ses-0001/[dwi/|anat/]sub-..._{dwi,adc,flair}.nii.gz``
and ``derivatives/sub-strokecaseNNNN/ses-0001/sub-..._msk.nii.gz`` (core: 1 → core). DWI is the
reference grid; FLAIR lies on another grid and is resampled onto it.

ISLES 2024: ``raw_data/sub-strokeNNNN/ses-01/sub-..._{ncct,cta,ctp}.nii.gz``; maps in
``sub-X/ses-01/perfusion-maps/`` beside the scans, or
``derivatives/sub-X/ses-01/perfusion-maps/*_space-ncct_{cbf,cbv,mtt,tmax}.nii.gz``; the CTP
registered to NCCT as ``derivatives/sub-X/ses-01/*_space-ncct_ctp.nii.gz`` (preferred as the
series: it lies on the NCCT grid); the follow-up infarct ``derivatives/sub-X/ses-02/*lesion-msk*``
(1 → core); clinical values from ``phenotype/sub-X/**.csv|.tsv`` (``.xlsx`` when openpyxl is installed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strokeseg.errors import InputError
from strokeseg.io.case import CaseRef
from strokeseg.io.labels import CORE
from strokeseg.io.layouts.base import Layout, is_image_file, normalise_clinical, read_clinical_table, read_table, strip_image_suffix
from strokeseg.io.modalities import canonical_modality

_SUB22 = re.compile(r"^sub-strokecase\d+$")
_SUB24 = re.compile(r"^sub-stroke\d+$")
_SCANS24 = ("ncct", "ctp", "cbf", "tmax")  # a subject has a scan or, at least, the vendor's maps


def _subjects(root: Path, pattern: re.Pattern[str], raw_names: tuple[str, ...]) -> list[Path]:
    if pattern.match(root.name):
        return [root]
    found: list[Path] = []
    for base in (root, *(root / r for r in raw_names)):
        if base.is_dir():
            found += [d for d in base.iterdir() if d.is_dir() and pattern.match(d.name)]
    return sorted(set(found))


def _suffix_of(path: Path) -> str:
    stem = strip_image_suffix(path.name)
    return stem.rsplit("_", 1)[-1].lower()


def _find(folder: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    if not folder.is_dir():
        return out
    for f in sorted(folder.rglob("*")):
        if is_image_file(f):
            suf = _suffix_of(f)
            if suf in suffixes and suf not in out:
                out[suf] = f
    return out


def _derivatives_root(root: Path, subject: Path) -> Path:
    if subject == root:
        return root.parent / "derivatives" if (root.parent / "derivatives").is_dir() else root.parent.parent / "derivatives"
    return root / "derivatives"


class Isles2022(Layout):
    """ISLES'22 in BIDS: DWI, ADC and FLAIR per session, the expert mask in ``derivatives/``."""

    name = "isles2022"
    description = "ISLES 2022"
    default_label_map = {0: 0, 1: CORE}

    def detect(self, root: Path) -> bool:
        return any(_find(s, ("dwi",)) for s in _subjects(root, _SUB22, ("rawdata",))[:3])

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        subjects = _subjects(root, _SUB22, ("rawdata",))
        if not subjects:
            raise InputError("no ISLES 2022 subjects (sub-strokecaseNNNN) found", root)
        participants = read_clinical_table(root / "participants.tsv", ("participant_id",))
        refs = []
        for sub in subjects:
            files = _find(sub, ("dwi", "adc", "flair"))
            images = {canonical_modality(k): v for k, v in files.items()}
            deriv = _derivatives_root(root, sub) / sub.name
            masks = _find(deriv, ("msk",)) or _find(sub, ("msk",))
            refs.append(
                CaseRef(
                    case_id=sub.name,
                    patient_id=sub.name,
                    images=images,
                    reference="DWI" if "DWI" in images else next(iter(images), "DWI"),
                    layout=self.name,
                    label_map=label_map,
                    label=masks.get("msk"),
                    clinical=participants.get(sub.name, {}),
                    folder=sub,
                )
            )
        return refs


def _phenotype(root: Path, subject: str) -> tuple[dict[str, Any], list[str]]:
    folder = root / "phenotype" / subject
    values: dict[str, Any] = {}
    notes: list[str] = []
    if not folder.is_dir():
        return values, notes
    for f in sorted(folder.rglob("*")):
        if f.suffix.lower() in (".csv", ".tsv"):
            rows = read_table(f, "\t" if f.suffix.lower() == ".tsv" else ",", "phenotype table")
            if rows:
                values.update(normalise_clinical(rows[0]))
        elif f.suffix.lower() == ".xlsx":
            try:
                import openpyxl  # type: ignore[import-not-found]
            except ImportError:
                notes.append(f"{f}: not read (install openpyxl to read .xlsx phenotype files)")
                continue
            try:
                ws = openpyxl.load_workbook(f, read_only=True).active
            except Exception as exc:
                raise InputError(f"cannot read the phenotype workbook ({type(exc).__name__})", f) from None
            rows = list(ws.iter_rows(values_only=True))
            if len(rows) >= 2:
                values.update(normalise_clinical({str(k): (str(v) if v is not None else "") for k, v in zip(rows[0], rows[1])}))
    return values, notes


class Isles2024(Layout):
    """ISLES'24 in BIDS: NCCT and CTP, the vendor perfusion maps in ``derivatives/``, the follow-up lesion mask."""

    name = "isles2024"
    description = "ISLES 2024"
    default_label_map = {0: 0, 1: CORE}

    def detect(self, root: Path) -> bool:
        return any(_find(s, _SCANS24) for s in self._subjects(root)[:3])

    @staticmethod
    def _subjects(root: Path) -> list[Path]:
        """Subjects in raw_data/, and those that have only derivatives (e.g. vendor perfusion maps)."""
        raw = _subjects(root, _SUB24, ("raw_data", "rawdata"))
        names = {s.name for s in raw}
        only_maps = (
            [s for s in _subjects(root / "derivatives", _SUB24, ()) if s.name not in names]
            if (root / "derivatives").is_dir() and not _SUB24.match(root.name)
            else []
        )
        return sorted(raw + only_maps)

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        subjects = self._subjects(root)
        if not subjects:
            raise InputError("no ISLES 2024 subjects (sub-strokeNNNN) found", root)
        refs = []
        for sub in subjects:
            raw = _find(sub, ("ncct", "cta", "ctp", "cbf", "cbv", "mtt", "tmax"))
            deriv_sub = _derivatives_root(root, sub) / sub.name
            deriv = _find(deriv_sub / "ses-01", ("cta", "ctp", "cbf", "cbv", "mtt", "tmax"))
            follow = _find(deriv_sub / "ses-02", ("lesion-msk", "msk"))
            images: dict[str, Path] = {}
            for key in ("ncct", "cta", "cbf", "cbv", "mtt", "tmax"):
                path = deriv.get(key) or raw.get(key)
                if path is not None:
                    images[canonical_modality(key)] = path
            series = {}
            ctp = deriv.get("ctp") or raw.get("ctp")
            if ctp is not None:
                series["CTP"] = ctp
            clinical, _notes = _phenotype(root if sub != root else root.parent.parent, sub.name)
            refs.append(
                CaseRef(
                    case_id=sub.name,
                    patient_id=sub.name,
                    images=images,
                    reference="CT" if "CT" in images else next(iter(images), "CT"),
                    layout=self.name,
                    label_map=label_map,
                    label=follow.get("lesion-msk") or follow.get("msk"),
                    series=series,
                    clinical=clinical,
                    folder=sub,
                )
            )
        return refs
