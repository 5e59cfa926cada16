"""A content-addressed disk cache: expensive per-case preprocessing runs once.

The key is a SHA-1 of the input arrays' bytes, their geometry and the settings, so a changed
file or setting is a different entry. Entries are ``.npz`` files written atomically.
Location: ``$STROKESEG_CACHE`` or ``~/.cache/strokeseg``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.io.atomic import atomic_path


def cache_dir() -> Path:
    """Where cached preprocessing results live (``STROKESEG_CACHE`` or the user cache folder)."""
    return Path(os.environ.get("STROKESEG_CACHE", Path.home() / ".cache" / "strokeseg"))


def content_key(arrays: Mapping[str, np.ndarray], settings: Mapping[str, Any]) -> str:
    """A SHA-256 over arrays and settings: the cache key of a preprocessing result."""
    h = hashlib.sha1()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode())
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.view(np.uint8).data)
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _remove_stale_temporaries(folder: Path, older_than_s: float = 3600.0) -> None:
    """Delete the temporary files that runs killed mid-write left here more than an hour ago."""
    import time

    now = time.time()
    for tmp in folder.glob(".*.tmp*"):
        try:
            if now - tmp.stat().st_mtime > older_than_s:
                tmp.unlink()
        except OSError:
            pass


def cached(kind: str, key: str, compute: Callable[[], dict[str, np.ndarray]], enabled: bool = True) -> dict[str, np.ndarray]:
    """Return the arrays stored under ``kind/key``, computing and storing them on a miss."""
    if not enabled:
        return compute()
    path = cache_dir() / kind / f"{key}.npz"
    if path.exists():
        try:
            with np.load(path) as f:
                return {k: f[k] for k in f.files}
        except Exception:
            path.unlink(missing_ok=True)  # a damaged entry is recomputed
    arrays = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path.parent)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
    return arrays
