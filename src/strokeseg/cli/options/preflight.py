"""Checks made before a command writes anything: the environment, and a DICOM reference series."""

from __future__ import annotations

import argparse


def apply_global_options(args: argparse.Namespace) -> None:
    """``--deterministic`` and ``--threads`` as the environment variables every stage, worker and rank reads
    (``strokeseg.util.threads``)."""
    import os

    if args.deterministic:
        os.environ["STROKESEG_DETERMINISTIC"] = "1"
    if args.threads:
        os.environ["STROKESEG_THREADS"] = str(args.threads)


def check_environment() -> None:
    """Validate the ``STROKESEG_*`` variables every stage reads (threads, determinism, image-size limit, cache folder and size).

    Raises:
        ConfigError: one line naming the variable.
    """
    import os

    from strokeseg.errors import ConfigError
    from strokeseg.io.limits import max_image_bytes
    from strokeseg.util.threads import thread_count

    if os.environ.get("STROKESEG_THREADS", "").strip():
        thread_count()
    flag = os.environ.get("STROKESEG_DETERMINISTIC", "").strip()
    if flag not in ("", "0", "1"):
        raise ConfigError(f"STROKESEG_DETERMINISTIC must be 0 or 1, got {flag[:40]!r}")
    max_image_bytes()
    from strokeseg.preprocessing.cache import max_cache_bytes

    max_cache_bytes()
    cache = os.environ.get("STROKESEG_CACHE")
    if cache is not None and (not cache.strip() or "\0" in cache):
        raise ConfigError(f"STROKESEG_CACHE={cache[:40]!r} is not a folder path")
