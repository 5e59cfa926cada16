"""Size limits checked before any voxel is allocated.

A header can claim any size; these checks compare it with the file that holds the voxels and
with a memory ceiling, so that a 68-byte file claiming 2000 × 2000 × 500 voxels fails at once
instead of allocating gigabytes. The ceiling is ``$STROKESEG_MAX_IMAGE_GB`` (GiB of float32
voxels per image), default: half of the machine's memory, at most 32 GiB.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from strokeseg.errors import ConfigError, InputError

_GIB = 1024**3
#: the largest expansion deflate can give (RFC 1951: 258 bytes per 2-bit code; zlib's documented bound is 1032:1)
MAX_DEFLATE_RATIO = 1032


def max_image_bytes() -> int:
    """The largest in-memory image (float32 voxels) strokeseg will allocate, in bytes."""
    env = os.environ.get("STROKESEG_MAX_IMAGE_GB")
    if env:
        try:
            gb = float(env)
        except ValueError:
            gb = math.nan
        if not (math.isfinite(gb) and 0 < gb <= 1 << 20):
            raise ConfigError(f"STROKESEG_MAX_IMAGE_GB={env[:40]!r} is not a number of GiB above 0 (at most 1048576)")
        return int(gb * _GIB)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 16 * _GIB
    return int(min(total // 2, 32 * _GIB))


def check_voxel_count(n_voxels: int, path: Path, what: str = "image") -> None:
    """Refuse an image whose float32 copy would exceed :func:`max_image_bytes`."""
    need = int(n_voxels) * 4
    limit = max_image_bytes()
    if need > limit:
        raise InputError(
            f"the header claims {n_voxels:,} voxels ({need / _GIB:.1f} GiB as float32), above the "
            f"{limit / _GIB:.1f} GiB limit for one {what} (set STROKESEG_MAX_IMAGE_GB to raise it)",
            path,
        )


def stored_size(path: Path) -> int | None:
    """Bytes of voxel payload the file can hold: its size, or for gzip the uncompressed size
    from the trailer (exact below 4 GiB; ``None`` when it cannot be known)."""
    size = path.stat().st_size
    if not str(path).lower().endswith(".gz"):
        return size
    if size < 18:
        return 0
    with path.open("rb") as fh:
        fh.seek(-4, os.SEEK_END)
        isize = int.from_bytes(fh.read(4), "little")
    return isize if size < _GIB else None


def check_payload(expected_bytes: int, path: Path) -> None:
    """Refuse a file that cannot hold the ``expected_bytes`` its header promises (a truncated file
    or a lying header), before reading it."""
    gz = str(path).lower().endswith(".gz")
    if gz and expected_bytes >= 4 * _GIB:
        # the trailer holds the size modulo 4 GiB; deflate expands at most 1032:1, which bounds it
        packed = path.stat().st_size
        if expected_bytes > MAX_DEFLATE_RATIO * packed + 1024:
            raise InputError(
                f"file is truncated or its header is wrong: the header needs {expected_bytes:,} bytes of voxel data, "
                f"more than {packed:,} compressed bytes can hold (deflate expands at most {MAX_DEFLATE_RATIO}:1)",
                path,
            )
        return
    have = stored_size(path)
    if have is None:
        return
    if have < expected_bytes:
        kind = "uncompressed size" if str(path).lower().endswith(".gz") else "size"
        raise InputError(
            f"file is truncated or its header is wrong: the header needs {expected_bytes:,} bytes of voxel data, "
            f"the file's {kind} is {have:,} bytes",
            path,
        )


__all__ = ["check_payload", "check_voxel_count", "max_image_bytes", "stored_size"]
