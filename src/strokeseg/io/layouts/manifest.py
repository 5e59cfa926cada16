"""A generic manifest (CSV or YAML) for data in any other arrangement.

CSV columns: ``case_id`` (required), ``patient_id``, ``label``, ``mask``, ``frame_interval``,
``image:<MODALITY>`` for each 3D image, ``series:<NAME>`` for each 4D series; every other
column is clinical data (``nihss``, ``group``, ...). Paths are relative to the manifest.

YAML::

    label_map: {1: 2}          # optional, source value → canonical (0 bg, 1 penumbra, 2 core)
    reference: CT              # optional, the modality whose grid the case uses
    cases:
      - case_id: c01
        patient_id: p01
        images: {CT: c01/ct.nii.gz, CBF: c01/cbf.nii.gz}
        series: {CTP: c01/ctp.nii.gz}
        frame_interval: 1.0
        label: c01/label.nii.gz
        mask: c01/brain.nii.gz
        clinical: {nihss: 14, group: LVO}

A folder is read as a manifest when it holds ``manifest.csv``, ``manifest.yaml`` or ``manifest.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strokeseg.errors import InputError, one_line
from strokeseg.io.case import CaseRef
from strokeseg.io.labels import CORE, PENUMBRA, parse_label_map
from strokeseg.io.layouts.base import Layout, normalise_clinical, read_table
from strokeseg.io.modalities import canonical_modality
from strokeseg.io.text import read_text

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.csv")


def manifest_file(root: Path) -> Path | None:
    """The manifest of ``root`` (the file itself, or ``manifest.yaml``/``.yml``/``.csv`` inside it), or None."""
    if root.is_file() and root.suffix.lower() in (".csv", ".yaml", ".yml"):
        return root
    for name in MANIFEST_NAMES:
        if (root / name).is_file():
            return root / name
    return None


def _resolve(base: Path, value: Any, manifest: Path, what: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what}: expected a path, got {value!r}", manifest)
    p = Path(value.strip())
    return p if p.is_absolute() else (base / p)


def _rows_csv(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = read_table(path, ",", "manifest")
    out = []
    for row in rows:
        entry: dict[str, Any] = {"images": {}, "series": {}, "clinical": {}}
        for key, value in row.items():
            if key is None:
                raise InputError("a row has more fields than the header", path)
            k = key.strip()
            v = value.strip() if isinstance(value, str) else value
            if k.lower().startswith("image:"):
                if v:
                    entry["images"][k.split(":", 1)[1]] = v
            elif k.lower().startswith("series:"):
                if v:
                    entry["series"][k.split(":", 1)[1]] = v
            elif k.lower() in ("case_id", "patient_id", "label", "mask", "frame_interval"):
                entry[k.lower()] = v or None
            else:
                entry["clinical"][k] = v
        out.append(entry)
    return out, {}


def _refuse_duplicate_keys(node: Any) -> None:
    """Raise a YAML error for a key given twice in one mapping (YAML keeps the last silently)."""
    import yaml

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in n.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise yaml.constructor.ConstructorError(None, None, f"the key {key.value!r} is given twice", key.start_mark)
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def _rows_yaml(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    import yaml

    text = read_text(path, "manifest")
    try:
        _refuse_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader))  # the node tree only: nothing is constructed
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML ({one_line(str(exc))})", path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise InputError("a YAML manifest needs a top-level 'cases:' list", path)
    return doc["cases"], {k: v for k, v in doc.items() if k != "cases"}


class Manifest(Layout):
    """Any data described by a ``manifest.csv`` or ``manifest.yaml`` (see the module docstring)."""

    name = "manifest"
    description = "manifest (CSV or YAML)"
    default_label_map = {0: 0, 1: PENUMBRA, 2: CORE}

    def detect(self, root: Path) -> bool:
        return manifest_file(root) is not None

    def manifest_label_map(self, root: Path) -> dict[int, int] | None:
        """The label map a YAML manifest states, or None."""
        path = manifest_file(root)
        if path is None or path.suffix.lower() == ".csv":
            return None
        _, meta = _rows_yaml(path)
        try:
            return parse_label_map(meta.get("label_map")) if meta.get("label_map") is not None else None
        except ValueError as exc:
            raise InputError(str(exc), path) from None

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        path = manifest_file(root)
        if path is None:
            raise InputError("no manifest.csv / manifest.yaml found", root)
        rows, meta = _rows_csv(path) if path.suffix.lower() == ".csv" else _rows_yaml(path)
        if not rows:
            raise InputError("manifest lists no cases", path)
        base = path.parent
        refs: list[CaseRef] = []
        seen: set[str] = set()
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or not row.get("case_id"):
                raise InputError(f"case entry {i} has no case_id", path)
            cid = str(row["case_id"])
            if cid in seen:
                raise InputError(f"case_id {cid!r} appears twice", path)
            seen.add(cid)
            for key in ("images", "series", "clinical"):
                if row.get(key) is not None and not isinstance(row[key], dict):
                    raise InputError(f"case {cid}: '{key}' must be a mapping (NAME: value), not a {type(row[key]).__name__}", path)
            images = {canonical_modality(str(k)): _resolve(base, v, path, f"{cid} image {k}") for k, v in (row.get("images") or {}).items()}
            series = {
                canonical_modality(str(k)): _resolve(base, v, path, f"{cid} series {k}") for k, v in (row.get("series") or {}).items()
            }
            if not images and not series:
                raise InputError(f"case {cid} lists no images or series", path)
            reference = str(row.get("reference") or meta.get("reference") or "")
            reference = canonical_modality(reference) if reference else next(iter(images or series))
            fi = row.get("frame_interval", meta.get("frame_interval"))
            try:
                frame_interval = float(fi) if fi not in (None, "") else None
            except (TypeError, ValueError):
                raise InputError(f"case {cid}: frame_interval {fi!r} is not a number", path) from None
            refs.append(
                CaseRef(
                    case_id=cid,
                    patient_id=str(row.get("patient_id") or cid),
                    images=images,
                    reference=reference,
                    layout=self.name,
                    label_map=label_map,
                    label=_resolve(base, row["label"], path, f"{cid} label") if row.get("label") else None,
                    mask=_resolve(base, row["mask"], path, f"{cid} mask") if row.get("mask") else None,
                    series=series,
                    clinical=normalise_clinical(row.get("clinical") or {}),
                    frame_interval=frame_interval,
                    folder=base,
                )
            )
        return refs
