"""Gzip for ``.nii.gz``: Intel ISA-L (``isal``) when installed, else the standard library.

ISA-L's inflate is about 2.4× and its level-1 deflate about 20× faster than zlib on this
project's 2-core machine (``benchmarks/bench_perfusion_speed.py`` times both), and both write
ordinary gzip members that every NIfTI reader opens. ``isal`` is a declared dependency; the
fallback keeps strokeseg working where its wheel is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

try:  # pragma: no cover - which branch runs depends on the environment
    from isal import igzip as _gzip

    BACKEND = "isal"
except ImportError:  # pragma: no cover
    import gzip as _gzip  # type: ignore[no-redef]

    BACKEND = "zlib"

#: compression level of written ``.nii.gz`` files (nibabel's default is 1 as well)
LEVEL = 1


def is_gzip_path(path: str | Path) -> bool:
    """Whether ``path`` names a gzip file by its suffix (``.gz``)."""
    return str(path).lower().endswith(".gz")


def open_read(path: str | Path) -> IO[bytes]:
    """A binary reader of ``path``: decompressing when it ends in ``.gz``, else the plain file."""
    if is_gzip_path(path):
        fh: Any = _gzip.open(str(path), "rb")
        return fh  # type: ignore[no-any-return]
    return open(path, "rb")


def compress(data: bytes | bytearray | memoryview, level: int = LEVEL) -> bytes:
    """One gzip member holding ``data`` (header time 0, so equal data give equal bytes)."""
    out: bytes = _gzip.compress(data, compresslevel=level, mtime=0)
    return out
