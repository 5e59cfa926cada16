"""Atomic output: nothing half-written is ever left where the user looks.

Single files are written to a temporary name in the destination folder and renamed into
place (``os.replace`` is atomic on POSIX). Multi-file outputs are staged in a hidden sibling
folder and moved in only when every file has been written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from strokeseg.errors import InputError


def _suffix(path: Path) -> str:
    name = path.name
    for double in (".nii.gz", ".tar.gz"):
        if name.endswith(double):
            return double
    return path.suffix


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + _suffix(path), dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


@contextlib.contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Stage a multi-file output; move it into ``out_dir`` only if the block succeeds.

    Files already in ``out_dir`` that the block does not write are left alone; files it
    writes replace their namesakes. On an exception nothing in ``out_dir`` changes.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        yield stage
        out.mkdir(parents=True, exist_ok=True)
        for src in sorted(stage.rglob("*")):
            if src.is_dir():
                continue
            dst = out / src.relative_to(stage)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def ensure_outside_inputs(out_dir: str | Path, inputs: Iterable[str | Path], allow: bool = False) -> None:
    """Refuse to write into (or above) an input folder unless the user asked for it."""
    if allow:
        return
    out = Path(out_dir).resolve()
    for inp in inputs:
        src = Path(inp).resolve()
        src_dir = src if src.is_dir() else src.parent
        if out == src_dir or src_dir in out.parents:
            raise InputError(
                "output folder is inside the input folder; choose another --out "
                "(or pass --allow-output-in-input)",
                out_dir,
            )
