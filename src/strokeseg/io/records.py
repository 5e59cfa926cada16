"""The run folder's JSON records, typed and versioned: every producer writes through :func:`write_record`,
every consumer reads through :func:`read_record`.

Four records, each with a file name and a schema: the case read-out (``<case>_readout.json``), the
prediction volumes (``<case>_volumes.json``), the perfusion record (``perfusion.json``) and the evaluation
summary (``summary.json``). A schema gives each key its JSON types and, for numbers, a range; nested objects
have schemas of their own. Reading checks that the file is a JSON object of a format this version knows,
that every key has its type and range (numbers finite), that the required keys are there, and, for the
closed records (read-out, volumes, summary), that no key is unknown. A record that fails is refused with
one line naming the file, the key and what is wrong, so that a renamed or damaged key is an error, never a
blank cell in a clinical report. Writing adds ``format`` and checks the same (a failure there is a bug).

The records are plain JSON objects (``dict``): what the schema guarantees is that every key present has its
type and range, and that the required ones are there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strokeseg.errors import InputError

#: the records' format; files without ``format`` were written before it existed and read as format 1
FORMAT = 1

READOUT_SUFFIX = "_readout.json"
VOLUMES_SUFFIX = "_volumes.json"
PERFUSION_NAME = "perfusion.json"
SUMMARY_NAME = "summary.json"

_NUM = (int, float)
_ANY = (str, int, float, bool, list, dict, type(None))


@dataclass(frozen=True)
class Key:
    """One key: its JSON types (``None`` allowed when ``nullable``), whether it must be there, a number range,
    and the schema of an object value (or of each object in a list value)."""

    types: tuple[type, ...]
    required: bool = False
    nullable: bool = True
    lo: float = -math.inf
    hi: float = math.inf
    nested: Schema | None = None
    words: tuple[str, ...] = ()  # strings allowed besides the types (e.g. "inf" for an unbounded ratio)


@dataclass(frozen=True)
class Schema:
    """A JSON object's keys; ``closed``: any other key is an error."""

    keys: Mapping[str, Key] = field(default_factory=dict)
    closed: bool = True


def _ml() -> Key:
    return Key(_NUM, lo=0.0)


_WARNING = Schema({"code": Key((str,), required=True, nullable=False), "message": Key((str,), required=True, nullable=False)}, closed=False)
_CLINICAL = Schema(
    {
        **{k: Key(_NUM, lo=0.0, hi=200.0) for k in ("age", "nihss", "onset_h", "mrs")},
        **{k: Key((str,)) for k in ("group", "age_from", "nihss_from", "onset_h_from", "mrs_from")},
    },
    closed=False,
)
_VERDICT = Schema({"trial": Key((str,), required=True, nullable=False), "eligible": Key((bool, str)), "rule": Key((str,))}, closed=False)

READOUT = Schema(
    {
        "format": Key((int,), lo=1),
        "case_id": Key((str,), required=True, nullable=False),
        "maps": Key((str,)),
        "core_ml": _ml(),
        "hypoperfused_ml": _ml(),
        "penumbra_ml": _ml(),
        "mismatch_ratio": Key(_NUM, lo=0.0, words=("inf",)),
        "tmax10_ml": _ml(),
        "hir": Key(_NUM, lo=0.0, hi=1.0),
        "defuse3": Key((bool,)),
        "extend": Key((bool,)),
        "reference_cbf": Key(_NUM),
        "perfusion": Key((bool,)),
        "not_assessable": Key((list,)),
        "implausible": Key((list,)),
        "notes": Key((list,)),
        "warnings": Key((list,)),
        "thresholds": Key((dict,), nested=Schema(closed=False)),
        "inputs": Key((dict,), nested=Schema(closed=False)),
        "clinical": Key((dict,), nested=_CLINICAL),
        "eligibility": Key((list,), nested=_VERDICT),
        "provenance": Key((dict,), nested=Schema(closed=False)),
        "seconds": Key(_NUM, lo=0.0),
        "timings_s": Key((dict,), nested=Schema(closed=False)),
    }
)

VOLUMES = Schema(
    {
        "format": Key((int,), lo=1),
        "case_id": Key((str,), required=True, nullable=False),
        "core_ml": _ml(),
        "penumbra_ml": _ml(),
        "hypoperfused_ml": _ml(),
        "threshold": Key(_NUM, lo=0.0, hi=1.0),
        "min_size": Key((int,), lo=0),
        "postprocess": Key((str,)),
        "models": Key((int,), lo=1),
        "mc_passes": Key((int,), lo=1),
        "tta": Key((bool,)),
        "seconds": Key(_NUM, lo=0.0),
        "timings_s": Key((dict,), nested=Schema(closed=False)),
        "recipe": Key((str,)),
        "target": Key((str,)),
        "notes": Key((list,)),
        "warnings": Key((list,), nested=_WARNING),
        "model": Key((str, dict)),
        "folds": Key((list,)),
        "checkpoint": Key((str,)),
        "label_map": Key((str, dict)),
        "fuse": Key((str,)),
        "unavailable": Key((list,)),
    },
    closed=False,
)

