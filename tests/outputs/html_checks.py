"""Shared checks for the HTML synthgen writes: every element closed in order, nothing loaded from elsewhere, and
hostile text escaped (record values are messy on purpose; file names come from users)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Balance(HTMLParser):
    """Every non-void element closed, in order; SVG's self-closing elements count as closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.opened: dict[str, int] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.opened[tag] = self.opened.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.opened[tag] = self.opened.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> _Balance:
    parser = _Balance()
    parser.feed(document)
    parser.close()
    assert parser.problems == []
    assert parser.stack == []
    return parser


def text_of(document: str) -> str:
    return " ".join(" ".join(parse(document).text).split())


def svg_labels(document: str) -> list[str]:
    return re.findall(r'<svg [^>]*aria-label="([^"]*)"', document)


def assert_offline(document: str) -> None:
    lowered = document.lower()
    for forbidden in ("http://", "https://", "src=", "<script", "@import", "url("):
        assert forbidden not in lowered, forbidden
