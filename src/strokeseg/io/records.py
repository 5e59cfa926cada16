"""The run folder's JSON records, typed and versioned: every producer writes through :func:`write_record`,
every consumer reads through :func:`read_record`.

Five records, each with a file name and a schema: the case read-out (``<case>_readout.json``), the
prediction volumes (``<case>_volumes.json``), the perfusion record (``perfusion.json``), the evaluation
summary (``summary.json``) and the case list of a ``perfusion`` run (also ``summary.json``). A schema gives
each key its JSON types and, for numbers, a range; nested objects have schemas of their own. Reading checks
that the file is a JSON object of a format this version knows, that every key has its type and range
(numbers finite), that the required keys are there, and, for the closed records (read-out, summaries), that
no key is unknown. A record that fails is refused with one line naming the file, the key and what is wrong,
so that a renamed or damaged key is an error, never a blank cell in a clinical report. Writing adds
``format`` and checks the same (a failure there is a bug).

Each record is a frozen dataclass (:class:`ReadoutRecord`, :class:`VolumesRecord`, :class:`PerfusionRecord`,
:class:`SummaryRecord`, :class:`MapsSummaryRecord`) whose fields are the keys, each field carrying its
:class:`Key`; the schemas are built from the fields, so that a key is declared once. ``from_json``/``to_json``
convert, with the checks above.
"""

# ruff: noqa: RUF009 -- a record field's default is `_key(...)`, a dataclasses.field carrying the key's schema
from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Self

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


def _key(types: tuple[type, ...], **kw: Any) -> Any:
    """A record field: absent (``None``) by default, its :class:`Key` in the field's metadata."""
    return field(default=None, metadata={"key": Key(types, **kw)})


def _ml() -> Any:
    return _key(_NUM, lo=0.0)


_WARNING = Schema({"code": Key((str,), required=True, nullable=False), "message": Key((str,), required=True, nullable=False)}, closed=False)
_CLINICAL = Schema(
    {
        **{k: Key(_NUM, lo=0.0, hi=200.0) for k in ("age", "nihss", "onset_h", "mrs")},
        **{k: Key((str,)) for k in ("group", "age_from", "nihss_from", "onset_h_from", "mrs_from")},
    },
    closed=False,
)
_VERDICT = Schema({"trial": Key((str,), required=True, nullable=False), "eligible": Key((bool, str)), "rule": Key((str,))}, closed=False)
_OPEN = Schema(closed=False)

JsonObject = dict[str, Any]


@dataclass(frozen=True, eq=False)
class Record(Mapping[str, Any]):
    """A run record: a frozen dataclass whose fields are the JSON keys (``None``: absent or null).

    Read it by attribute (``rec.core_ml``). It is also a read-only mapping of its JSON form, so that
    ``rec["core_ml"]`` and ``rec.get("core_ml")`` work; asking a closed record for a key its schema does not
    name raises :class:`RecordError`, so that a renamed key is an error in the consumer too. Nested objects are
    JSON values (dicts and lists), checked against their own schemas.

    Attributes:
        format: the format the record was written in (``FORMAT`` for a new one).
        extra: keys an open record (volumes, perfusion) has beyond its schema.
        present: the keys the JSON had, so that a null and an absent key stay apart.
    """

    KIND: ClassVar[str] = ""
    CLOSED: ClassVar[bool] = True
    format: int = _key((int,), lo=1)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, metadata={"internal": True})
    present: frozenset[str] = field(default=frozenset(), repr=False, metadata={"internal": True})

    def __post_init__(self) -> None:
        if self.format is None:
            object.__setattr__(self, "format", FORMAT)
        given = {f for f in self.field_names() if getattr(self, f) is not None}
        object.__setattr__(self, "present", frozenset(self.present) | given)
        validate(self.KIND, self.to_json())

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The record's JSON keys, in order."""
        return tuple(f.name for f in fields(cls) if not f.metadata.get("internal"))

    @classmethod
    def schema(cls) -> Schema:
        """The record's schema, from its fields' keys."""
        return Schema({f.name: f.metadata["key"] for f in fields(cls) if "key" in f.metadata}, closed=cls.CLOSED)

    @classmethod
    def read(cls, path: str | Path) -> Self:
        """The record at ``path`` (see :func:`read_record`)."""
        rec: Self = read_record(cls.KIND, path)
        return rec

    def write(self, path: str | Path) -> Path:
        """Write the record atomically."""
        return write_record(self.KIND, path, self)

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """The record of a JSON object, checked against the schema (types, ranges, unknown keys, format).

        Raises:
            RecordError: naming the key and what is wrong.
        """
        if not isinstance(data, dict):
            raise RecordError(f"is {type(data).__name__}, not a JSON object")
        names = set(cls.field_names())
        known = {"format": 1, **{k: v for k, v in data.items() if k in names}}  # no format: written before it existed
        extra = {k: v for k, v in data.items() if k not in names}
        return cls(**known, extra=extra, present=frozenset(data))  # __post_init__ checks it against the schema

    def to_json(self) -> JsonObject:
        """The record as a JSON object: ``format`` first, then the keys that are present, then the extra ones."""
        out = {f: getattr(self, f) for f in self.field_names() if f in self.present or f == "format"}
        return {**out, **self.extra}

    def __getitem__(self, name: str) -> Any:
        if name in self.present and name in self.__dataclass_fields__:
            return getattr(self, name)
        if name in self.extra:
            return self.extra[name]
        if self.CLOSED and name not in self.field_names():
            raise RecordError(f"a {self.KIND} record has no key {name!r}")
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in self.present or name in self.extra or name == "format"

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_json())

    def __len__(self) -> int:
        return len(self.to_json())


