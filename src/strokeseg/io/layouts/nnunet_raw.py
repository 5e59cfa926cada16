"""nnU-Net raw datasets: ``dataset.json`` with ``imagesTr/``, ``imagesTs/`` (``<case>_<XXXX><ending>``,
one file per channel, channel names from ``dataset.json``) and ``labelsTr/`` (``<case><ending>``).

Channel names map onto strokeseg's modalities (``DWI``, ``ADC``, ``CT``, ``CBF`` …, case
insensitive); the labels map onto penumbra/core by their names (``lesion``/``core`` → core,
``hypoperfused``/``penumbra`` → penumbra; region-based sets by ``regions_class_order``), or by
``--label-map``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from strokeseg.errors import InputError, Message, Param
from strokeseg.io.case import CaseRef
from strokeseg.io.labels import meaning_of_name, nnunet_label_values
from strokeseg.io.layouts.base import Layout
from strokeseg.io.modalities import canonical_modality

_CHANNEL = re.compile(r"^(?P<case>.+)_(?P<ch>\d{4})$")


def _dataset_json(root: Path) -> dict[str, Any] | None:
    path = root / "dataset.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read it as JSON ({err})", path) from None
    return data if isinstance(data, dict) else None


def _channels(meta: dict[str, Any], path: Path) -> dict[int, str]:
    names = meta.get("channel_names", meta.get("modality"))
    if not isinstance(names, dict) or not names:
        raise InputError("dataset.json has no channel_names", path)
    return {int(k): canonical_modality(str(v)) for k, v in names.items()}


def label_map_of(meta: dict[str, Any], path: Path) -> dict[int, int]:
    """Label-file value → canonical label, from the label names."""
    try:
        values = nnunet_label_values(meta.get("labels", {}), meta.get("regions_class_order"))
    except (ValueError, TypeError) as err:
        raise InputError(f"dataset.json labels: {err}", path) from None
    out = {0: 0}
    for name, value in values.items():
        meaning = meaning_of_name(name)
        if meaning is None:
            raise InputError(Message(f"label {name!r} (value {value}) names neither core nor penumbra; ", Param("label_map")), path)
        out[value] = meaning
    return out


class NnUNetRaw(Layout):
    """An nnU-Net raw dataset folder (``Dataset###_Name``)."""

    name = "nnunet-raw"
    description = "nnU-Net raw dataset (dataset.json, imagesTr/, imagesTs/, labelsTr/)"
    default_label_map: ClassVar[Mapping[int, int]] = {}

    def detect(self, root: Path) -> bool:
        return root.is_dir() and (root / "dataset.json").is_file() and any((root / d).is_dir() for d in ("imagesTr", "imagesTs"))

    def dataset_label_map(self, root: Path) -> dict[int, int]:
        """The label map ``dataset.json``'s label names give."""
        meta = _dataset_json(root)
        return label_map_of(meta, root / "dataset.json") if meta is not None else {0: 0}

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        meta = _dataset_json(root)
        if meta is None:
            raise InputError("no dataset.json", root)
        channels = _channels(meta, root / "dataset.json")
        ending = str(meta.get("file_ending", ".nii.gz"))
        lmap = dict(label_map) if label_map else label_map_of(meta, root / "dataset.json")
        refs: list[CaseRef] = []
        for split, labels in (("imagesTr", root / "labelsTr"), ("imagesTs", None)):
            refs += _scan_split(root / split, labels, channels, ending, lmap, self.name)
        if not refs:
            raise InputError(f"no <case>_<XXXX>{ending} images in imagesTr/ or imagesTs/", root)
        return refs


def _scan_split(folder: Path, labels: Path | None, channels: dict[int, str], ending: str, lmap, layout: str) -> list[CaseRef]:
    if not folder.is_dir():
        return []
    cases: dict[str, dict[str, Path]] = {}
    for f in sorted(folder.iterdir()):
        m = _CHANNEL.match(f.name[: -len(ending)]) if f.is_file() and f.name.endswith(ending) else None
        if m and int(m.group("ch")) in channels:
            cases.setdefault(m.group("case"), {})[channels[int(m.group("ch"))]] = f
    refs = []
    for case, images in cases.items():
        missing = [c for c in channels.values() if c not in images]
        if missing:
            raise InputError(f"case {case} lacks channel(s) {', '.join(missing)}", folder)
        label = labels / f"{case}{ending}" if labels is not None and (labels / f"{case}{ending}").is_file() else None
        refs.append(
            CaseRef(
                case_id=case,
                patient_id=case,
                images=images,
                reference=channels[min(channels)],
                layout=layout,
                label_map=lmap,
                label=label,
                folder=folder,
            )
        )
    return refs
