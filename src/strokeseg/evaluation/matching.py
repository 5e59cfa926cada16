"""Pairing prediction files with truth cases by case id."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from strokeseg.errors import InputError
from strokeseg.io.layouts.base import is_image_file, strip_image_suffix, walk_dirs

LABEL_SUFFIXES = ("_labels", "_label", "_seg", "_segmentation", "_prediction", "_pred", "_msk", "_mask", "_lesion")
# generic file names inside a case folder; lesion_msk is what DeepISLES writes per case
GENERIC_NAMES = {"label", "labels", "seg", "segmentation", "pred", "prediction", "mask", "msk", "lesion_msk", "lesion_mask", "lesion-msk"}
#: what strokeseg writes beside each case's labels, never a prediction to score: ``predict`` writes
#: ``<case>_prob/_probabilities/_variance/_entropy``; ``perfusion``/``threshold`` write the maps and
#: masks under their own names in the case's folder
AUXILIARY_SUFFIXES = ("_prob", "_probabilities", "_variance", "_entropy")
AUXILIARY_NAMES = frozenset({"CBF", "CBV", "MTT", "Tmax", "TTP", "baseline", "aif_mask", "brain_mask"})


def candidate_ids(path: Path) -> list[str]:
    """Case ids a label file may stand for: its stem, the stem without a label suffix, or its folder."""
    stem = strip_image_suffix(path.name)
    out = [stem]
    low = stem.lower()
    for suf in LABEL_SUFFIXES:
        if low.endswith(suf):
            out.append(stem[: -len(suf)])
            break
    if low in GENERIC_NAMES:
        out.append(path.parent.name)
    return out


def auxiliary_of(path: Path, case_ids: set[str]) -> str | None:
    """The case id whose auxiliary output ``path`` is (``<case>_prob.nii.gz``, ``<case>/CBF.nii.gz`` …), else None."""
    stem = strip_image_suffix(path.name)
    if stem in AUXILIARY_NAMES and path.parent.name in case_ids:
        return path.parent.name
    for suf in AUXILIARY_SUFFIXES:
        if stem.endswith(suf) and stem[: -len(suf)] in case_ids:
            return stem[: -len(suf)]
    return None


def match_files(folder: Path, case_ids: Iterable[str]) -> tuple[dict[str, Path], list[Path]]:
    """Files under ``folder`` (two levels deep) matched to ``case_ids``; also the files that match none.

    A case's auxiliary outputs (:func:`auxiliary_of`) are neither: they are left out.
    """
    if not folder.is_dir():
        raise InputError("prediction folder not found", folder)
    ids = set(case_ids)
    matched: dict[str, Path] = {}
    unmatched: list[Path] = []
    for d in walk_dirs(folder, 2):
        for f in sorted(d.iterdir()):
            if not is_image_file(f):
                continue
            cid = next((c for c in candidate_ids(f) if c in ids), None)
            if cid is None:
                if auxiliary_of(f, ids) is None:
                    unmatched.append(f)
                continue
            if cid in matched:
                raise InputError(f"two prediction files for case {cid}: {matched[cid].name} and {f.name}", folder)
            matched[cid] = f
    return matched, unmatched


def label_files(folder: Path) -> dict[str, Path]:
    """A plain folder of label maps: case id → file (id = stem without a label suffix)."""
    out: dict[str, Path] = {}
    for d in walk_dirs(folder, 2):
        for f in sorted(d.iterdir()):
            if is_image_file(f):
                ids = candidate_ids(f)
                out.setdefault(ids[-1] if len(ids) > 1 else ids[0], f)
    if not out:
        raise InputError("no label files (.nii, .nii.gz, .mha) found", folder)
    return out