PERFUSION = Schema(
    {
        "format": Key((int,), lo=1),
        "source": Key((str,)),
        "modality": Key((str,)),
        "method": Key((str,)),
        "frames": Key((int,), lo=1),
        "frame_interval_s": Key(_NUM, lo=0.0),
        "bolus_arrival_frame": Key((int,), lo=0),
        "baseline_frames": Key((list,)),
        "brain_voxels": Key((int,), lo=0),
        "aif": Key(
            (dict,), nested=Schema({"curve": Key((list,)), "voxels": Key((int,), lo=0), "location": Key((list, dict))}, closed=False)
        ),
        "qc": Key((dict,), nested=Schema({"motion_mm": Key((dict,)), "flagged": Key((list,))}, closed=False)),
        "motion": Key((dict,), nested=Schema({"reference_frame": Key((int,), lo=0), "displacement_mm": Key((list,))}, closed=False)),
        "timings_s": Key((dict,), nested=Schema(closed=False)),
        "threads": Key((int,), lo=1),
        "warnings": Key((list,)),
        "data_warnings": Key((list,), nested=_WARNING),
        "units": Key((dict,), nested=Schema(closed=False)),
        "aif_times_s": Key((list,)),
        "case": Key((dict,), nested=Schema(closed=False)),
    },
    closed=False,
)

SUMMARY = Schema(
    {
        "format": Key((int,), lo=1),
        "regions": Key((list,), required=True, nullable=False),
        "protocol": Key((str,)),
        "summary": Key((list,), nested=Schema(closed=False)),
        "cases": Key(
            (list,), required=True, nullable=False, nested=Schema({"case_id": Key((str,), required=True, nullable=False)}, closed=False)
        ),
        "unmatched_predictions": Key((list,)),
        "truth_without_prediction": Key((list,)),
        "warnings": Key((list,)),
        "files": Key((dict,), nested=Schema(closed=False)),
        "not_assessable": Key((dict,), nested=Schema(closed=False)),
    }
)

#: each record's schema by kind
SCHEMAS = {"readout": READOUT, "volumes": VOLUMES, "perfusion": PERFUSION, "summary": SUMMARY}


class RecordError(ValueError):
    """A record that does not match its schema (the message names the key)."""


def _check_value(where: str, key: Key, value: Any) -> None:
    if value is None:
        if not key.nullable:
            raise RecordError(f"'{where}' is null")
        return
    if isinstance(value, str) and value in key.words:
        return
    if isinstance(value, bool) and bool not in key.types:  # JSON true is not a number here
        raise RecordError(f"'{where}' is {value!r}, expected {_names(key.types)}")
    if not isinstance(value, key.types):
        raise RecordError(f"'{where}' is {type(value).__name__} {str(value)[:40]!r}, expected {_names(key.types)}")
    if isinstance(value, _NUM) and not isinstance(value, bool):
        if not math.isfinite(value) or not key.lo <= value <= key.hi:
            raise RecordError(f"'{where}' is {value!r}, outside [{key.lo:g}, {key.hi:g}]")
    if key.nested is not None:
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            label = f"{where}[{i}]" if isinstance(value, list) else where
            if not isinstance(item, dict):
                raise RecordError(f"'{label}' is {type(item).__name__}, expected an object")
            _check_object(label, key.nested, item)


def _names(types: tuple[type, ...]) -> str:
    words = {int: "a number", float: "a number", str: "a string", bool: "true/false", list: "a list", dict: "an object"}
    return " or ".join(dict.fromkeys(words.get(t, t.__name__) for t in types))


def _check_object(where: str, schema: Schema, data: dict[str, Any]) -> None:
    for name, key in schema.keys.items():
        label = f"{where}.{name}" if where else name
        if name not in data:
            if key.required:
                raise RecordError(f"'{label}' is missing")
            continue
        _check_value(label, key, data[name])
    if schema.closed:
        unknown = sorted(set(data) - set(schema.keys))
        if unknown:
            raise RecordError(
                f"unknown key '{(where + '.') if where else ''}{unknown[0]}'"
                + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
            )


def validate(kind: str, data: Any) -> dict[str, Any]:
    """``data`` checked against the schema of ``kind`` (returned as it is).

    Raises:
        RecordError: naming the key and what is wrong.
    """
    if not isinstance(data, dict):
        raise RecordError(f"is {type(data).__name__}, not a JSON object")
    version = data.get("format", 1)
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT:
        raise RecordError(f"is format {version}, newer than this strokeseg reads ({FORMAT}); use a newer strokeseg")
    _check_object("", SCHEMAS[kind], data)
    return data


def read_record(kind: str, path: str | Path) -> dict[str, Any]:
    """The validated record of ``kind`` at ``path`` (see :func:`validate`).

    Raises:
        InputError: the file cannot be read, is not JSON, or does not match its schema (one line naming it).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the {kind} record ({exc.strerror or exc})", path) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"the {kind} record is not valid JSON ({str(exc)[:80]})", path) from None
    try:
        return validate(kind, data)
    except RecordError as exc:
        raise InputError(f"the {kind} record {exc}; it is not one strokeseg wrote", path) from None


def record_text(kind: str, data: Mapping[str, Any]) -> str:
    """The JSON text of a record (``format`` added), checked against its schema first (a failure is a bug)."""
    from strokeseg.tables import json_text

    out = {"format": FORMAT, **data}
    text = json_text(out)
    validate(kind, json.loads(text))
    return text


def write_record(kind: str, path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write a record atomically (see :func:`record_text`)."""
    from strokeseg.io.atomic import write_text

    return write_text(Path(path), record_text(kind, data))
