"""Writing tables: CSV, Markdown and JSON text, one implementation for every command.

Each function returns text; callers write it atomically (:func:`strokeseg.io.atomic.write_text`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None, extra: str = "ignore") -> str:
    """CSV with a header row and ``\\n`` line ends. ``columns`` default: every key in first-seen order.

    ``extra``: ``"ignore"`` drops keys not in ``columns``; ``"raise"`` refuses them.
    """
    rows = list(rows)
    cols = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction=extra, lineterminator="\n")  # type: ignore[arg-type]
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def read_csv(text: str) -> list[dict[str, str]]:
    """The rows of CSV text as dicts of strings (the inverse of :func:`csv_text`)."""
    return list(csv.DictReader(io.StringIO(text)))


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """The lines of a GitHub-flavoured Markdown table (cells rendered with ``str``)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def json_text(obj: Any) -> str:
    """Indented JSON; a run record (a read-only mapping) as its JSON object; other values JSON cannot hold
    (paths, enums, NumPy scalars) as strings."""
    return json.dumps(obj, indent=2, default=_plain)


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else str(value)


__all__ = ["csv_text", "json_text", "markdown_table", "read_csv"]
