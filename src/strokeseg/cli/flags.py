"""Library text names parameters (``set 'label_map'``); on the command line it names flags.

Errors carry the parameters as data (:class:`strokeseg.errors.Param` in a :class:`~strokeseg.errors.Message`),
written here by :func:`flag_of`. Notes are still plain text, which :func:`to_flags` rewrites.
"""

from __future__ import annotations

import re

from strokeseg.errors import Param

PARAM_FLAGS = {
    "label_map": "--label-map",
    "pred_label_map": "--pred-label-map",
    "nonfinite": "--nonfinite",
    "layout": "--layout",
    "overwrite": "--overwrite",
    "resume": "--resume",
    "out": "--out",
    "modality": "--modality",
    "frame_interval": "--frame-interval",
    "truth": "--truth",
    "allow_in_input": "--allow-output-in-input",
    "aif_mask": "--aif-mask",
    "vof_correction": "--vof",
    "pretrained": "--pretrained",
    "executor": "--executor",
    "jobs": "--jobs",
    "scheduler": "--scheduler",
    "nnunet.labels": "--nnunet-labels",
    "nnunet.channels": "--nnunet-channels",
    "nnunet.folds": "--nnunet-folds",
    "export.dataset_id": "--id",
    "json_out": "--json",
}
SWITCHES = frozenset({"overwrite", "resume", "allow_in_input"})  # flags without a value: "set 'x' to …" keeps its "to"
_NAMES = "|".join(map(re.escape, PARAM_FLAGS))
_PARAM = re.compile(r"\b(set|without|with) '(" + _NAMES + r")'( to)?|'(" + _NAMES + r")'")


def to_flags(message: str) -> str:
    """``"…; set 'label_map' to map them"`` → ``"…; pass --label-map to map them"``."""

    def sub(m: re.Match[str]) -> str:
        if m.group(2):
            verb = "pass" if m.group(1) == "set" else m.group(1)
            keep_to = " to" if m.group(3) and m.group(2) in SWITCHES else ""
            return f"{verb} {PARAM_FLAGS[m.group(2)]}{keep_to}"
        return PARAM_FLAGS[m.group(4)]

    return _PARAM.sub(sub, message)


def flag_of(param: Param) -> str:
    """The words that name ``param`` on the command line (``pass --label-map``)."""
    return param.flag(PARAM_FLAGS.get(param.key) or PARAM_FLAGS.get(param.name) or "--" + param.name.replace("_", "-"))
