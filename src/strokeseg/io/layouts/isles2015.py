"""ISLES 2015 SISS and SPES: ``<case>/VSD.Brain.XX.O.MR_<modality>.<id>/VSD...<id>.mha``, truth ``OT``.

SISS (sub-acute): T1, T2, FLAIR, DWI; the OT label is the whole lesion, mapped to core.
SPES (acute penumbra): T1c, T2, DWI, CBF, CBV, TTP, Tmax (a raw ``MR_4DPWI`` series, as in ISLES'17, is
read as the series ``PWI``); the OT label is mapped 1 → penumbra,
2 → core, so that the SPES "penumbra" label (the whole perfusion lesion) is the canonical
``hypoperfused`` region whether the copy at hand stores it as 1 or as 1 + 2.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from strokeseg.errors import InputError
from strokeseg.io.case import CaseRef
from strokeseg.io.labels import CORE, PENUMBRA
from strokeseg.io.layouts.base import Layout, is_image_file, walk_dirs
from strokeseg.io.modalities import canonical_modality

_VSD = re.compile(r"^VSD\.[^.]+\.(?:XX|\w+)\.(?:O|XX|\w+)\.(?P<mod>MR_[A-Za-z0-9]+|OT)\.(?P<id>\d+)$")
_PERFUSION = {"CBF", "CBV", "TTP", "Tmax"}


def _case_dirs(root: Path) -> dict[Path, dict[str, Path]]:
    """case folder → {modality or 'OT': image file}."""
    cases: dict[Path, dict[str, Path]] = defaultdict(dict)
    for d in walk_dirs(root, 3):
        m = _VSD.match(d.name)
        if not m:
            continue
        files = sorted(f for f in d.iterdir() if is_image_file(f))
        if not files:
            continue
        mod = m.group("mod")
        key = "OT" if mod == "OT" else ("series:PWI" if mod.upper() == "MR_4DPWI" else canonical_modality(mod))
        cases[d.parent][key] = files[0]
    return cases


class _Isles2015(Layout):
    spes: bool

    def detect(self, root: Path) -> bool:
        cases = _case_dirs(root)
        if not cases:
            return False
        mods = set().union(*(set(v) for v in cases.values()))
        return bool(mods & _PERFUSION) == self.spes

    def scan(self, root: Path, label_map: Mapping[int, int]) -> list[CaseRef]:
        cases = _case_dirs(root)
        if not cases:
            raise InputError(f"no {self.description} cases (VSD.Brain.*.MR_* folders) found", root)
        refs = []
        for folder, files in sorted(cases.items(), key=lambda kv: _natural(kv[0].name)):
            images = {k: v for k, v in files.items() if k != "OT" and not k.startswith("series:")}
            series = {k.split(":", 1)[1]: v for k, v in files.items() if k.startswith("series:")}
            order = ("DWI", "T1c", "FLAIR", "T2", "T1")
            reference = next((m for m in order if m in images), next(iter(images), "DWI"))
            refs.append(
                CaseRef(
                    case_id=folder.name,
                    patient_id=folder.name,
                    images=images,
                    reference=reference,
                    layout=self.name,
                    label_map=label_map,
                    label=files.get("OT"),
                    series=series,
                    folder=folder,
                )
            )
        return refs


def _natural(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


class Isles2015Siss(_Isles2015):
    """ISLES 2015 SISS: ``<case>/VSD.Brain.XX.O.MR_{T1,T2,Flair,DWI}.<id>/*.mha``, the core as ``OT``."""

    name = "isles2015-siss"
    description = "ISLES 2015 SISS"
    default_label_map = {0: 0, 1: CORE}
    spes = False


class Isles2015Spes(_Isles2015):
    """ISLES 2015 SPES: MR structural and perfusion maps per case, penumbra 1 and core 2 in ``OT``."""

    name = "isles2015-spes"
    description = "ISLES 2015 SPES"
    default_label_map = {0: 0, 1: PENUMBRA, 2: CORE}
    spes = True
