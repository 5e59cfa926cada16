"""Exceptions with one clear line for the user: which file, what is wrong."""

from __future__ import annotations

import re
from pathlib import Path


def one_line(text: str) -> str:
    """A message folded onto one line (YAML, nibabel and ITK errors span several)."""
    return re.sub(r"\s*\n\s*", "; ", text.strip())


class StrokesegError(Exception):
    """Base class of every error strokeseg reports to a user.

    ``str(err)`` is the one line the CLI prints; it names the file when there is one.
    """

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)


class InputError(StrokesegError):
    """A file or folder given by the user cannot be used as it is."""


class ConfigError(StrokesegError):
    """A recipe, option or configuration value is invalid."""


class TrainingError(StrokesegError):
    """Training cannot go on (e.g. the loss became NaN or infinite)."""


class RankLost(StrokesegError):
    """A rank of a data-parallel run died or was killed, so every rank stopped (exit status 1, not 2: the inputs
    may be fine)."""


class Terminated(BaseException):
    """SIGTERM arrived; raised from the signal handler so that every ``finally`` cleans up."""
