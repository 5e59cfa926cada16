"""Reading a written report back: the images and links a page references, and its summary values."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

URL = re.compile(r"(?i)\b(?:https?|ftp)://|(?:src|href)\s*=\s*[\"']//|url\(\s*[\"']?(?:https?:)?//")


class PageParser(HTMLParser):
    """Collects every referenced resource (``src``/``href``) and the ``data-key``/``data-value`` pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.values: dict[str, str] = {}
        self.verdicts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for k in ("src", "href"):
            if a.get(k):
                self.refs.append(str(a[k]))
        if "data-key" in a and "data-value" in a and tag == "div":
            self.values[str(a["data-key"])] = str(a["data-value"])
        if "data-verdict" in a:
            self.verdicts.append(str(a["data-verdict"]))


def parse(page: Path) -> PageParser:
    p = PageParser()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def check_page(page: Path) -> PageParser:
    """Assert that no external URL appears and that every referenced file exists; return the parsed page."""
    text = page.read_text(encoding="utf-8")
    assert not URL.search(text), f"{page}: external URL {URL.search(text).group(0)!r}"
    p = parse(page)
    for ref in p.refs:
        target = (page.parent / ref.split("#")[0]).resolve()
        assert target.exists(), f"{page}: {ref} does not exist"
    return p


def same_value(page_value: str, json_value: object) -> bool:
    """A summary cell's raw value equals the read-out's (None ↔ empty)."""
    if json_value is None:
        return page_value == ""
    if json_value == "inf":
        return page_value == "inf"
    return float(page_value) == float(json_value)  # type: ignore[arg-type]