@dataclass(frozen=True, eq=False)
class ReadoutRecord(Record):
    """``<case>_readout.json``: one case's clinical read-out (volumes in ml, verdicts, warnings, inputs)."""

    KIND: ClassVar[str] = "readout"
    case_id: str = _key((str,), required=True, nullable=False)
    maps: str | None = _key((str,))
    core_ml: float | None = _ml()
    hypoperfused_ml: float | None = _ml()
    penumbra_ml: float | None = _ml()
    mismatch_ratio: float | str | None = _key(_NUM, lo=0.0, words=("inf",))  # "inf": no core
    tmax10_ml: float | None = _ml()
    hir: float | None = _key(_NUM, lo=0.0, hi=1.0)
    defuse3: bool | None = _key((bool,))
    extend: bool | None = _key((bool,))
    reference_cbf: float | None = _key(_NUM)
    perfusion: bool | None = _key((bool,))
    not_assessable: list[Any] | None = _key((list,))
    implausible: list[Any] | None = _key((list,))
    notes: list[Any] | None = _key((list,))
    warnings: list[Any] | None = _key((list,))
    thresholds: JsonObject | None = _key((dict,), nested=_OPEN)
    inputs: JsonObject | None = _key((dict,), nested=_OPEN)
    clinical: JsonObject | None = _key((dict,), nested=_CLINICAL)
    eligibility: list[JsonObject] | None = _key((list,), nested=_VERDICT)
    provenance: JsonObject | None = _key((dict,), nested=_OPEN)
    seconds: float | None = _key(_NUM, lo=0.0)
    timings_s: JsonObject | None = _key((dict,), nested=_OPEN)


@dataclass(frozen=True, eq=False)
class VolumesRecord(Record):
    """``<case>_volumes.json``: one case's predicted volumes (ml) and how the prediction was made (open: a
    model's extra settings are kept)."""

    KIND: ClassVar[str] = "volumes"
    CLOSED: ClassVar[bool] = False
    case_id: str = _key((str,), required=True, nullable=False)
    core_ml: float | None = _ml()
    penumbra_ml: float | None = _ml()
    hypoperfused_ml: float | None = _ml()
    threshold: float | None = _key(_NUM, lo=0.0, hi=1.0)
    min_size: int | None = _key((int,), lo=0)
    postprocess: str | None = _key((str,))
    models: int | None = _key((int,), lo=1)
    mc_passes: int | None = _key((int,), lo=1)
    tta: bool | None = _key((bool,))
    seconds: float | None = _key(_NUM, lo=0.0)
    timings_s: JsonObject | None = _key((dict,), nested=_OPEN)
    recipe: str | None = _key((str,))
    target: str | None = _key((str,))
    notes: list[Any] | None = _key((list,))
    warnings: list[JsonObject] | None = _key((list,), nested=_WARNING)
    model: str | JsonObject | None = _key((str, dict))
    folds: list[Any] | None = _key((list,))
    checkpoint: str | None = _key((str,))
    label_map: str | JsonObject | None = _key((str, dict))
    fuse: str | None = _key((str,))
    unavailable: list[Any] | None = _key((list,))


_AIF = Schema({"curve": Key((list,)), "voxels": Key((int,), lo=0), "location": Key((list, dict))}, closed=False)
_QC = Schema({"motion_mm": Key((dict,)), "flagged": Key((list,))}, closed=False)
_MOTION = Schema({"reference_frame": Key((int,), lo=0), "displacement_mm": Key((list,))}, closed=False)


