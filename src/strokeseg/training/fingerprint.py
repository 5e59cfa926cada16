"""What a training run was started with, so that ``--resume`` continues only the same run.

``run.json`` in the bundle folder holds the resolved recipe (minus ``epochs``, which a resumed
run may raise) and a SHA-256 over the labelled cases' ids, channels, arrays and targets. A resume
with another recipe or other data is refused with the fields or cases that differ.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import WITH_OVERWRITE, WITHOUT_RESUME, ConfigError, InputError, Message
from strokeseg.io.atomic import write_text
from strokeseg.preprocessing.prepare import PreparedCase
from strokeseg.recipes.recipe import Recipe, field_defaults, recipe_from_dict

RUN_FILE = "run.json"
_MAY_CHANGE = ("epochs",)
_ABSENT = object()


def data_fingerprint(cases: list[PreparedCase]) -> str:
    """A SHA-256 over the cases' ids, channels and arrays: equal only for the same prepared data."""
    h = hashlib.sha256()
    for c in sorted(cases, key=lambda c: c.case_id):
        h.update(c.case_id.encode())
        h.update(",".join(c.channels).encode())
        for a in (c.x, c.target):
            if a is not None:
                arr = np.ascontiguousarray(a)
                h.update(str((arr.dtype, arr.shape)).encode())
                h.update(arr.view(np.uint8).data)
    return h.hexdigest()


def _recipe_dict(recipe: Recipe) -> dict[str, Any]:
    d = json.loads(json.dumps(recipe.to_dict(), default=str))
    for k in _MAY_CHANGE:
        d.pop(k, None)
    result: dict[str, Any] = d
    return result


def _normalised(old: dict[str, Any]) -> dict[str, Any]:
    """An earlier run's recipe in this version's flat form (blocks such as ``adversarial`` with their defaults
    written out, as :meth:`Recipe.to_dict` writes them now), or as it was when it no longer loads."""
    try:
        return _recipe_dict(recipe_from_dict(dict(old), RUN_FILE))
    except (ConfigError, TypeError, ValueError, AttributeError):
        return old


def _differs(before: Any, now: Any, default: Any) -> bool:
    """Whether a recipe value changed since ``run.json`` was written. A field the earlier version did not
    have (``before`` absent) counts as unchanged when it is at its default now: that was the behaviour
    then. Blocks (dicts) compare field by field."""
    if isinstance(before, dict) and isinstance(now, dict):
        sub = default if isinstance(default, dict) else {}
        return any(_differs(before.get(k, _ABSENT), now.get(k, _ABSENT), sub.get(k, _ABSENT)) for k in set(before) | set(now))
    if before is _ABSENT:
        return default is _ABSENT or now != default
    return bool(before != now)


def check_run_fingerprint(out: Path, recipe: Recipe, cases: list[PreparedCase], resume: bool) -> None:
    """On a fresh run, write ``run.json``; on ``resume``, refuse a recipe or dataset that differs from it."""
    current: dict[str, Any] = {"recipe": _recipe_dict(recipe), "data": data_fingerprint(cases), "cases": sorted(c.case_id for c in cases)}
    path = out / RUN_FILE
    if resume and path.exists():
        try:
            before = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            raise InputError(Message("cannot resume: run.json is unreadable; train ", WITHOUT_RESUME), path) from None
        if not (isinstance(before, dict) and isinstance(before.get("recipe", {}), dict) and isinstance(before.get("cases", []), list)):
            raise InputError("cannot resume: run.json is not the record strokeseg writes (an object with a recipe object)", path)
        old, now, defaults = _normalised(before.get("recipe", {})), current["recipe"], field_defaults()
        changed = sorted(k for k in set(old) | set(now) if _differs(old.get(k, _ABSENT), now.get(k, _ABSENT), defaults.get(k, _ABSENT)))
        if changed:
            raise ConfigError(
                Message(
                    f"cannot resume: the recipe differs from the interrupted run's in {', '.join(changed)}; "
                    "resume with the same recipe and overrides, or train anew ",
                    WITH_OVERWRITE,
                ),
                path,
            )
        if before.get("data") != current["data"]:
            gone = sorted(set(before.get("cases", [])) ^ set(current["cases"]))
            what = f"cases differ: {', '.join(gone[:5])}" if gone else "the same case ids hold other images or labels"
            raise ConfigError(
                Message(f"cannot resume: the dataset differs from the interrupted run's ({what}); train anew ", WITH_OVERWRITE), path
            )
        return
    if resume and any(out.glob("fold_*/checkpoint.pt")):
        raise InputError(
            Message(
                "cannot resume: the folder has checkpoints but no run.json (written by another strokeseg version?); train anew ",
                WITH_OVERWRITE,
            ),
            out,
        )
    write_text(path, json.dumps(current, indent=2))
