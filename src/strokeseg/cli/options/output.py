"""Printing library text on the command line."""

from __future__ import annotations


def say(text: str) -> None:
    """Print library text to stdout with parameter names shown as the flags that set them."""
    from strokeseg.cli.flags import to_flags

    print(to_flags(text))
