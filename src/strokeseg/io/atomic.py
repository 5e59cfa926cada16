"""Atomic files: nothing half-written is ever left where the user looks.

Single files are written to a hidden temporary name in the destination folder and renamed
into place (``os.replace`` is atomic on POSIX). Multi-file outputs are staged by
:class:`strokeseg.io.outputs.RunFolder`, which also removes the temporaries of killed runs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Permission bits of a new file under the user's umask (what ``open()`` would give)."""
    return 0o666 & ~_umask()


def dir_mode() -> int:
    """Permission bits of a new folder under the user's umask."""
    return 0o777 & ~_umask()


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
        os.chmod(tmp_path, file_mode())  # mkstemp makes 0600; results follow the user's umask
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
    """Write bytes atomically (a temporary file renamed into place)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
