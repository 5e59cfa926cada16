"""Reading the text files a user gives (manifests, tables, recipes, bundle files) with one clear error."""

from __future__ import annotations

from pathlib import Path

from strokeseg.errors import InputError


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of ``path`` (a BOM is dropped); :class:`InputError` if missing, unreadable or not UTF-8."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found", path) from None
    except IsADirectoryError:
        raise InputError(f"{what} is a folder, expected a file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror})", path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8", path) from None
