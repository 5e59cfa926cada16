"""Exceptions with one clear line for the user: which file, what is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def one_line(text: str) -> str:
    """A message folded onto one line (YAML, nibabel and ITK errors span several)."""
    return re.sub(r"\s*\n\s*", "; ", text.strip())


@dataclass(frozen=True)
class Param:
    """A parameter a message tells the user to set, as data: ``'label_map'`` for a Python caller, its flag
    (``--label-map``) on the command line.

    Attributes:
        name: the keyword argument or configuration field.
        verb: ``set``, ``with``, ``without`` or ``""`` (the name alone).
        takes_value: a value follows (``set 'modality' to ct or mr`` / ``pass --modality ct or mr``).
        value: the value itself, written with the name (``backend='nnunetv2'`` / ``--backend nnunetv2``).
        scope: where the name lives when it means something else elsewhere (``nnunet``: the nnU-Net options'
            ``folds`` are ``--nnunet-folds``); the command line looks up ``scope.name``.
    """

    name: str
    verb: str = "set"
    takes_value: bool = False
    value: str | None = None
    scope: str = ""

    @property
    def key(self) -> str:
        """``scope.name`` (or the name), the key of the command line's table of flags."""
        return f"{self.scope}.{self.name}" if self.scope else self.name

    def python(self) -> str:
        named = f"{self.name}={self.value!r}" if self.value is not None else f"'{self.name}'"
        words = [self.verb, named] if self.verb else [named]
        return " ".join(words + (["to"] if self.takes_value else []))

    def flag(self, flag: str) -> str:
        verb = "pass" if self.verb == "set" else self.verb
        named = f"{flag} {self.value}" if self.value is not None else flag
        return f"{verb} {named}" if verb else named


class Message(str):
    """Text that names parameters as :class:`Param` data. As a ``str`` it names them for a Python caller;
    :meth:`render` names them another way (the command line's flags), with no parsing of the text."""

    parts: tuple[str | Param, ...]

    def __new__(cls, *parts: str | Param) -> Message:
        obj = super().__new__(cls, "".join(p if isinstance(p, str) else p.python() for p in parts))
        obj.parts = parts
        return obj

    @property
    def params(self) -> tuple[str, ...]:
        """The names of the parameters the text names, in order."""
        return tuple(p.name for p in self.parts if isinstance(p, Param))

    def render(self, name: Callable[[Param], str]) -> str:
        """The text with each parameter written by ``name``."""
        return "".join(p if isinstance(p, str) else name(p) for p in self.parts)


#: the parameters that several messages name
WITHOUT_RESUME = Param("resume", verb="without")
WITH_OVERWRITE = Param("overwrite", verb="with")
NNUNET_LABELS = Param("labels", verb="", scope="nnunet")
NNUNETV2_BACKEND = Param("backend", verb="", value="nnunetv2")


class StrokesegError(Exception):
    """Base class of every error strokeseg reports to a user.

    ``str(err)`` is the one line the CLI prints; it names the file when there is one. A :class:`Message`
    carries the parameters it names as data (:attr:`params`), which the CLI writes as flags.
    """

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)

    @property
    def params(self) -> tuple[str, ...]:
        """The parameters the message tells the user to set (empty for plain text)."""
        return self.message.params if isinstance(self.message, Message) else ()

    def render(self, name: Callable[[Param], str]) -> str:
        """``str(self)`` with each parameter written by ``name``."""
        text = self.message.render(name) if isinstance(self.message, Message) else self.message
        return f"{self.path}: {text}" if self.path is not None else text


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