@dataclass(frozen=True, eq=False)
class PerfusionRecord(Record):
    """``perfusion.json``: how one case's maps were computed (series, AIF, motion, QC, units; open: the
    method's own settings are kept)."""

    KIND: ClassVar[str] = "perfusion"
    CLOSED: ClassVar[bool] = False
    source: str | None = _key((str,))
    modality: str | None = _key((str,))
    method: str | None = _key((str,))
    frames: int | None = _key((int,), lo=1)
    frame_interval_s: float | None = _key(_NUM, lo=0.0)
    bolus_arrival_frame: int | None = _key((int,), lo=0)
    baseline_frames: list[Any] | None = _key((list,))
    brain_voxels: int | None = _key((int,), lo=0)
    aif: JsonObject | None = _key((dict,), nested=_AIF)
    qc: JsonObject | None = _key((dict,), nested=_QC)
    motion: JsonObject | None = _key((dict,), nested=_MOTION)
    timings_s: JsonObject | None = _key((dict,), nested=_OPEN)
    threads: int | None = _key((int,), lo=1)
    warnings: list[Any] | None = _key((list,))
    data_warnings: list[JsonObject] | None = _key((list,), nested=_WARNING)
    units: JsonObject | None = _key((dict,), nested=_OPEN)
    aif_times_s: list[Any] | None = _key((list,))
    case: JsonObject | None = _key((dict,), nested=_OPEN)


@dataclass(frozen=True, eq=False)
class SummaryRecord(Record):
    """``summary.json`` of an evaluation: regions, per-region summaries, per-case metric rows, cases without a
    partner, warnings, and each case's files."""

    KIND: ClassVar[str] = "summary"
    regions: list[str] = _key((list,), required=True, nullable=False)
    protocol: str | None = _key((str,))
    summary: list[JsonObject] | None = _key((list,), nested=_OPEN)
    cases: list[JsonObject] = _key(
        (list,), required=True, nullable=False, nested=Schema({"case_id": Key((str,), required=True, nullable=False)}, closed=False)
    )
    unmatched_predictions: list[Any] | None = _key((list,))
    truth_without_prediction: list[Any] | None = _key((list,))
    warnings: list[Any] | None = _key((list,))
    files: JsonObject | None = _key((dict,), nested=_OPEN)
    not_assessable: JsonObject | None = _key((dict,), nested=_OPEN)


_MAPS_CASE = Schema(
    {
        "case_id": Key((str,), required=True, nullable=False),
        "modality": Key((str,)),
        "method": Key((str,)),
        "brain_voxels": Key((int,), lo=0),
        "aif_voxels": Key((int,), lo=0),
        "warnings": Key((list,)),
    }
)


@dataclass(frozen=True, eq=False)
class MapsSummaryRecord(Record):
    """``summary.json`` of a ``perfusion`` run over a dataset: one row per case folder."""

    KIND: ClassVar[str] = "maps-summary"
    cases: list[JsonObject] = _key((list,), required=True, nullable=False, nested=_MAPS_CASE)


#: each record's class by kind
RECORDS: dict[str, type[Record]] = {r.KIND: r for r in (ReadoutRecord, VolumesRecord, PerfusionRecord, SummaryRecord, MapsSummaryRecord)}
#: each record's schema by kind
SCHEMAS = {kind: cls.schema() for kind, cls in RECORDS.items()}


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


def read_record(kind: str, path: str | Path) -> Any:
    """The record of ``kind`` at ``path``, a :class:`Record` (see :meth:`Record.from_json`).

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
        return RECORDS[kind].from_json(data)
    except RecordError as exc:
        raise InputError(f"the {kind} record {exc}; it is not one strokeseg wrote", path) from None


def as_record(kind: str, data: Mapping[str, Any]) -> Any:
    """``data`` as the record of ``kind``: a record as it is; a mapping through its JSON text (paths and enums
    become strings, as written), checked against the schema (a failure is a bug of the producer)."""
    if isinstance(data, RECORDS[kind]):
        return data
    from strokeseg.tables import json_text

    return RECORDS[kind].from_json(json.loads(json_text(dict(data))))


def record_text(kind: str, data: Mapping[str, Any]) -> str:
    """The JSON text of a record (``format`` added), checked against its schema first (a failure is a bug)."""
    from strokeseg.tables import json_text

    return json_text(as_record(kind, data).to_json())


def write_record(kind: str, path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write a record atomically (see :func:`record_text`)."""
    from strokeseg.io.atomic import write_text

    return write_text(Path(path), record_text(kind, data))
