"""A content-addressed disk cache: expensive per-case preprocessing runs once.

The key is a hash of the input arrays' bytes, their geometry and the settings, so a changed file or
setting is a different entry. Entries are ``.npz`` files written atomically under
``$STROKESEG_CACHE`` (default ``~/.cache/strokeseg``), ``<kind>/v<FORMAT>/<key>.npz``.

The cache is untrusted input. Each entry carries an HMAC-SHA256 of its kind, key and arrays under a
per-user secret (``$XDG_CONFIG_HOME/strokeseg/cache.key``, or ``~/.config/…``, mode 0600, made on
first use), so an entry someone else wrote or changed — a crafted entry with the right key
included — fails verification. An entry that fails, that is not a regular file (a FIFO, a device, a
link) or that does not have the shapes the caller expects is ignored with a logged note and
recomputed; reading never blocks and never unpickles. ``$STROKESEG_CACHE_MAX_GB`` (default 10)
bounds the cache: after a write the least recently written entries go until it fits. ``--no-cache``
(train, predict) bypasses it.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.errors import ConfigError
from strokeseg.io.atomic import atomic_path

FORMAT = 2
_MAC = "__hmac__"
_log = logging.getLogger("strokeseg.cache")
_MAX_ENTRY_BYTES = 8 * 1024**3  # an entry larger than this is not one strokeseg wrote


def cache_dir() -> Path:
    """Where cached preprocessing results live (``STROKESEG_CACHE`` or the user cache folder)."""
    return Path(os.environ.get("STROKESEG_CACHE", Path.home() / ".cache" / "strokeseg"))


def max_cache_bytes() -> int:
    """``$STROKESEG_CACHE_MAX_GB`` (default 10) in bytes.

    Raises:
        ConfigError: the variable is not a finite number of GB ≥ 0.
    """
    text = os.environ.get("STROKESEG_CACHE_MAX_GB", "").strip()
    if not text:
        return 10 * 1024**3
    try:
        gb = float(text)
    except ValueError:
        gb = float("nan")
    if not (np.isfinite(gb) and gb >= 0):
        raise ConfigError(f"STROKESEG_CACHE_MAX_GB={text[:40]!r} is not a number of GB ≥ 0")
    return int(gb * 1024**3)


def content_key(arrays: Mapping[str, np.ndarray], settings: Mapping[str, Any]) -> str:
    """A SHA-256 over arrays and settings: the cache key of a preprocessing result."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode())
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.view(np.uint8).data)
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _secret_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "strokeseg" / "cache.key"


_SECRET: bytes | None = None


def _secret() -> bytes:
    """The per-user HMAC key: read from its file (a regular file of ours, 0600), or made there on first
    use; where it cannot be kept, a key for this process only (its entries then verify in it alone)."""
    global _SECRET
    if _SECRET is not None:
        return _SECRET
    path = _secret_path()
    key = b""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077:
                key = os.read(fd, 64)
        finally:
            os.close(fd)
    except OSError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            key = os.urandom(32)
            try:
                os.write(fd, key)
            finally:
                os.close(fd)
        except OSError:
            key = b""
    if len(key) < 32:
        _log.warning("the cache key %s cannot be used; cache entries verify in this process only", path)
        key = os.urandom(32)
    _SECRET = key
    return key


def _mac(kind: str, key: str, arrays: Mapping[str, np.ndarray]) -> str:
    h = hmac.new(_secret(), f"{FORMAT}\0{kind}\0{key}".encode(), hashlib.sha256)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"\0{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.view(np.uint8).data)
    return h.hexdigest()


def _read_regular(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (never through a link, never blocking), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError:
        _log.warning("cache entry %s is not a regular file; ignored and recomputed", path)
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_ENTRY_BYTES:
            _log.warning("cache entry %s is not a regular file of a plausible size; ignored and recomputed", path)
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 24):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _load(path: Path, kind: str, key: str) -> dict[str, np.ndarray] | None:
    data = _read_regular(path)
    if data is None:
        return None
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        mac = str(arrays.pop(_MAC))
    except Exception:
        _log.warning("cache entry %s cannot be read; ignored and recomputed", path)
        return None
    if not hmac.compare_digest(mac, _mac(kind, key, arrays)):
        _log.warning("cache entry %s fails verification (not written by this user's strokeseg); ignored and recomputed", path)
        return None
    return arrays


def _remove_stale_temporaries(folder: Path, older_than_s: float = 3600.0) -> None:
    """Delete the temporary files that runs killed mid-write left here more than an hour ago."""
    import time

    now = time.time()
    for tmp in folder.glob(".*.tmp*"):
        try:
            if now - tmp.lstat().st_mtime > older_than_s:
                tmp.unlink()
        except OSError:
            pass


def _evict(root: Path, limit: int) -> None:
    """Remove the least recently written entries until the cache holds at most ``limit`` bytes."""
    entries = []
    for p in root.glob(f"*/v{FORMAT}/*.npz"):
        try:
            st = p.lstat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            entries.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in entries)
    for _, size, p in sorted(entries):
        if total <= limit:
            break
        try:
            p.unlink()
            total -= size
        except OSError:
            pass


def cached(
    kind: str,
    key: str,
    compute: Callable[[], dict[str, np.ndarray]],
    enabled: bool = True,
    expect: Callable[[dict[str, np.ndarray]], bool] | None = None,
) -> dict[str, np.ndarray]:
    """Return the arrays stored under ``kind/key``, computing and storing them on a miss.

    An entry that fails verification, is not a regular file, or for which ``expect`` (the caller's check
    of names and shapes) is False is ignored with a logged note and recomputed.
    """
    if not enabled:
        return compute()
    folder = cache_dir() / kind / f"v{FORMAT}"
    path = folder / f"{key}.npz"
    arrays = _load(path, kind, key)
    if arrays is not None and expect is not None and not expect(arrays):
        _log.warning("cache entry %s does not have the expected arrays or shapes; ignored and recomputed", path)
        arrays = None
    if arrays is not None:
        return arrays
    arrays = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(folder)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            path.unlink()  # a link or special file in an entry's place: removed (unlink never follows a link)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays, **{_MAC: np.asarray(_mac(kind, key, arrays))})  # type: ignore[arg-type]
        _evict(cache_dir(), max_cache_bytes())
    except OSError as exc:  # a cache that cannot be written never stops a run
        _log.warning("cannot write the cache entry %s (%s); continuing without it", path, exc.strerror or exc)
    return arrays
