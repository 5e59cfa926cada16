"""Building an object named by a recipe from a table of constructors, with one error for every registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from strokeseg.errors import ConfigError


def build_from(kind: str, table: Mapping[str, Callable[..., Any]], name: str, *args: Any, **kwargs: Any) -> Any:
    """``table[name](*args, **kwargs)``; an unknown name or a wrong argument is a :class:`ConfigError`."""
    if name not in table:
        raise ConfigError(f"unknown {kind} {name!r}; available: {', '.join(sorted(table))}")
    try:
        return table[name](*args, **kwargs)
    except TypeError as exc:
        raise ConfigError(f"{kind} {name!r}: {exc}") from None
